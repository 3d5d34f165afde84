import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { stringify } from "yaml";
import { type RunningServer, startServer } from "../../src/server/main.js";
import type { Postgres } from "../testkit/postgres.js";
import { freePort, runOk, waitFor } from "../testkit/processes.js";

const root = join(import.meta.dirname, "..", "..");
const dirs: string[] = [];
const servers: RunningServer[] = [];
const children: ChildProcess[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  await Promise.all(children.map((child) => killProcessGroup(child)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export const ADMIN_TOKEN = "ry_test_admin_token";

/** A git repository on disk holding app files, committed as a developer would. */
export interface AppRepository {
  url: string;
  work: string;
  /** Writes files, commits them, and returns the new commit. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
  /** The paths a commit added, modified and removed, as a git host lists them in a push event. */
  changes(commit: string): Promise<{ added: string[]; modified: string[]; removed: string[] }>;
}

/**
 * `remote`: push to this repository (e.g. one the testkit's git server serves over HTTP) instead of
 * a bare repository on disk; `url` is then the remote's.
 */
export async function createAppRepository(options: { remote?: string } = {}): Promise<AppRepository> {
  const dir = mkdtempSync(join(tmpdir(), "railyard-repo-"));
  dirs.push(dir);
  const bare = options.remote ?? join(dir, "apps.git");
  const work = join(dir, "work");
  if (!options.remote) await runOk("git", ["init", "-q", "--bare", "-b", "main", bare]);
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
    async changes(commit) {
      const out = await git("diff-tree", "--root", "--no-commit-id", "--name-status", "-r", commit);
      const changed = { added: [] as string[], modified: [] as string[], removed: [] as string[] };
      for (const line of out.split("\n").filter(Boolean)) {
        const [status, path] = line.split("\t") as [string, string];
        if (status.startsWith("A")) changed.added.push(path);
        else if (status.startsWith("D")) changed.removed.push(path);
        else changed.modified.push(path);
      }
      return changed;
    },
  };
}

/** Response bodies are walked freely by assertions, which check their shape anyway. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

/** Calls a server's API with a token (default the admin's); returns status and parsed body. */
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) => Promise<{ status: number; body: Body }>;

export function apiClient(url: string): ApiCall {
  return async (method, path, body, token = ADMIN_TOKEN) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Waits until the execution's status is one of `statuses`, and returns it. */
export function waitForExecutionOn(
  api: ApiCall,
  id: string,
  statuses: string[],
  timeoutMs = 60_000,
): Promise<Body> {
  return waitFor(
    `execution ${id} to be ${statuses.join(" or ")}`,
    async () => {
      const { body } = await api("GET", `/api/v1/executions/${id}`);
      return statuses.includes(body.status) ? body : undefined;
    },
    timeoutMs,
  );
}

/** A temporary directory removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Writes a platform config into a fresh directory and returns the file's path. */
export function writePlatformConfig(platform: Record<string, unknown>): string {
  const configFile = join(tempDir("railyard-config-"), "railyard.config.yaml");
  writeFileSync(configFile, stringify(platform));
  return configFile;
}

/** `railyard server` running as its own process, as an operator starts it. */
export interface ServerProcess {
  url: string;
  pid: number;
  api: ApiCall;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL (kill -9): no shutdown code runs. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, as Kubernetes stops a pod: resolves with the exit code once the process is gone. */
  terminate(): Promise<number | null>;
}

export interface ServerProcessOptions {
  configFile: string;
  /** Embedded store and checkouts. */
  dataDir: string;
  /** PostgreSQL instead of the embedded store. */
  databaseUrl?: string;
  leaseMs?: number;
  pollMs?: number;
  workers?: number;
  /** Prefix of its log lines under RAILYARD_DEBUG=1. */
  name?: string;
}

/**
 * Starts `node bin/railyard.js server` (the bundle the test run builds) on a free port and waits until
 * it answers /healthz. It runs in its own process group, killed when the test file ends.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RAILYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    RAILYARD_DATA_DIR: options.dataDir,
    ...(options.leaseMs ? { RAILYARD_LEASE_MS: String(options.leaseMs) } : {}),
    ...(options.pollMs ? { RAILYARD_POLL_MS: String(options.pollMs) } : {}),
    ...(options.workers ? { RAILYARD_WORKERS: String(options.workers) } : {}),
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    [join(root, "bin/railyard.js"), "server", "--config", options.configFile, "--port", String(port)],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  children.push(child);
  let output = "";
  const name = options.name ?? `server ${child.pid}`;
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (process.env.RAILYARD_DEBUG) {
      for (const line of text.trimEnd().split("\n")) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${name} to answer /healthz`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      }
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(
        () => undefined,
      );
      return response?.ok ? true : undefined;
    },
    60_000,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${output}`);
  });
  return {
    url,
    pid: child.pid!,
    api: apiClient(url),
    output: () => output,
    async kill() {
      await killProcessGroup(child);
      await exited;
    },
    async terminate() {
      child.kill("SIGTERM");
      await exited;
      return child.exitCode;
    },
  };
}

/** SIGKILLs a child started with `detached: true` and everything it started, by its process group id. */
async function killProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    return; // already gone
  }
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5_000))]);
}

export interface ServerFixture {
  server: RunningServer;
  configFile: string;
  dir: string;
  /** Calls the API with a token (default the admin's); returns status and parsed body. */
  api: ApiCall;
  /** Creates a token with these roles and returns its value. */
  token(name: string, roles: string[]): Promise<string>;
  /** Waits until the execution's status is one of `statuses`, and returns it. */
  waitForExecution(id: string, statuses: string[], timeoutMs?: number): Promise<Body>;
}

export async function startServerFixture(
  platform: Record<string, unknown>,
  options: { databaseUrl?: string; port?: number; work?: boolean; webDir?: string } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "railyard-server-"));
  dirs.push(dir);
  const configFile = join(dir, "railyard.config.yaml");
  writeFileSync(configFile, stringify(platform));
  const server = await startServer({
    configFile,
    port: options.port ?? 0,
    adminToken: ADMIN_TOKEN,
    databaseUrl: options.databaseUrl,
    work: options.work,
    webDir: options.webDir,
    pollMs: 100,
    log: process.env.RAILYARD_DEBUG ? (line) => process.stderr.write(`[server] ${line}\n`) : () => {},
  });
  servers.push(server);
  const api = apiClient(server.url);
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
    waitForExecution: (id, statuses, timeoutMs) => waitForExecutionOn(api, id, statuses, timeoutMs),
  };
  return fixture;
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

/**
 * Stops the testkit's PostgreSQL the way a crash does (immediate mode: no checkpoint, every
 * connection cut), keeps it down for `downMs`, and starts it again on the same data directory, port
 * and socket directory. The testkit's `stop()` still stops it afterwards (it stops by data directory).
 */
export async function restartPostgres(postgres: Postgres, downMs: number): Promise<void> {
  const show = async (setting: string) =>
    (await runOk("psql", [postgres.url, "-Atc", `show ${setting}`])).trim();
  const data = await show("data_directory");
  const socketDir = (await show("unix_socket_directories")).split(",")[0]!.trim();
  const maxConnections = await show("max_connections");
  // PostgreSQL refuses to run as root: the testkit runs it as the `postgres` user.
  const as = (command: string, args: string[]): [string, string[]] =>
    process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  await runOk(...as(join(PG_BIN, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w"]));
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const options = [
    `-p ${postgres.port}`,
    `-k ${socketDir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    `-c max_connections=${maxConnections}`,
  ].join(" ");
  await runOk(
    ...as(join(PG_BIN, "pg_ctl"), [
      "start",
      "-D",
      data,
      "-w",
      "-t",
      "60",
      "-l",
      join(socketDir, "restarted.log"),
      "-o",
      options,
    ]),
    { timeoutMs: 90_000 },
  );
}

/** One server-sent event: its type, and its data parsed. */
export interface LiveMessage {
  event: string;
  data: Body;
}

/**
 * Opens a server's event stream (as the admin) and reads it until `done` says so, or 30 s pass.
 * Resolves once the stream is open; `read` then resolves to every event read.
 */
export async function collectEvents(
  url: string,
  done: (events: LiveMessage[]) => boolean,
): Promise<{ read: Promise<LiveMessage[]> }> {
  const events: LiveMessage[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: controller.signal,
  });
  if (response.headers.get("content-type") !== "text/event-stream") {
    throw new Error(
      `expected an event stream, got ${response.status} ${response.headers.get("content-type")}`,
    );
  }
  const read = (async () => {
    let buffered = "";
    try {
      for await (const chunk of response.body!) {
        buffered += Buffer.from(chunk).toString("utf8");
        let end: number;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (done(events)) controller.abort();
        }
      }
    } catch {
      // aborted
    } finally {
      clearTimeout(timer);
    }
    return events;
  })();
  return { read };
}
