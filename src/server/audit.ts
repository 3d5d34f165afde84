import type { Kysely, Selectable } from "kysely";
import type { AuditTable, Tables } from "../adapters/store/tables.js";

export type AuditEntry = Selectable<AuditTable>;

/** Where an action came from. */
export const AUDIT_SOURCES = ["api", "cli", "ui", "webhook", "server"] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];

export interface AuditRecord {
  actor: string;
  source: AuditSource;
  action: string;
  outcome: string;
  app?: string;
  environment?: string;
  executionId?: string;
  revisionBefore?: number;
  revisionAfter?: number;
  /** Never a secret value: callers pass names, ids, messages already scrubbed. */
  detail?: Record<string, unknown>;
}

/** The append-only audit log (the store refuses updates and deletes of its rows). */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly onAppend: (entry: AuditEntry) => void = () => {},
  ) {}

  async append(record: AuditRecord): Promise<void> {
    const entry = await this.db
      .insertInto("audit")
      .values({
        actor: record.actor,
        source: record.source,
        action: record.action,
        outcome: record.outcome,
        app: record.app ?? null,
        environment: record.environment ?? null,
        execution_id: record.executionId ?? null,
        revision_before: record.revisionBefore ?? null,
        revision_after: record.revisionAfter ?? null,
        detail: JSON.stringify(record.detail ?? {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.onAppend(entry);
  }

  /** Newest first, paged by id. */
  list(filter: {
    actor?: string;
    app?: string;
    environment?: string;
    action?: string;
    executionId?: string;
    since?: Date;
    until?: Date;
    before?: number;
    limit: number;
  }): Promise<AuditEntry[]> {
    let query = this.db.selectFrom("audit").selectAll().orderBy("id", "desc").limit(filter.limit);
    if (filter.actor) query = query.where("actor", "=", filter.actor);
    if (filter.app) query = query.where("app", "=", filter.app);
    if (filter.environment) query = query.where("environment", "=", filter.environment);
    if (filter.action) query = query.where("action", "=", filter.action);
    if (filter.executionId) query = query.where("execution_id", "=", filter.executionId);
    if (filter.since) query = query.where("at", ">=", filter.since);
    if (filter.until) query = query.where("at", "<", filter.until);
    if (filter.before !== undefined) query = query.where("id", "<", filter.before);
    return query.execute();
  }
}
