import { randomUUID } from "node:crypto";
import { type Kysely, type Selectable, sql } from "kysely";
import type { PipelineDefinition, StageStatus } from "../../core/pipeline/types.js";
import type { ExecutionsTable, StagesTable, Tables } from "../../adapters/store/tables.js";

export type ExecutionRow = Selectable<ExecutionsTable>;
export type StageRow = Selectable<StagesTable>;

/** Where an execution reads the app file: a registered repository at one commit. */
export interface ExecutionSource {
  repository: string;
  url: string;
  commit: string;
  path: string;
}

export interface NewExecution {
  app: string;
  definition: PipelineDefinition;
  trigger: Record<string, unknown>;
  triggerKey: string;
  args: Record<string, string>;
  source: ExecutionSource;
  actor: string;
}

const DEPLOY_KINDS = new Set(["deploy", "patch", "rollback"]);

/** The environments an execution changes: executions of one app sharing any of them run one at a time. */
export function deployTargets(definition: PipelineDefinition): string[] {
  return [
    ...new Set(
      definition.stages.flatMap((s) =>
        DEPLOY_KINDS.has(s.kind) ? [(s as { environment: string }).environment] : [],
      ),
    ),
  ];
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Executions and their stages in the store; every change to them goes through here. Times are
 * `clock_timestamp()`, not `now()`: `now()` is when the transaction began, and a transaction that
 * waited (for the app's advisory lock, say) would record a start before what it waited for ended.
 */
export class ExecutionStore {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * Creates an execution, or returns the one a duplicate delivery already created (same app, pipeline
   * and trigger key): `created` says which.
   */
  async create(input: NewExecution): Promise<{ execution: ExecutionRow; created: boolean }> {
    const id = randomUUID();
    const inserted = await this.db
      .insertInto("executions")
      .values({
        id,
        app: input.app,
        pipeline: input.definition.name,
        definition: json(input.definition),
        trigger: json(input.trigger),
        trigger_key: input.triggerKey,
        args: json(input.args),
        source: json(input.source),
        targets: json(deployTargets(input.definition)),
        status: "queued",
        actor: input.actor,
        next_run_at: new Date(),
      })
      .onConflict((c) => c.constraint("executions_trigger_once").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      await this.db
        .insertInto("stages")
        .values(
          input.definition.stages.map((stage) => ({
            execution_id: id,
            id: stage.id,
            kind: stage.kind,
            status: "pending",
            output: json({}),
          })),
        )
        .execute();
      return { execution: inserted, created: true };
    }
    const existing = await this.db
      .selectFrom("executions")
      .selectAll()
      .where("app", "=", input.app)
      .where("pipeline", "=", input.definition.name)
      .where("trigger_key", "=", input.triggerKey)
      .executeTakeFirstOrThrow();
    return { execution: existing, created: false };
  }

  get(id: string): Promise<ExecutionRow | undefined> {
    return this.db.selectFrom("executions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  stages(id: string): Promise<StageRow[]> {
    return this.db.selectFrom("stages").selectAll().where("execution_id", "=", id).execute();
  }

  /** Newest first, paged by sequence number (`before` = the last `seq` of the previous page). */
  list(filter: { app?: string; status?: string; before?: number; limit: number }): Promise<ExecutionRow[]> {
    let query = this.db.selectFrom("executions").selectAll().orderBy("seq", "desc").limit(filter.limit);
    if (filter.app) query = query.where("app", "=", filter.app);
    if (filter.status) query = query.where("status", "=", filter.status);
    if (filter.before !== undefined) query = query.where("seq", "<", filter.before);
    return query.execute();
  }

  /** The newest execution of every app (a summary: no definition, trigger or args). */
  latestOfEveryApp() {
    return this.db
      .selectFrom("executions")
      .select(["id", "app", "pipeline", "status", "message", "created_at"])
      .distinctOn("app")
      .orderBy("app")
      .orderBy("seq", "desc")
      .execute();
  }

  /**
   * Takes one execution that is due and not leased by a live worker. SKIP LOCKED lets several server
   * replicas claim side by side; an expired lease (its worker died) makes the execution claimable again.
   */
  async claimDue(owner: string, leaseMs: number): Promise<ExecutionRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const due = await tx
        .selectFrom("executions")
        .select("id")
        .where("status", "in", ["queued", "running", "waiting"])
        .where("next_run_at", "<=", sql<Date>`clock_timestamp()`)
        .where((w) =>
          w.or([w("lease_until", "is", null), w("lease_until", "<", sql<Date>`clock_timestamp()`)]),
        )
        .orderBy("next_run_at")
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!due) return undefined;
      return tx
        .updateTable("executions")
        .set({
          lease_owner: owner,
          lease_until: sql<Date>`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval`,
        })
        .where("id", "=", due.id)
        .returningAll()
        .executeTakeFirst();
    });
  }

  /** Extends this worker's lease; false when it was lost (expired and taken by another worker). */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const renewed = await this.db
      .updateTable("executions")
      .set({ lease_until: sql<Date>`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval` })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .returning("id")
      .executeTakeFirst();
    return renewed !== undefined;
  }

  /** Gives the execution back, to be looked at again at `nextRunAt` (null: only when woken). */
  async release(id: string, owner: string, nextRunAt: Date | null): Promise<void> {
    await this.db
      .updateTable("executions")
      .set({ lease_owner: null, lease_until: null, next_run_at: nextRunAt })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .execute();
  }

  /** Makes executions due now (an approval was given, a blocking execution finished). */
  async wake(where: { id?: string; app?: string }): Promise<void> {
    let query = this.db
      .updateTable("executions")
      .set({ next_run_at: sql<Date>`clock_timestamp()` })
      .where("status", "in", ["queued", "running", "waiting"]);
    if (where.id) query = query.where("id", "=", where.id);
    if (where.app) query = query.where("app", "=", where.app);
    await query.execute();
  }

  async setStatus(
    id: string,
    status: string,
    fields: { message?: string | null; started?: boolean; finished?: boolean } = {},
  ): Promise<void> {
    await this.db
      .updateTable("executions")
      .set({
        status,
        ...(fields.message !== undefined ? { message: fields.message } : {}),
        ...(fields.started ? { started_at: sql<Date>`coalesce(started_at, clock_timestamp())` } : {}),
        ...(fields.finished ? { finished_at: sql<Date>`clock_timestamp()` } : {}),
      })
      .where("id", "=", id)
      .execute();
  }

  async setStage(
    executionId: string,
    stageId: string,
    change: {
      status: StageStatus;
      message?: string | null;
      output?: Record<string, unknown>;
      started?: boolean;
      finished?: boolean;
    },
  ): Promise<void> {
    await this.db
      .updateTable("stages")
      .set({
        status: change.status,
        ...(change.message !== undefined ? { message: change.message } : {}),
        ...(change.output !== undefined ? { output: json(change.output) } : {}),
        ...(change.started
          ? {
              started_at: sql<Date>`coalesce(started_at, clock_timestamp())`,
              attempts: sql<number>`attempts + 1`,
            }
          : {}),
        ...(change.finished ? { finished_at: sql<Date>`clock_timestamp()` } : {}),
      })
      .where("execution_id", "=", executionId)
      .where("id", "=", stageId)
      .execute();
  }

  /**
   * Admits a queued execution when no earlier unfinished execution of the same app shares one of its
   * deploy targets; returns the blocking execution otherwise. An advisory lock per app makes the check
   * and the admission one step across replicas.
   */
  async admit(
    execution: ExecutionRow,
  ): Promise<{ admitted: true } | { admitted: false; blockedBy: ExecutionRow }> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`railyard:${execution.app}`}))`.execute(tx);
      const others = await tx
        .selectFrom("executions")
        .selectAll()
        .where("app", "=", execution.app)
        .where("id", "!=", execution.id)
        .where((w) =>
          w.or([
            w("status", "in", ["running", "waiting"]),
            w.and([w("status", "=", "queued"), w("seq", "<", execution.seq)]),
          ]),
        )
        .orderBy("seq")
        .execute();
      const mine = new Set(execution.targets);
      const blockedBy = others.find((o) => o.targets.some((t) => mine.has(t)));
      if (blockedBy) return { admitted: false as const, blockedBy };
      await tx
        .updateTable("executions")
        .set({
          status: "running",
          started_at: sql<Date>`coalesce(started_at, clock_timestamp())`,
          message: null,
        })
        .where("id", "=", execution.id)
        .execute();
      return { admitted: true as const };
    });
  }

  /** Older queued executions of the same app and pipeline that a newer one replaces. */
  async supersedeOlder(execution: ExecutionRow): Promise<string[]> {
    const rows = await this.db
      .updateTable("executions")
      .set({
        status: "superseded",
        finished_at: sql<Date>`clock_timestamp()`,
        message: `superseded by ${execution.id}`,
      })
      .where("app", "=", execution.app)
      .where("pipeline", "=", execution.pipeline)
      .where("status", "=", "queued")
      .where("seq", "<", execution.seq)
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  async requestCancel(id: string): Promise<boolean> {
    const row = await this.db
      .updateTable("executions")
      .set({ cancel_requested: true, next_run_at: sql<Date>`clock_timestamp()` })
      .where("id", "=", id)
      .where("status", "in", ["queued", "running", "waiting"])
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Records a decision on a waiting approval stage, once: the first decision wins, later ones are
   * refused (the stage is no longer waiting or already holds a decision).
   */
  async decide(
    executionId: string,
    stageId: string,
    decision: { approved: boolean; by: string; comment?: string },
  ): Promise<boolean> {
    const output = {
      decision: decision.approved ? "approved" : "rejected",
      by: decision.by,
      comment: decision.comment,
    };
    const row = await this.db
      .updateTable("stages")
      .set({ output: sql`output || ${json(output)}::jsonb` })
      .where("execution_id", "=", executionId)
      .where("id", "=", stageId)
      .where("kind", "=", "approval")
      .where("status", "=", "waiting")
      .where(sql<boolean>`not (output ? 'decision')`)
      .returning("id")
      .executeTakeFirst();
    if (row) await this.wake({ id: executionId });
    return row !== undefined;
  }
}
