import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import Fastify, { type FastifyInstance } from "fastify";
import {
  acceptsGzip,
  findPackageRoot,
  NOT_BUILT,
  registerSecurityHeaders,
  registerWeb,
  SECURITY_HEADERS,
} from "./web.js";

const root = mkdtempSync(join(tmpdir(), "railyard-web-"));
after(() => rmSync(root, { recursive: true, force: true }));

const INDEX = `<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__" /><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>`;
const SCRIPT = `console.log(${JSON.stringify("railyard ".repeat(200))});\n`;
/** Beside the UI folder, never to be served. */
const OUTSIDE = "top secret outside the web folder";

/** A built UI in a temporary folder: index.html, a hashed script, a stylesheet, an image, a favicon. */
function builtUi(): string {
  const dir = join(root, "dist");
  mkdirSync(join(dir, "assets"), { recursive: true });
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "app-1a2b3c.js"), SCRIPT);
  writeFileSync(join(dir, "assets", "app-4d5e6f.css"), `body { color: black; }\n`.repeat(50));
  writeFileSync(join(dir, "assets", "logo-778899.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  writeFileSync(join(dir, "favicon.svg"), `<svg xmlns="http://www.w3.org/2000/svg"></svg>`);
  writeFileSync(join(root, "secret.txt"), OUTSIDE);
  symlinkSync(join(root, "secret.txt"), join(dir, "linked.txt"));
  return dir;
}

/** A server as startServer builds it: security headers, a JSON API route, the hooks' 404s, the UI. */
async function server(dir: string | undefined): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerSecurityHeaders(app);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ error: { code: "NotFound", message: `no route ${request.method} ${request.url}` } });
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  await app.register(
    async (api) => {
      api.get("/whoami", async () => ({ name: "admin" }));
    },
    { prefix: "/api/v1" },
  );
  registerWeb(app, { dir });
  await app.ready();
  return app;
}

const dir = builtUi();

describe("serving the web UI", () => {
  it("answers / and any app path with index.html, a fresh nonce and the Content-Security-Policy", async () => {
    const app = await server(dir);
    const nonces = new Set<string>();
    for (const url of ["/", "/apps/shop/environments/staging", "/executions/abc?tab=stages", "/index.html"]) {
      const res = await app.inject({ method: "GET", url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(res.headers["cache-control"], "no-cache");
      assert.equal(res.headers.etag, undefined, "the page changes with every nonce: no ETag");
      const nonce = /content="([^"]+)"/.exec(res.body)?.[1] ?? "";
      assert.equal(Buffer.from(nonce, "base64").length, 16, res.body);
      assert.ok(!res.body.includes("__CSP_NONCE__"));
      nonces.add(nonce);
      assert.equal(
        res.headers["content-security-policy"],
        `default-src 'none'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; ` +
          "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; " +
          "frame-ancestors 'none'",
      );
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value);
    }
    assert.equal(nonces.size, 4, "a new nonce for every page load");
    const head = await app.inject({ method: "HEAD", url: "/apps/shop" });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, "");
    assert.match(String(head.headers["content-security-policy"]), /nonce-/);
  });

  it("serves files with their type, an ETag, long caching for hashed assets, and gzip when asked", async () => {
    const app = await server(dir);
    const js = await app.inject({ method: "GET", url: "/assets/app-1a2b3c.js" });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, SCRIPT);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(js.headers["content-encoding"], undefined);
    assert.equal(js.headers["x-content-type-options"], "nosniff");
    assert.equal(js.headers["content-security-policy"], undefined);
    const etag = String(js.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);

    const zipped = await app.inject({
      method: "GET",
      url: "/assets/app-1a2b3c.js",
      headers: { "accept-encoding": "br, gzip;q=0.8" },
    });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.equal(zipped.headers.vary, "accept-encoding");
    assert.ok(zipped.rawPayload.length < SCRIPT.length / 5);
    assert.equal(gunzipSync(zipped.rawPayload).toString(), SCRIPT);
    const refused = await app.inject({
      method: "GET",
      url: "/assets/app-1a2b3c.js",
      headers: { "accept-encoding": "gzip;q=0, deflate" },
    });
    assert.equal(refused.headers["content-encoding"], undefined);

    const again = await app.inject({
      method: "GET",
      url: "/assets/app-1a2b3c.js",
      headers: { "if-none-match": etag },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, "");

    const css = await app.inject({ method: "GET", url: "/assets/app-4d5e6f.css" });
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
    const png = await app.inject({
      method: "GET",
      url: "/assets/logo-778899.png",
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(png.headers["content-type"], "image/png");
    assert.equal(png.headers["content-encoding"], undefined, "images are not gzipped");
    const icon = await app.inject({ method: "GET", url: "/favicon.svg" });
    assert.equal(icon.headers["content-type"], "image/svg+xml");
    assert.equal(
      icon.headers["cache-control"],
      "no-cache",
      "files without a hash in their name are revalidated",
    );
    const page = await app.inject({ method: "GET", url: "/", headers: { "accept-encoding": "gzip" } });
    assert.equal(page.headers["content-encoding"], "gzip");
    assert.match(gunzipSync(page.rawPayload).toString(), /<div id="root">/);
  });

  it("answers a missing hashed asset with 404, not with the page", async () => {
    const app = await server(dir);
    const res = await app.inject({ method: "GET", url: "/assets/app-000000.js" });
    assert.equal(res.statusCode, 404);
    assert.doesNotMatch(res.body, /<html/);
  });

  it("never answers with anything outside its folder, however the path is written", async () => {
    const app = await server(dir);
    for (const url of [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%5csecret.txt",
      "/assets%2f..%2f..%2f..%2fsecret.txt",
      "/linked.txt",
      "/%00/../secret.txt",
      "/%E0%A4%A",
      `/${"../".repeat(20)}etc/passwd`,
    ]) {
      const res = await app.inject({ method: "GET", url });
      assert.ok(!res.body.includes(OUTSIDE), `${url} escaped the folder`);
      assert.ok(!res.body.includes("root:"), `${url} read /etc/passwd`);
      assert.ok([200, 400, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
      if (res.statusCode === 200) assert.match(res.body, /<div id="root">/, url);
    }
  });

  it("leaves the server's own paths to the server: the API's 404 stays JSON, its headers secure", async () => {
    const app = await server(dir);
    for (const url of ["/api/v1/nope", "/api", "/hooks/github", "/metrics", "/readyz", "/api%2fv1%2fnope"]) {
      const res = await app.inject({ method: "GET", url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, "NotFound", url);
    }
    const api = await app.inject({ method: "GET", url: "/api/v1/whoami" });
    assert.deepEqual(api.json(), { name: "admin" });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(api.headers[name], value);
    assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    assert.equal((await app.inject({ method: "POST", url: "/apps/shop" })).statusCode, 404);
  });

  it("says the UI is not built when its folder is missing, and the API keeps working", async () => {
    for (const missing of [join(root, "no-such-dir"), undefined]) {
      const app = await server(missing);
      const res = await app.inject({ method: "GET", url: "/" });
      assert.equal(res.statusCode, 503);
      assert.equal(res.body, NOT_BUILT);
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal((await app.inject({ method: "GET", url: "/api/v1/whoami" })).statusCode, 200);
      assert.equal((await app.inject({ method: "GET", url: "/api/v1/nope" })).statusCode, 404);
    }
  });
});

describe("acceptsGzip", () => {
  it("reads Accept-Encoding with its q-values", () => {
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip("gzip, deflate, br"), true);
    assert.equal(acceptsGzip("br;q=1.0, GZIP;q=0.5"), true);
    assert.equal(acceptsGzip("gzip;q=0"), false);
    assert.equal(acceptsGzip("identity"), false);
    assert.equal(acceptsGzip("*"), true);
    assert.equal(acceptsGzip("*;q=0"), false);
    assert.equal(acceptsGzip("gzip;q=0, *"), false);
  });
});

describe("findPackageRoot", () => {
  it("finds the folder of railyard's package.json from the sources and from the bundle's folder", () => {
    const pkg = join(root, "pkg");
    mkdirSync(join(pkg, "src", "cli"), { recursive: true });
    mkdirSync(join(pkg, "dist"), { recursive: true });
    mkdirSync(join(pkg, "node_modules", "other"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "railyard" }));
    writeFileSync(join(pkg, "node_modules", "other", "package.json"), JSON.stringify({ name: "other" }));
    assert.equal(findPackageRoot(join(pkg, "src", "cli")), pkg);
    assert.equal(findPackageRoot(join(pkg, "dist")), pkg);
    assert.equal(findPackageRoot(join(pkg, "node_modules", "other")), pkg);
    assert.equal(findPackageRoot(join(import.meta.dirname)), join(import.meta.dirname, "..", "..", ".."));
  });
});
