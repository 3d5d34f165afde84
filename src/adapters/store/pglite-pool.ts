import type { PGlite } from "@electric-sql/pglite";

/**
 * Lets kysely's PostgresDialect drive an embedded PGlite database: PGlite is one connection, so the
 * "pool" hands it to one borrower at a time (a transaction keeps it until released).
 */
export class PGlitePool {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly db: PGlite) {}

  connect(): Promise<{
    query: (
      sql: string,
      params: unknown[],
    ) => Promise<{ command: string; rowCount: number; rows: unknown[] }>;
    release: () => void;
  }> {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise((resolve) => (release = resolve));
    return previous.then(() => ({
      query: async (sql: string, params: unknown[]) => {
        const result = await this.db.query(sql, params);
        return {
          command: sql.trimStart().split(/\s/, 1)[0]!.toUpperCase(),
          rowCount: result.affectedRows ?? result.rows.length,
          rows: result.rows,
        };
      },
      release,
    }));
  }

  async end(): Promise<void> {
    await this.queue;
    await this.db.close();
  }
}
