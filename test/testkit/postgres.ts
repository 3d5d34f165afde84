import { spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, openSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackages } from "./debian.js";
import { freePort, run, runOk, waitFor } from "./processes.js";

export interface Postgres {
  /** A superuser connection URL to the `postgres` database (trust auth on loopback). */
  url: string;
  port: number;
  /** Creates a database and returns its URL; use one per test file. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Starts a throwaway PostgreSQL 15 server (Debian's) on a free loopback port. */
export async function startPostgres(): Promise<Postgres> {
  await ensureDebianPackages(["postgresql-15"]);
  const dir = mkdtempSync(join(tmpdir(), "railyard-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  // PostgreSQL refuses to run as root: run it as the `postgres` user the package creates.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  if (owner) chownSync(dir, ...owner);
  const as = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];

  await runOk(
    ...as(join(PG_BIN, "initdb"), [
      "-D",
      data,
      "--auth=trust",
      "--username=postgres",
      "--encoding=UTF8",
      "--no-sync",
    ]),
  );
  const logFd = openSync(join(dir, "postgres.log"), "a");
  if (owner) chownSync(join(dir, "postgres.log"), ...owner);
  const [cmd, args] = as(join(PG_BIN, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "max_connections=200",
  ]);
  const child = spawn(cmd, args, { stdio: ["ignore", logFd, logFd], detached: true });
  closeSync(logFd);
  child.unref();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(
    "PostgreSQL to accept connections",
    async () => {
      if (child.exitCode !== null)
        throw new Error(`postgres exited (${child.exitCode}); see ${dir}/postgres.log`);
      const ready = await run(join(PG_BIN, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)]);
      return ready.code === 0 ? true : undefined;
    },
    30_000,
  );

  return {
    url,
    port,
    async createDatabase(name) {
      await runOk("psql", [url, "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE "${name}"`]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (existsSync(data))
        await run(...as(join(PG_BIN, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w"]));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already stopped by pg_ctl
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<[number, number]> {
  const uid = Number(await runOk("id", ["-u", "postgres"]));
  const gid = Number(await runOk("id", ["-g", "postgres"]));
  return [uid, gid];
}
