/** The page `GET /` shows: what this server is and how to connect to it. */
export function landingPage(request: Request): Response {
  const url = new URL(request.url);
  const ws = `${url.protocol === "https:" ? "wss" : "ws"}://${url.host}`;
  const html = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WebRTC signaling server</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f3f3f3;border-radius:4px}pre{padding:.75rem;overflow-x:auto}</style>
<h1>WebRTC signaling server</h1>
<p>Browsers meet here to trade WebRTC offers, answers and ICE candidates. Connect a WebSocket to
<code>${ws}/</code> (room <code>default</code>) or <code>${ws}/rooms/&lt;name&gt;</code>, then:</p>
<pre>{"type":"register","peer_id":"alice"}
{"type":"list_peers"}
{"type":"relay","to":"bob","data":{"sdp":"..."}}</pre>
<p>Server health and limits: <a href="/health">/health</a>.</p>
</html>`;
  return new Response(request.method === "HEAD" ? null : html, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}
