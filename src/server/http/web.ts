import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, posix, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Serving the web UI: a single-page app built into a folder (web/dist). The folder is small, so it is
 * read into memory once at start, with gzip forms of its text files; a request can only ever be
 * answered with one of those files, whatever its path says. Paths that are not files and not the
 * server's own (API, webhooks, health, metrics) answer index.html, where the app's router takes over.
 */

/** The server's own paths: never the UI's, even when nothing there answers. */
const SERVER_PATHS = ["/api", "/hooks", "/healthz", "/readyz", "/metrics"];

/** Headers on every response, the API's included. */
export const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export const NONCE_PLACEHOLDER = "__CSP_NONCE__";

/** The policy of the UI's page: its own files only, and styles that carry this page load's nonce. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const NOT_BUILT = "The web UI is not built here: run `npm run build`.";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
};
const COMPRESSIBLE = new Set([
  ".html",
  ".js",
  ".mjs",
  ".css",
  ".json",
  ".map",
  ".webmanifest",
  ".txt",
  ".xml",
  ".svg",
  ".ico",
]);

/** Hashed build output: its name changes whenever its content does. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/** A folder holding more than this is not a built UI: refuse to read it into memory. */
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

interface StaticFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

interface Site {
  files: Map<string, StaticFile>;
  /** index.html split at its nonce placeholders. */
  index: string[];
}

export interface WebOptions {
  /** The built UI; undefined or missing: `/` says the UI is not built, and the API works as ever. */
  dir?: string;
  log?: (line: string) => void;
}

/** Adds the security headers to every response, also those written directly (event and log streams). */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onRequest", async (_request, reply) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
  });
}

/** Serves the UI at every path that is not the server's own. */
export function registerWeb(app: FastifyInstance, options: WebOptions): void {
  const site = options.dir ? loadSite(options.dir, options.log) : undefined;
  if (!site) options.log?.(`No web UI at ${options.dir ?? "(no folder given)"}: / answers 503.`);
  app.get("/*", (request, reply) => {
    serve(site, request, reply);
  });
}

function serve(site: Site | undefined, request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.url.split("?")[0] ?? "/";
  let path: string;
  try {
    path = posix.normalize(decodeURIComponent(raw));
  } catch {
    path = "/"; // malformed escapes: not a file, so the app's page
  }
  if (
    SERVER_PATHS.some((p) => raw === p || raw.startsWith(`${p}/`) || path === p || path.startsWith(`${p}/`))
  ) {
    reply.callNotFound();
    return;
  }
  if (!site) {
    void reply
      .code(503)
      .type("text/plain; charset=utf-8")
      .header("cache-control", "no-store")
      .send(NOT_BUILT);
    return;
  }
  const file = path === "/index.html" ? undefined : site.files.get(path);
  if (file) sendFile(file, request, reply);
  // A missing hashed file is a 404: answering it with the page would hand a script tag HTML.
  else if (path.startsWith("/assets/")) {
    void reply
      .code(404)
      .type("text/plain; charset=utf-8")
      .header("cache-control", "no-store")
      .send("Not found.");
  } else sendIndex(site, request, reply);
}

function sendFile(file: StaticFile, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header("etag", file.etag).header("cache-control", file.cacheControl);
  if (file.gzip) void reply.header("vary", "accept-encoding");
  if (etagMatches(request.headers["if-none-match"], file.etag)) {
    void reply.code(304).send();
    return;
  }
  void reply.type(file.type);
  const gzip = file.gzip && acceptsGzip(request.headers["accept-encoding"]);
  if (gzip) void reply.header("content-encoding", "gzip");
  void reply.send(gzip ? file.gzip : file.body);
}

/**
 * The page, with a fresh nonce in its placeholder and in its policy. It has no ETag: a cached page
 * would carry an old nonce that a new policy does not allow.
 */
function sendIndex(site: Site, request: FastifyRequest, reply: FastifyReply): void {
  const nonce = randomBytes(16).toString("base64");
  const body = Buffer.from(site.index.join(nonce));
  void reply
    .type(CONTENT_TYPES[".html"]!)
    .header("cache-control", "no-cache")
    .header("content-security-policy", contentSecurityPolicy(nonce))
    .header("vary", "accept-encoding");
  const gzip = acceptsGzip(request.headers["accept-encoding"]);
  if (gzip) void reply.header("content-encoding", "gzip");
  void reply.send(gzip ? gzipSync(body) : body);
}

/** Reads the built UI into memory; undefined when there is none (no folder, or no index.html in it). */
export function loadSite(dir: string, log?: (line: string) => void): Site | undefined {
  if (!existsSync(join(dir, "index.html"))) return undefined;
  const files = new Map<string, StaticFile>();
  let total = 0;
  // Regular files only: a symbolic link could point anywhere.
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    total += statSync(full).size;
    if (total > MAX_TOTAL_BYTES) {
      log?.(`The web UI folder ${dir} holds more than ${MAX_TOTAL_BYTES / 1024 / 1024} MiB: not serving it.`);
      return undefined;
    }
    const path = `/${relative(dir, full).split(sep).join("/")}`;
    const ext = extname(entry.name).toLowerCase();
    const body = readFileSync(full);
    const gzip = COMPRESSIBLE.has(ext) ? gzipSync(body, { level: 9 }) : undefined;
    files.set(path, {
      body,
      gzip: gzip && gzip.length < body.length ? gzip : undefined,
      type: CONTENT_TYPES[ext] ?? "application/octet-stream",
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      cacheControl: path.startsWith("/assets/") ? IMMUTABLE : "no-cache",
    });
  }
  const index = files.get("/index.html")!.body.toString("utf8").split(NONCE_PLACEHOLDER);
  return { files, index };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === etag || tag === "*");
}

/** True when the client takes gzip: `gzip` (or `*`) listed without q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === "gzip" || coding === "x-gzip") return accepted;
    if (coding === "*") star = accepted;
  }
  return star ?? false;
}

/**
 * The installed package's root: the nearest folder at or above `start` holding the package.json of
 * "railyard". From the sources `start` is src/cli; from the bundle (dist/railyard.cjs) it is dist.
 */
export function findPackageRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "railyard") return dir;
      } catch {
        // not ours
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
