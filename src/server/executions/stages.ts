import { join } from "node:path";
import {
  InputError,
  RailyardError,
  RolloutError,
  type ServingRevision,
  StoppedError,
  UpstreamError,
} from "../../core/errors.js";
import { compileCondition } from "../../core/expressions/condition.js";
import { webhookTargetAllowed } from "../../core/pipeline/definition.js";
import { interpolate } from "../../core/spec/template.js";
import type {
  ApprovalStage,
  CheckStage,
  DeployStage,
  PatchStage,
  RollbackStage,
  StageDefinition,
  StageKind,
  WaitStage,
  WebhookStage,
} from "../../core/pipeline/types.js";
import { checkoutCommit } from "../../adapters/git/checkout.js";
import { deploy, type DeployResult } from "../../delivery/deploy.js";
import { connectEnvironment, rollback } from "../../delivery/releases.js";
import { patchImage } from "../../delivery/patch.js";
import type { Reporter } from "../../delivery/reporter.js";
import type { PlatformSource } from "../config.js";
import type { ExecutionRow, ExecutionSource, StageRow } from "./store.js";

export type StageOutcome =
  | {
      status: "succeeded" | "failed" | "skipped";
      message: string;
      output?: Record<string, unknown>;
      environment?: string;
      revisionBefore?: number;
      revisionAfter?: number;
      /** What the environment runs after this stage, for the what-runs-where index (overview). */
      serving?: ServingRevision;
    }
  | { status: "waiting"; message: string; until?: Date; output?: Record<string, unknown> };

export interface StageRun<S extends StageDefinition = StageDefinition> {
  execution: ExecutionRow;
  stage: S;
  state: StageRow;
  /** Every stage of the execution, for conditions over earlier results. */
  stages: StageRow[];
  platform: PlatformSource;
  checkoutsDir: string;
  reporter: Reporter;
  /** Aborted when the worker stops: a long wait ends, and the stage runs again when taken up. */
  signal?: AbortSignal;
}

/** Retries of a stage whose cluster or server could not be reached: 2 s, 4 s, 8 s, 16 s, then it fails. */
const RETRY_DELAYS_MS = [2_000, 4_000, 8_000, 16_000];

const runners: {
  [K in StageKind]: (run: StageRun<Extract<StageDefinition, { kind: K }>>) => Promise<StageOutcome>;
} = {
  deploy: runDeploy,
  approval: runApproval,
  check: runCheck,
  wait: runWait,
  webhook: runWebhook,
  rollback: runRollback,
  patch: runPatch,
};

/**
 * Runs one stage once. A stage may run more than once (its server was killed, its cluster was down):
 * each runner makes its effect happen once, through the release records' origin or its own output.
 */
export async function runStage(run: StageRun): Promise<StageOutcome> {
  const retryAt = run.state.output.retryAt as string | undefined;
  if (retryAt && Date.parse(retryAt) > Date.now()) {
    return {
      status: "waiting",
      message: run.state.message ?? "retrying",
      until: new Date(retryAt),
      output: run.state.output,
    };
  }
  try {
    return await (runners[run.stage.kind] as (r: StageRun) => Promise<StageOutcome>)(run);
  } catch (error) {
    // Not an outcome: the stage stays as it is and runs again when its execution is taken up.
    if (error instanceof StoppedError) throw error;
    if (error instanceof UpstreamError) return retryLater(run, error);
    if (error instanceof RailyardError) {
      return { status: "failed", message: [error.message, error.hint].filter(Boolean).join(" ") };
    }
    return { status: "failed", message: `internal error: ${(error as Error).message}` };
  }
}

function retryLater(run: StageRun, error: RailyardError): StageOutcome {
  const attempt = Number(run.state.output.retries ?? 0);
  const message = [error.message, error.hint].filter(Boolean).join(" ");
  if (attempt >= RETRY_DELAYS_MS.length) {
    return { status: "failed", message: `gave up after ${attempt + 1} attempts: ${message}` };
  }
  const until = new Date(Date.now() + RETRY_DELAYS_MS[attempt]!);
  return {
    status: "waiting",
    message: `attempt ${attempt + 1} failed, retrying in ${RETRY_DELAYS_MS[attempt]! / 1000}s: ${message}`,
    until,
    output: { ...run.state.output, retries: attempt + 1, retryAt: until.toISOString() },
  };
}

function origin(run: StageRun) {
  return { execution: run.execution.id, stage: run.stage.id };
}

async function appFileOf(run: StageRun): Promise<string> {
  const source = run.execution.source as ExecutionSource;
  const dir = await checkoutCommit(run.platform.remote(source.repository), source.commit, run.checkoutsDir);
  return join(dir, source.path);
}

function revisionOutcome(result: DeployResult, environment: string, verb: string): StageOutcome {
  const { record } = result;
  const succeeded = record.status === "succeeded";
  return {
    status: succeeded ? "succeeded" : "failed",
    message: succeeded
      ? `revision ${record.revision} of ${record.app} ${verb} in ${environment}`
      : `revision ${record.revision} of ${record.app} failed in ${environment}: ${record.diagnosis ?? record.message ?? ""}`,
    output: { revision: record.revision, images: record.images, status: record.status },
    environment,
    revisionAfter: record.revision,
    serving: { revision: record.revision, images: record.images, args: record.args },
  };
}

/** A rollout that failed is the stage's outcome, not an error; any other error goes on up. */
function rolloutFailure(error: unknown, environment: string): StageOutcome {
  if (!(error instanceof RolloutError)) throw error;
  return { status: "failed", message: error.message, environment, serving: error.serving };
}

async function runDeploy(run: StageRun<DeployStage>): Promise<StageOutcome> {
  const appFile = await appFileOf(run);
  try {
    const result = await deploy({
      appFile,
      configFile: run.platform.file,
      env: run.stage.environment,
      set: run.execution.args,
      timeoutMs: run.stage.timeoutMs,
      rollbackOnFailure: run.stage.rollback ?? true,
      actor: run.execution.actor,
      origin: origin(run),
      git: { sha: (run.execution.source as ExecutionSource).commit, dirty: false },
      knownDigests: knownDigests(run),
      reporter: run.reporter,
      signal: run.signal,
    });
    return revisionOutcome(result, run.stage.environment, "is live");
  } catch (error) {
    return rolloutFailure(error, run.stage.environment);
  }
}

/**
 * The digests this execution already deployed (earlier deploy stages' records), so every environment
 * of one execution runs the same image, even if its tag was pushed again meanwhile.
 */
function knownDigests(run: StageRun): Record<string, string> {
  const known: Record<string, string> = {};
  for (const stage of run.stages) {
    if (stage.kind !== "deploy" || stage.status !== "succeeded") continue;
    for (const image of (stage.output.images as { reference: string; digest?: string }[] | undefined) ?? []) {
      if (image.digest) known[image.reference] = image.digest;
    }
  }
  return known;
}

async function runRollback(run: StageRun<RollbackStage>): Promise<StageOutcome> {
  const where = connectEnvironment(run.platform.file, run.execution.app, run.stage.environment);
  try {
    const result = await rollback(where, {
      to: run.stage.to,
      actor: run.execution.actor,
      origin: origin(run),
      reporter: run.reporter,
      signal: run.signal,
    });
    return revisionOutcome(result, run.stage.environment, "rolled back and live");
  } catch (error) {
    return rolloutFailure(error, run.stage.environment);
  }
}

async function runPatch(run: StageRun<PatchStage>): Promise<StageOutcome> {
  const image = interpolate(run.stage.image, { ...run.execution.args }, `stage ${run.stage.id} image`);
  const where = connectEnvironment(run.platform.file, run.execution.app, run.stage.environment);
  try {
    const message = await patchImage(where, {
      workload: run.stage.workload,
      container: run.stage.container,
      image,
      reporter: run.reporter,
    });
    return { status: "succeeded", message, output: { image }, environment: run.stage.environment };
  } catch (error) {
    return rolloutFailure(error, run.stage.environment);
  }
}

async function runApproval(run: StageRun<ApprovalStage>): Promise<StageOutcome> {
  const output = run.state.output;
  if (output.decision === "approved" || output.decision === "rejected") {
    const comment = output.comment ? `: ${String(output.comment)}` : "";
    return {
      status: output.decision === "approved" ? "succeeded" : "failed",
      message: `${output.decision} by ${String(output.by)}${comment}`,
      output,
    };
  }
  const deadline = output.deadline
    ? new Date(String(output.deadline))
    : new Date(Date.now() + run.stage.timeoutMs);
  if (deadline.getTime() <= Date.now()) {
    return { status: "failed", message: `rejected: no decision before ${deadline.toISOString()}`, output };
  }
  return {
    status: "waiting",
    message: run.stage.message ?? `waiting for approval to deploy ${run.execution.app}`,
    until: deadline,
    output: { ...output, deadline: deadline.toISOString() },
  };
}

async function runCheck(run: StageRun<CheckStage>): Promise<StageOutcome> {
  const condition = compileCondition(run.stage.condition);
  const stages = Object.fromEntries(
    run.stages.map((s) => [s.id, { status: s.status, message: s.message ?? "", ...s.output }]),
  );
  const passed = condition.evaluate({
    trigger: run.execution.trigger as Record<string, unknown>,
    execution: {
      id: run.execution.id,
      app: run.execution.app,
      pipeline: run.execution.pipeline,
      actor: run.execution.actor,
    },
    args: run.execution.args,
    app: { name: run.execution.app },
    stages,
  });
  return passed
    ? { status: "succeeded", message: `${run.stage.condition} holds` }
    : { status: "failed", message: `${run.stage.condition} is false` };
}

async function runWait(run: StageRun<WaitStage>): Promise<StageOutcome> {
  const until = run.state.output.until
    ? new Date(String(run.state.output.until))
    : new Date(Date.now() + run.stage.durationMs);
  if (until.getTime() <= Date.now())
    return { status: "succeeded", message: `waited ${run.stage.durationMs / 1000}s` };
  return {
    status: "waiting",
    message: `waiting until ${until.toISOString()}`,
    until,
    output: { until: until.toISOString() },
  };
}

async function runWebhook(run: StageRun<WebhookStage>): Promise<StageOutcome> {
  if (run.state.output.delivered) return { status: "succeeded", message: String(run.state.output.delivered) };
  const allowed = run.platform.current().webhooks?.allowedTargets ?? [];
  if (!webhookTargetAllowed(run.stage.url, allowed)) {
    throw new InputError(`webhook ${run.stage.url} is not under webhooks.allowedTargets.`, {
      hint: "Ask the platform team to allow its scheme and host.",
    });
  }
  const body = {
    execution: run.execution.id,
    app: run.execution.app,
    pipeline: run.execution.pipeline,
    stage: run.stage.id,
    args: run.execution.args,
    stages: run.stages.map((s) => ({ id: s.id, status: s.status, message: s.message })),
  };
  let response: Response;
  try {
    response = await fetch(run.stage.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-railyard-delivery": `${run.execution.id}/${run.stage.id}`,
      },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new UpstreamError(`webhook ${run.stage.url} could not be reached: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status >= 500) throw new UpstreamError(`webhook ${run.stage.url} answered ${response.status}`);
  if (response.status >= 400) {
    return {
      status: "failed",
      message: `webhook ${run.stage.url} refused the notification (${response.status})`,
    };
  }
  const delivered = `notified ${run.stage.url} (${response.status})`;
  return { status: "succeeded", message: delivered, output: { delivered } };
}
