/** Every reason a command can be refused, shared by all protocols; each codec words them its own way. */
export const ERROR_CODES = [
  "invalid_json",
  "invalid_message",
  "unknown_type",
  "binary_not_supported",
  "invalid_peer_id",
  "already_registered",
  "peer_id_taken",
  "not_registered",
  "unknown_peer",
  "message_too_large",
  "rate_limited",
  "room_full",
  "forbidden",
  "mailbox_full",
  "undeliverable",
  "target_busy",
  "internal_error",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
