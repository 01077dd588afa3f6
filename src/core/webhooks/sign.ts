/**
 * Signing as the Standard Webhooks specification says (standardwebhooks.com): the HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>` under the secret's bytes, sent as `webhook-signature: v1,<base64>`.
 * Any Standard Webhooks library verifies it with the same `whsec_` secret.
 */
export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
  "content-type": "application/json";
}

export async function signWebhook(key: Uint8Array, id: string, seconds: number, body: string): Promise<SignedHeaders> {
  const algorithm = { name: "HMAC", hash: "SHA-256" } as const;
  const hmac = await crypto.subtle.importKey("raw", new Uint8Array(key), algorithm, false, ["sign"]);
  const signed = new TextEncoder().encode(`${id}.${seconds}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, signed));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": `v1,${btoa(binary)}`,
    "content-type": "application/json",
  };
}
