import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ConflictError, StoppedError } from "../../core/errors.js";
import { executionProgress } from "../../core/pipeline/progress.js";
import {
  FINAL_STAGE_STATUSES,
  type PipelineDefinition,
  type StageDefinition,
  type StageStatus,
} from "../../core/pipeline/types.js";
import type { Reporter } from "../../delivery/reporter.js";
import type { AuditLog } from "../audit.js";
import type { PlatformSource } from "../config.js";
import type { EventBus } from "../events.js";
import type { Metrics } from "../metrics.js";
import type { DeployedState, Overview } from "../overview.js";
import { runStage, type StageOutcome } from "./stages.js";
import type { ExecutionRow, ExecutionStore, StageRow } from "./store.js";

export interface WorkerOptions {
  store: ExecutionStore;
  audit: AuditLog;
  events: EventBus;
  metrics: Metrics;
  /** The what-runs-where index, updated as deploy and rollback stages finish. */
  overview?: Overview;
  platform: PlatformSource;
  checkoutsDir: string;
  /** How long a claim lasts without renewal: a killed worker's executions are taken over after it. */
  leaseMs?: number;
  /** How often an idle worker looks for due executions (a local kick wakes it at once). */
  pollMs?: number;
  /** Executions advanced side by side by this process. */
  concurrency?: number;
  log?: (line: string) => void;
}

/**
 * Advances executions: claims one that is due, runs what its state allows, stores every stage
 * outcome, and gives it back with the time to look again. Any number of workers (in one process or
 * in several server replicas) share the store safely.
 */
export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private running = false;
  /** Aborted by stop(): stages waiting for a rollout or a lock give up at once. */
  private stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private sleepers = new Set<() => void>();
  private storeDown = false;
  /** Executions this worker's loops are advancing now. */
  private readonly active = new Set<string>();

  constructor(private readonly options: WorkerOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? 500;
    this.concurrency = options.concurrency ?? 4;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  /** Something became due (a new execution, an approval): look now instead of at the next poll. */
  kick(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /**
   * Stops claiming work and ends what is in flight: a stage waiting for a rollout stops waiting and
   * stays as it was (its record "deploying"), and its execution is given back, due again in a few
   * seconds, for whichever worker runs next (this server restarted, or a replica).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.kick();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed: ExecutionRow | undefined;
      try {
        claimed = await this.options.store.claimDue(this.owner, this.leaseMs);
        if (this.storeDown) this.options.log?.("worker: the store answers again");
        this.storeDown = false;
      } catch (error) {
        // The store is unreachable (PostgreSQL restarting): try again after a pause, saying so once.
        if (!this.storeDown) this.options.log?.(`worker: cannot claim work: ${(error as Error).message}`);
        this.storeDown = true;
      }
      if (claimed && this.active.has(claimed.id)) {
        // Another loop of this worker is still advancing it: its lease ran out while the store was
        // unreachable, and claiming it again (same owner) only extended it. Advancing it here too would
        // run its stages twice at once.
        continue;
      }
      if (claimed) {
        await this.advanceClaimed(claimed).catch((error: unknown) =>
          this.options.log?.(
            error instanceof StoppedError
              ? `worker: execution ${claimed.id}: ${error.message}; it goes on when taken up again`
              : `worker: execution ${claimed.id}: ${(error as Error).stack ?? String(error)}`,
          ),
        );
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, this.pollMs);
        this.sleepers.add(wake);
      });
    }
  }

  /** Runs `advance` under the lease, renewing it, and always gives the execution back. */
  private async advanceClaimed(execution: ExecutionRow): Promise<void> {
    const { store } = this.options;
    const renew = setInterval(() => {
      void store.renewLease(execution.id, this.owner, this.leaseMs).catch(() => {});
    }, this.leaseMs / 3);
    let nextRunAt: Date | null = new Date(Date.now() + 5_000);
    this.active.add(execution.id);
    try {
      nextRunAt = await this.advance(execution.id);
    } finally {
      this.active.delete(execution.id);
      clearInterval(renew);
      await store.release(execution.id, this.owner, nextRunAt).catch(() => {});
    }
  }

  /**
   * One step of an execution's state machine, repeated until it must wait: returns when to look
   * again (null: only when woken, or never once it is final).
   */
  async advance(executionId: string): Promise<Date | null> {
    const { store } = this.options;
    for (;;) {
      const execution = await store.get(executionId);
      if (!execution || ["succeeded", "failed", "cancelled", "superseded"].includes(execution.status))
        return null;
      const definition = execution.definition as PipelineDefinition;
      const stages = await store.stages(executionId);

      if (execution.cancel_requested) {
        await this.cancel(execution, stages);
        return null;
      }
      if (execution.status === "queued") {
        if (definition.supersedeQueued) {
          for (const id of await store.supersedeOlder(execution)) {
            await this.finishedExecution({ ...execution, id }, "superseded", `superseded by ${execution.id}`);
          }
        }
        const admission = await store.admit(execution);
        if (!admission.admitted) {
          const message = `queued behind execution ${admission.blockedBy.id} (${admission.blockedBy.pipeline}), which deploys to the same environment`;
          if (execution.message !== message) {
            await store.setStatus(execution.id, "queued", { message });
            this.publishExecution(execution, "queued", message);
          }
          return new Date(Date.now() + 2_000);
        }
        this.publishExecution(execution, "running", null);
        await this.options.audit.append({
          actor: execution.actor,
          source: "server",
          action: "execution.started",
          outcome: "running",
          app: execution.app,
          executionId: execution.id,
          detail: { pipeline: execution.pipeline },
        });
        continue;
      }

      const statuses = new Map(stages.map((s) => [s.id, s.status as StageStatus]));
      const progress = executionProgress(definition, statuses);
      for (const { id, because } of progress.unreachable) {
        await store.setStage(execution.id, id, {
          status: "cancelled",
          message: `not run: ${because}`,
          finished: true,
        });
        this.publishStage(execution, id, "cancelled", `not run: ${because}`);
      }
      if (progress.outcome) {
        const failed = stages
          .filter((s) => s.status === "failed")
          .map((s) => `${s.id}: ${s.message ?? "failed"}`);
        await this.finishedExecution(execution, progress.outcome, failed.join("; ") || null);
        return null;
      }

      // Stages to run now: the runnable ones, those waiting whose time has come or that may have been
      // decided, and those a dead worker left running.
      const now = Date.now();
      const byId = new Map(definition.stages.map((s) => [s.id, s]));
      const due = stages.filter(
        (s) =>
          progress.runnable.includes(s.id) ||
          s.status === "running" ||
          (s.status === "waiting" &&
            (s.kind === "approval" || !s.output.retryAt || Date.parse(String(s.output.retryAt)) <= now) &&
            (s.kind !== "wait" || Date.parse(String(s.output.until)) <= now)),
      );
      if (due.length === 0) return this.waitFor(execution, stages);
      if (execution.status !== "running") {
        await store.setStatus(execution.id, "running", { message: null });
        this.publishExecution(execution, "running", null);
      }

      const outcomes = await Promise.all(
        due.map((state) => this.runOne(execution, byId.get(state.id)!, state, stages)),
      );
      // Every stage now waiting with nothing new: look again when the earliest is due.
      if (outcomes.every((o, i) => o.status === "waiting" && due[i]!.status === "waiting")) {
        return this.waitFor({ ...execution, status: "running" }, await store.stages(executionId));
      }
    }
  }

  private async runOne(
    execution: ExecutionRow,
    stage: StageDefinition,
    state: StageRow,
    stages: StageRow[],
  ): Promise<StageOutcome> {
    const { store, metrics } = this.options;
    const first = state.status === "pending";
    if (first) {
      await store.setStage(execution.id, stage.id, { status: "running", message: null, started: true });
      this.publishStage(execution, stage.id, "running", null);
    }
    const started = Date.now();
    const outcome = await runStage({
      execution,
      stage,
      state,
      stages,
      platform: this.options.platform,
      checkoutsDir: this.options.checkoutsDir,
      reporter: this.reporter(execution, stage.id),
      signal: this.stopping.signal,
    });
    const final = FINAL_STAGE_STATUSES.includes(outcome.status);
    if (outcome.status === "waiting" && state.status === "waiting" && state.message === outcome.message) {
      return outcome; // nothing new to store
    }
    // The stage may have run long enough for the lease to run out (the store was unreachable, the
    // process stalled) and another replica to take the execution over and run this stage again. The
    // effect happened once either way (release records by origin); its outcome is stored, audited and
    // counted by whoever holds the lease.
    if (!(await store.renewLease(execution.id, this.owner, this.leaseMs))) {
      throw new ConflictError(
        `lost the lease of execution ${execution.id} while stage ${stage.id} ran; the worker that took it over records the outcome`,
      );
    }
    await store.setStage(execution.id, stage.id, {
      status: outcome.status,
      message: outcome.message,
      output: outcome.output ?? state.output,
      finished: final,
    });
    this.publishStage(execution, stage.id, outcome.status, outcome.message);
    if (
      outcome.status !== "waiting" &&
      outcome.environment &&
      (stage.kind === "deploy" || stage.kind === "rollback")
    ) {
      // After a failed rollout that rolled back, the environment runs the rollback's revision: the
      // index shows that version, marked failed with the diagnosis, not the version that failed.
      const serving = "serving" in outcome ? outcome.serving : undefined;
      await this.options.overview?.record({
        app: execution.app,
        environment: outcome.environment,
        revision: serving?.revision ?? outcome.revisionAfter,
        status: outcome.status === "succeeded" ? "succeeded" : "failed",
        images: serving?.images ?? (outcome.output?.images as DeployedState["images"] | undefined) ?? [],
        args: serving?.args ?? execution.args,
        message: outcome.message,
        executionId: execution.id,
        actor: execution.actor,
      });
    }
    if (final) {
      metrics.stageFinished(
        stage.kind,
        outcome.status,
        (Date.now() - (state.started_at?.getTime() ?? started)) / 1000,
      );
      await this.options.audit.append({
        actor: execution.actor,
        source: "server",
        action: `stage.${stage.kind}`,
        outcome: outcome.status,
        app: execution.app,
        environment: "environment" in outcome ? outcome.environment : undefined,
        executionId: execution.id,
        revisionAfter: "revisionAfter" in outcome ? outcome.revisionAfter : undefined,
        detail: { stage: stage.id, message: outcome.message },
      });
    }
    return outcome;
  }

  /** Nothing can run now: the execution waits (for a person, a time, a retry) until `nextLook`. */
  private async waitFor(execution: ExecutionRow, stages: StageRow[]): Promise<Date | null> {
    const waiting = stages.filter((s) => s.status === "waiting");
    if (waiting.length > 0 && execution.status !== "waiting") {
      const message = waiting.map((s) => `${s.id}: ${s.message ?? "waiting"}`).join("; ");
      await this.options.store.setStatus(execution.id, "waiting", { message });
      this.publishExecution(execution, "waiting", message);
    }
    return this.nextLook(stages);
  }

  private nextLook(stages: StageRow[]): Date | null {
    const times = stages
      .filter((s) => s.status === "waiting")
      .flatMap((s) => [s.output.retryAt, s.output.until, s.output.deadline])
      .filter((t): t is string => typeof t === "string")
      .map((t) => Date.parse(t));
    return times.length > 0 ? new Date(Math.min(...times)) : null;
  }

  private async cancel(execution: ExecutionRow, stages: StageRow[]): Promise<void> {
    for (const stage of stages) {
      if (FINAL_STAGE_STATUSES.includes(stage.status as StageStatus)) continue;
      await this.options.store.setStage(execution.id, stage.id, {
        status: "cancelled",
        message: "the execution was cancelled",
        finished: true,
      });
      this.publishStage(execution, stage.id, "cancelled", "the execution was cancelled");
    }
    await this.finishedExecution(execution, "cancelled", "cancelled");
  }

  private async finishedExecution(
    execution: ExecutionRow,
    status: string,
    message: string | null,
  ): Promise<void> {
    const { store } = this.options;
    await store.setStatus(execution.id, status, { message, finished: true });
    this.publishExecution(execution, status, message);
    this.options.metrics.executionFinished(status);
    await this.options.audit.append({
      actor: execution.actor,
      source: "server",
      action: "execution.finished",
      outcome: status,
      app: execution.app,
      executionId: execution.id,
      detail: { pipeline: execution.pipeline, message },
    });
    // Executions queued behind this one may start now.
    await store.wake({ app: execution.app });
    this.kick();
  }

  private reporter(execution: ExecutionRow, stage: string): Reporter {
    const send = (line: string) =>
      this.options.events.publish({
        type: "progress",
        execution: execution.id,
        app: execution.app,
        stage,
        line,
      });
    return { step: send, progress: send, event: send, warn: send };
  }

  private publishExecution(execution: ExecutionRow, status: string, message: string | null): void {
    this.options.events.publish({ type: "execution", id: execution.id, app: execution.app, status, message });
  }

  private publishStage(execution: ExecutionRow, stage: string, status: string, message: string | null): void {
    this.options.events.publish({
      type: "stage",
      execution: execution.id,
      app: execution.app,
      stage,
      status,
      message,
    });
  }
}
