import { type Kysely, type Migration, type MigrationProvider, sql } from "kysely";

/**
 * One set of migrations for both stores (PostgreSQL and the embedded PGlite): the same dialect, so
 * what runs in the demo is what runs in production. Never edit a migration that has shipped; add one.
 */
const migrations: Record<string, Migration> = {
  "0001-executions": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("executions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("seq", "bigserial", (c) => c.notNull().unique())
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("pipeline", "text", (c) => c.notNull())
        .addColumn("definition", "jsonb", (c) => c.notNull())
        .addColumn("trigger", "jsonb", (c) => c.notNull())
        .addColumn("trigger_key", "text", (c) => c.notNull())
        .addColumn("args", "jsonb", (c) => c.notNull())
        .addColumn("source", "jsonb", (c) => c.notNull())
        .addColumn("targets", "jsonb", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("started_at", "timestamptz")
        .addColumn("finished_at", "timestamptz")
        .addColumn("next_run_at", "timestamptz")
        .addColumn("lease_owner", "text")
        .addColumn("lease_until", "timestamptz")
        .addColumn("cancel_requested", "boolean", (c) => c.notNull().defaultTo(false))
        .addUniqueConstraint("executions_trigger_once", ["app", "pipeline", "trigger_key"])
        .execute();
      await db.schema
        .createIndex("executions_due")
        .on("executions")
        .columns(["status", "next_run_at"])
        .execute();
      await db.schema.createIndex("executions_app").on("executions").columns(["app", "seq"]).execute();

      await db.schema
        .createTable("stages")
        .addColumn("execution_id", "text", (c) => c.notNull().references("executions.id").onDelete("cascade"))
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("started_at", "timestamptz")
        .addColumn("finished_at", "timestamptz")
        .addColumn("output", "jsonb", (c) => c.notNull())
        .addPrimaryKeyConstraint("stages_pk", ["execution_id", "id"])
        .execute();

      await db.schema
        .createTable("audit")
        .addColumn("id", "bigserial", (c) => c.primaryKey())
        .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("app", "text")
        .addColumn("environment", "text")
        .addColumn("execution_id", "text")
        .addColumn("revision_before", "integer")
        .addColumn("revision_after", "integer")
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("detail", "jsonb", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_app").on("audit").columns(["app", "id"]).execute();
      // Append-only: the store refuses to change or remove an audit entry.
      await sql`create function audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'the audit log is append-only'; end $$`.execute(db);
      await sql`create trigger audit_append_only before update or delete on audit
        for each row execute function audit_append_only()`.execute(db);

      await db.schema
        .createTable("tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull().unique())
        .addColumn("roles", "jsonb", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("revoked_at", "timestamptz")
        .execute();
    },
  },
  "0002-app-environments": {
    async up(db: Kysely<unknown>) {
      // What runs where, as the last deploy stage left it: the overview reads this, not the clusters.
      await db.schema
        .createTable("app_environments")
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("environment", "text", (c) => c.notNull())
        .addColumn("revision", "integer")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("images", "jsonb", (c) => c.notNull())
        .addColumn("args", "jsonb", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("execution_id", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint("app_environments_pk", ["app", "environment"])
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
