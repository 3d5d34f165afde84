import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { stringify } from "yaml";
import { type RunningServer, startServer } from "../../src/server/main.js";
import { runOk, waitFor } from "../testkit/processes.js";

const dirs: string[] = [];
const servers: RunningServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export const ADMIN_TOKEN = "ry_test_admin_token";

/** A git repository on disk holding app files, committed as a developer would. */
export interface AppRepository {
  url: string;
  work: string;
  /** Writes files, commits them, and returns the new commit. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
}

export async function createAppRepository(): Promise<AppRepository> {
  const dir = mkdtempSync(join(tmpdir(), "railyard-repo-"));
  dirs.push(dir);
  const bare = join(dir, "apps.git");
  const work = join(dir, "work");
  await runOk("git", ["init", "-q", "--bare", "-b", "main", bare]);
  await runOk("git", ["init", "-q", "-b", "main", work]);
  const git = (...args: string[]) =>
    runOk("git", ["-C", work, "-c", "user.name=Dev", "-c", "user.email=dev@example.test", ...args]);
  return {
    url: bare,
    work,
    async commit(files, message = "change") {
      for (const [path, text] of Object.entries(files)) {
        const full = join(work, path);
        await runOk("mkdir", ["-p", join(full, "..")]);
        writeFileSync(full, text);
      }
      await git("add", "-A");
      await git("commit", "-q", "-m", message);
      await git("push", "-q", bare, "HEAD:main");
      return (await git("rev-parse", "HEAD")).trim();
    },
  };
}

/** Response bodies are walked freely by assertions, which check their shape anyway. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

export interface ServerFixture {
  server: RunningServer;
  configFile: string;
  dir: string;
  /** Calls the API with a token (default the admin's); returns status and parsed body. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Body }>;
  /** Creates a token with these roles and returns its value. */
  token(name: string, roles: string[]): Promise<string>;
  /** Waits until the execution's status is one of `statuses`, and returns it. */
  waitForExecution(id: string, statuses: string[], timeoutMs?: number): Promise<Body>;
}

export async function startServerFixture(
  platform: Record<string, unknown>,
  options: { databaseUrl?: string } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "railyard-server-"));
  dirs.push(dir);
  const configFile = join(dir, "railyard.config.yaml");
  writeFileSync(configFile, stringify(platform));
  const server = await startServer({
    configFile,
    port: 0,
    adminToken: ADMIN_TOKEN,
    databaseUrl: options.databaseUrl,
    pollMs: 100,
    log: process.env.RAILYARD_DEBUG ? (line) => process.stderr.write(`[server] ${line}\n`) : () => {},
  });
  servers.push(server);
  const api: ServerFixture["api"] = async (method, path, body, token = ADMIN_TOKEN) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const fixture: ServerFixture = {
    server,
    configFile,
    dir,
    api,
    async token(name, roles) {
      const created = await api("POST", "/api/v1/tokens", { name, roles });
      if (created.status !== 201) throw new Error(JSON.stringify(created.body));
      return created.body.token as string;
    },
    waitForExecution: (id, statuses, timeoutMs = 60_000) =>
      waitFor(
        `execution ${id} to be ${statuses.join(" or ")}`,
        async () => {
          const { body } = await api("GET", `/api/v1/executions/${id}`);
          return statuses.includes(body.status) ? body : undefined;
        },
        timeoutMs,
      ),
  };
  return fixture;
}
