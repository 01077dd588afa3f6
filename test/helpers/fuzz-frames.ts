/** What a hostile or broken client sends, as fast-check arbitraries: shared by the unit and socket fuzz tests. */
import fc from "fast-check";

/** JSON values with the shapes an attacker tries: wrong types everywhere, prototype keys, deep nesting. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constantFrom("__proto__", "constructor", "register", "relay", "list_peers", "ping", "x".repeat(70)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom("__proto__", "type", "peer_id", "to", "data", "request_id", "presence"),
      tie("value"),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;

const message = fc.record(
  {
    type: fc.oneof(fc.constantFrom("register", "relay", "list_peers", "ping", "teleport"), hostileValue),
    peer_id: hostileValue,
    to: hostileValue,
    data: hostileValue,
    request_id: hostileValue,
    presence: hostileValue,
    resume_token: hostileValue,
    limit: hostileValue,
    after: hostileValue,
  },
  { requiredKeys: [] },
);

export const hostileFrame = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => bytes.buffer),
  fc
    .integer({ min: 60, max: 20_000 })
    .map((depth) => `{"type":"relay","to":"b","data":${"[".repeat(depth)}${"]".repeat(depth)}}`),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `{"type":"relay","to":"b","data":"${"x".repeat(n)}"}`),
  fc.constant('{"__proto__":{"type":"register","peer_id":"admin"}}'),
  fc.constant('{"type":"register","peer_id":"a","constructor":{"prototype":{"polluted":true}}}'),
);
