// The demo page's files for the self-hosted server, from the `public` disk service (public/, built from demo/).
// A disk service sets no Content-Type and lists directories, so this maps `/` to index.html and names the types.
const TYPES = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/")) url.pathname += "index.html";
    const file = await env.FILES.fetch(new Request(url, { method: request.method }));
    if (!file.ok || file.headers.get("content-type") === "application/json") {
      return new Response("not found", { status: 404 });
    }
    const extension = url.pathname.slice(url.pathname.lastIndexOf(".") + 1);
    const headers = new Headers(file.headers);
    headers.set("content-type", TYPES[extension] ?? "application/octet-stream");
    return new Response(file.body, { status: file.status, headers });
  },
};
