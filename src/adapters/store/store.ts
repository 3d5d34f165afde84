import { mkdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { PGlite, types } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { UpstreamError } from "../../core/errors.js";
import { migrationProvider } from "./migrations.js";
import { PGlitePool } from "./pglite-pool.js";
import type { Tables } from "./tables.js";

export interface Store {
  db: Kysely<Tables>;
  /** `postgres` (DATABASE_URL) or `embedded` (PGlite files under the data directory). */
  kind: "postgres" | "embedded";
  close(): Promise<void>;
}

/**
 * Opens the server's store and brings its schema up to date: PostgreSQL when a URL is given (several
 * server replicas share it), else an embedded PostgreSQL (PGlite) kept in `dataDir`, which needs no
 * server to install. Both speak the same SQL, so there is one set of queries and migrations.
 */
export async function openStore(options: { databaseUrl?: string; dataDir: string }): Promise<Store> {
  let db: Kysely<Tables>;
  let kind: Store["kind"];
  if (options.databaseUrl) {
    // bigint columns (sequence numbers) fit in a JS number for any realistic count.
    pg.types.setTypeParser(20, (value) => Number(value));
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    pool.on("error", () => {
      // An idle client lost its connection (PostgreSQL restarted): the pool replaces it.
    });
    db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    kind = "postgres";
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    // PGlite is PostgreSQL as 9 MB of WebAssembly. V8 compiles it first with its baseline compiler
    // (Liftoff) and then again, function by function, with its optimizing one: the second copy of
    // machine code and the compiler's working memory cost ≈ 60 MiB of the server's memory
    // (bench/server.ts: 245-261 MiB → 189-190 MiB with 3,000 app-environments) for no difference
    // in the app list's latency. Set before the module is compiled; it concerns WebAssembly only.
    setFlagsFromString("--liftoff-only");
    const lite = await PGlite.create(options.dataDir, {
      parsers: { [types.INT8]: (value: string) => Number(value) },
      // PostgreSQL's defaults size buffers for a server of its own; in-process they are most of the
      // server's memory (128 MB of shared buffers alone) and a small store does not need them.
      postgresqlconf: [
        "shared_buffers = 8MB",
        "wal_buffers = 1MB",
        "work_mem = 2MB",
        "maintenance_work_mem = 8MB",
        "temp_buffers = 2MB",
        "max_connections = 10",
      ],
    });
    db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new PGlitePool(lite) as never }) });
    kind = "embedded";
  }
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) throw error;
  } catch (error) {
    await db.destroy().catch(() => {});
    const where =
      kind === "postgres" ? "PostgreSQL at DATABASE_URL" : `the embedded store in ${options.dataDir}`;
    throw new UpstreamError(`Cannot open ${where}: ${(error as Error).message}`, {
      hint:
        kind === "postgres"
          ? "Check that PostgreSQL is running and DATABASE_URL (postgres://user:password@host:port/db) is right."
          : "Another server may be using this directory, or it is damaged; move it aside to start afresh.",
      cause: error,
    });
  }
  return { db, kind, close: () => db.destroy() };
}
