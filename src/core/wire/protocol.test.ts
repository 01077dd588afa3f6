import { describe, expect, it } from "vitest";
import {
  type ClientMessage,
  type ErrorCode,
  parseClientMessage,
  parseServerMessage,
  peekRequestId,
  type ServerMessage,
} from "./protocol.js";

const MAX = 64 * 1024;
const LIMITS = { maxMessageBytes: MAX, maxJsonDepth: 64, maxMetaBytes: 1024, maxMetaDepth: 4 };

describe("parseClientMessage accepts", () => {
  const accepted: Array<[string, string, ClientMessage]> = [
    ["the seed's register", '{"type":"register","peer_id":"alice"}', { type: "register", peer_id: "alice" }],
    [
      "register with presence and request_id",
      '{"type":"register","peer_id":"a.b_c-d:e@f","presence":true,"request_id":"r1"}',
      { type: "register", peer_id: "a.b_c-d:e@f", presence: true, request_id: "r1" },
    ],
    [
      "a 64-character peer id",
      `{"type":"register","peer_id":"${"x".repeat(64)}"}`,
      { type: "register", peer_id: "x".repeat(64) },
    ],
    ["the seed's list_peers", '{"type":"list_peers"}', { type: "list_peers" }],
    [
      "the seed's relay with an object",
      '{"type":"relay","to":"bob","data":{"sdp":"v=0"}}',
      { type: "relay", to: "bob", data: { sdp: "v=0" } },
    ],
    ["relay with null data", '{"type":"relay","to":"bob","data":null}', { type: "relay", to: "bob", data: null }],
    [
      "a relay numbered by its client",
      '{"type":"relay","to":"bob","seq":12,"request_id":"r12","data":1}',
      { type: "relay", to: "bob", seq: 12, data: 1, request_id: "r12" },
    ],
    ["relay with a string", '{"type":"relay","to":"bob","data":"hi"}', { type: "relay", to: "bob", data: "hi" }],
    [
      "relay ignoring a client-supplied from",
      '{"type":"relay","to":"b","from":"mallory","data":1}',
      { type: "relay", to: "b", data: 1 },
    ],
    ["unknown fields, ignored", '{"type":"list_peers","extra":{"x":1}}', { type: "list_peers" }],
    ["ping with a request_id", '{"type":"ping","request_id":"p"}', { type: "ping", request_id: "p" }],
    [
      "register with a resume token",
      '{"type":"register","peer_id":"a","resume_token":"abc_-1"}',
      { type: "register", peer_id: "a", resume_token: "abc_-1" },
    ],
    [
      "a page of list_peers",
      '{"type":"list_peers","limit":100,"after":"bob"}',
      { type: "list_peers", limit: 100, after: "bob" },
    ],
    [
      "register with meta, asking for the others' meta",
      '{"type":"register","peer_id":"a","meta":{"name":"Alice","tags":["x"]},"with_meta":true}',
      { type: "register", peer_id: "a", meta: { name: "Alice", tags: ["x"] }, with_meta: true },
    ],
    [
      "meta that is a string",
      '{"type":"register","peer_id":"a","meta":"Al"}',
      { type: "register", peer_id: "a", meta: "Al" },
    ],
    ["meta null, taken as none", '{"type":"register","peer_id":"a","meta":null}', { type: "register", peer_id: "a" }],
    [
      "meta of exactly 1,024 bytes, 4 deep",
      `{"type":"register","peer_id":"a","meta":{"a":{"b":{"c":"${"x".repeat(1024 - 20)}"}}}}`,
      { type: "register", peer_id: "a", meta: { a: { b: { c: "x".repeat(1024 - 20) } } } },
    ],
    ["list_peers with meta", '{"type":"list_peers","with_meta":true}', { type: "list_peers", with_meta: true }],
    [
      "data nested 63 deep (the message is the 64th level)",
      `{"type":"relay","to":"b","data":${"[".repeat(63)}${"]".repeat(63)}}`,
      { type: "relay", to: "b", data: JSON.parse(`${"[".repeat(63)}${"]".repeat(63)}`) },
    ],
  ];
  it.each(accepted)("%s", (_name, frame, expected) => {
    expect(parseClientMessage(frame, LIMITS)).toEqual({ ok: true, message: expected });
  });
});

describe("parseClientMessage rejects", () => {
  const rejected: Array<[string, string | ArrayBuffer, ErrorCode, string | undefined]> = [
    ["a binary frame", new ArrayBuffer(4), "binary_not_supported", undefined],
    ["text that is not JSON", "{type:register}", "invalid_json", undefined],
    ["an empty frame", "", "invalid_json", undefined],
    ["a JSON array", "[1,2]", "invalid_message", undefined],
    ["JSON null", "null", "invalid_message", undefined],
    ["a JSON string", '"register"', "invalid_message", undefined],
    ["a missing type", '{"peer_id":"a","request_id":"r"}', "invalid_message", "r"],
    ["a numeric type", '{"type":1}', "invalid_message", undefined],
    ["an unknown type", '{"type":"subscribe","request_id":"r"}', "unknown_type", "r"],
    ["a request_id that is a number", '{"type":"list_peers","request_id":7}', "invalid_message", undefined],
    [
      "a request_id of 65 characters",
      `{"type":"list_peers","request_id":"${"r".repeat(65)}"}`,
      "invalid_message",
      undefined,
    ],
    ["an empty request_id", '{"type":"list_peers","request_id":""}', "invalid_message", undefined],
    ["register without peer_id", '{"type":"register","request_id":"r"}', "invalid_peer_id", "r"],
    ["an empty peer id", '{"type":"register","peer_id":""}', "invalid_peer_id", undefined],
    ["a 65-character peer id", `{"type":"register","peer_id":"${"x".repeat(65)}"}`, "invalid_peer_id", undefined],
    ["a peer id with a space", '{"type":"register","peer_id":"a b"}', "invalid_peer_id", undefined],
    ["a peer id with a slash", '{"type":"register","peer_id":"a/b"}', "invalid_peer_id", undefined],
    ["a peer id with a non-ASCII letter", '{"type":"register","peer_id":"zoë"}', "invalid_peer_id", undefined],
    ["a numeric peer id", '{"type":"register","peer_id":42}', "invalid_peer_id", undefined],
    [
      "presence that is not a boolean",
      '{"type":"register","peer_id":"a","presence":"yes"}',
      "invalid_message",
      undefined,
    ],
    ["relay without to", '{"type":"relay","data":1}', "invalid_peer_id", undefined],
    ["relay to a malformed id", '{"type":"relay","to":"a b","data":1}', "invalid_peer_id", undefined],
    ["relay without data", '{"type":"relay","to":"bob","request_id":"r"}', "invalid_message", "r"],
    ["a relay numbered 0", '{"type":"relay","to":"bob","seq":0,"data":1}', "invalid_message", undefined],
    ["a relay numbered 1.5", '{"type":"relay","to":"bob","seq":1.5,"data":1}', "invalid_message", undefined],
    ["a relay numbered as a string", '{"type":"relay","to":"bob","seq":"1","data":1}', "invalid_message", undefined],
    ["an empty resume token", '{"type":"register","peer_id":"a","resume_token":""}', "invalid_message", undefined],
    ["a numeric resume token", '{"type":"register","peer_id":"a","resume_token":5}', "invalid_message", undefined],
    [
      "meta of 1,025 bytes",
      `{"type":"register","peer_id":"a","meta":"${"x".repeat(1023)}","request_id":"m"}`,
      "invalid_message",
      "m",
    ],
    ["meta nested 5 deep", '{"type":"register","peer_id":"a","meta":[[[[[1]]]]]}', "invalid_message", undefined],
    [
      "with_meta that is not a boolean",
      '{"type":"register","peer_id":"a","with_meta":1}',
      "invalid_message",
      undefined,
    ],
    ["a list_peers with_meta that is a string", '{"type":"list_peers","with_meta":"y"}', "invalid_message", undefined],
    ["a zero limit", '{"type":"list_peers","limit":0,"request_id":"r"}', "invalid_message", "r"],
    ["a fractional limit", '{"type":"list_peers","limit":1.5}', "invalid_message", undefined],
    ["a limit past 10,000", '{"type":"list_peers","limit":10001}', "invalid_message", undefined],
    ["an after that is no peer id", '{"type":"list_peers","after":"a b"}', "invalid_peer_id", undefined],
    [
      "data nested 64 deep",
      `{"type":"relay","to":"b","data":${"[".repeat(64)}${"]".repeat(64)},"request_id":"d"}`,
      "invalid_message",
      "d",
    ],
    [
      "data nested 32,700 deep",
      `{"type":"relay","to":"b","data":${"[".repeat(32_700)}${"]".repeat(32_700)}}`,
      "invalid_message",
      undefined,
    ],
    [
      "a message over the size limit",
      `{"type":"relay","to":"b","data":"${"x".repeat(MAX)}"}`,
      "message_too_large",
      undefined,
    ],
  ];
  it.each(rejected)("%s", (_name, frame, code, requestId) => {
    const result = parseClientMessage(frame, LIMITS);
    if (result.ok) throw new Error(`accepted ${JSON.stringify(result.message)}`);
    expect(result.error.code).toBe(code);
    expect(result.error.request_id).toBe(requestId);
    expect(result.error.error.length).toBeGreaterThan(10);
  });

  it("counts UTF-8 bytes, not characters, against the size limit", () => {
    const euros = "€".repeat(400); // 400 characters, 1,200 bytes
    const frame = `{"type":"relay","to":"b","data":"${euros}"}`;
    expect(parseClientMessage(frame, { ...LIMITS, maxMessageBytes: 1_100 })).toMatchObject({
      ok: false,
      error: { code: "message_too_large" },
    });
    expect(parseClientMessage(frame, { ...LIMITS, maxMessageBytes: 1_300 })).toMatchObject({ ok: true });
  });

  it("names the limit and the actual size in the error", () => {
    const result = parseClientMessage(`{"x":"${"y".repeat(200)}"}`, { ...LIMITS, maxMessageBytes: 100 });
    expect(result).toMatchObject({ ok: false, error: { error: "message is 208 bytes, over the limit of 100 bytes" } });
  });
});

describe("peekRequestId", () => {
  it("reads a frame's request id without parsing it, or none", () => {
    expect(peekRequestId('{"type":"ping","request_id":"r1"}')).toBe("r1");
    expect(peekRequestId('{"request_id" : "r 2", "type":"ping"}')).toBe("r 2");
    expect(peekRequestId('{"type":"ping"}')).toBeUndefined();
    expect(peekRequestId('{"request_id":7}')).toBeUndefined();
    expect(peekRequestId(`{"request_id":"${"x".repeat(65)}"}`)).toBeUndefined();
    expect(peekRequestId('{"data":"\\"request_id\\":\\"no\\""}')).toBeUndefined();
    expect(peekRequestId(new ArrayBuffer(4))).toBeUndefined();
  });
});

describe("parseServerMessage accepts", () => {
  const accepted: Array<[string, ServerMessage]> = [
    ["registered", { type: "registered", peer_id: "a", peers: ["b"], rev: 3, resume_token: "t", request_id: "r" }],
    ["registered by resume", { type: "registered", peer_id: "a", peers: [], rev: 3, resume_token: "t", resumed: true }],
    [
      "registered by resume, saying what was kept",
      {
        type: "registered",
        peer_id: "a",
        peers: [],
        rev: 3,
        resume_token: "t",
        resumed: true,
        acked: 7,
        recovered: false,
      },
    ],
    ["an ack", { type: "ack", seq: 16 }],
    ["a page of peers", { type: "peers", peers: ["a"], rev: 1, next: "a" }],
    ["undeliverable", { type: "error", code: "undeliverable", error: "not delivered", to: "b", count: 3 }],
    ["peers", { type: "peers", peers: [], rev: 0 }],
    ["relay with any data", { type: "relay", from: "a", data: { sdp: "v=0", n: [1, null] } }],
    ["relay with null data", { type: "relay", from: "a", data: null }],
    ["peer_joined", { type: "peer_joined", peer_id: "a", rev: 1 }],
    ["peer_left", { type: "peer_left", peer_id: "a", rev: 2 }],
    ["pong with a request_id", { type: "pong", request_id: "k" }],
    ["error", { type: "error", code: "unknown_peer", error: "no peer", request_id: "q" }],
  ];
  it.each(accepted)("%s", (_name, message) => {
    expect(parseServerMessage(JSON.stringify(message))).toEqual(message);
  });

  it("keeps an error whose code this version does not know, with its text", () => {
    expect(parseServerMessage('{"type":"error","code":"from_the_future","error":"later"}')).toEqual({
      type: "error",
      code: "internal_error",
      error: "later",
    });
  });

  it("drops fields it does not know", () => {
    expect(parseServerMessage('{"type":"pong","extra":1}')).toEqual({ type: "pong" });
  });
});

describe("parseServerMessage ignores", () => {
  it.each([
    ["binary data", new ArrayBuffer(2)],
    ["text that is not JSON", "{"],
    ["a JSON array", "[]"],
    ["an unknown type", '{"type":"teleport"}'],
    ["registered without peers", '{"type":"registered","peer_id":"a","rev":1}'],
    ["peers that are not strings", '{"type":"peers","peers":[1],"rev":1}'],
    ["relay without data", '{"type":"relay","from":"a"}'],
    ["relay without from", '{"type":"relay","data":1}'],
    ["peer_left without rev", '{"type":"peer_left","peer_id":"a"}'],
    ["error without text", '{"type":"error","code":"room_full"}'],
  ])("%s", (_name, frame) => {
    expect(parseServerMessage(frame)).toBeUndefined();
  });
});
