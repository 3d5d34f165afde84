import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOk } from "./processes.js";

export interface GitServer {
  /** Base URL; a repository `NAME` is at `${url}/NAME.git`. */
  url: string;
  /** Creates an empty bare repository that accepts pushes. */
  createRepository(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface GitServerOptions {
  /** Require HTTP basic auth with these credentials, as a hosted git server would. */
  auth?: { username: string; password: string };
}

/**
 * Serves bare repositories over git's smart HTTP protocol by running `git http-backend` as a CGI
 * program for each request, the way a web server in front of git does.
 */
export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), "railyard-git-"));
  const server = createServer((req, res) => {
    if (options.auth && !authorized(req, options.auth)) {
      res
        .writeHead(401, { "WWW-Authenticate": 'Basic realm="railyard-testkit"' })
        .end("authentication required\n");
      return;
    }
    serveCgi(root, req, res, options.auth?.username);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async createRepository(name) {
      await runOk("git", ["init", "--quiet", "--bare", "--initial-branch=main", join(root, `${name}.git`)]);
      await runOk("git", ["-C", join(root, `${name}.git`), "config", "http.receivepack", "true"]);
      return `${url}/${name}.git`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function authorized(req: IncomingMessage, auth: { username: string; password: string }): boolean {
  const header = req.headers.authorization ?? "";
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  return header === expected;
}

function serveCgi(root: string, req: IncomingMessage, res: ServerResponse, user: string | undefined): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const cgi = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      REMOTE_USER: user ?? "anonymous",
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  req.pipe(cgi.stdin);
  // A CGI response is headers, a blank line, then the body.
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on("close", (code) => {
    if (!headersDone) res.writeHead(code === 0 ? 200 : 500);
    res.end();
  });
}
