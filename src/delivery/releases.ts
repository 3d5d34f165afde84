import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { InputError, NotFoundError } from "../core/errors.js";
import { assessDeploymentRollout } from "../core/health/rollout.js";
import type { KubeObject } from "../core/kube/objects.js";
import {
  type ReleaseOrigin,
  type ReleaseRecord,
  lastGoodRevision,
  originText,
  rollbackRecord,
} from "../core/release/record.js";
import { connectTarget } from "../adapters/kubernetes/connect.js";
import { acquireDeployLock } from "../adapters/kubernetes/lock.js";
import { createRelease, listReleases, updateRelease } from "../adapters/kubernetes/releases.js";
import { readLive, sameContent, serverSideApply } from "../adapters/kubernetes/apply.js";
import type { KubeTarget } from "../adapters/kubernetes/target.js";
import { readDeploymentState } from "../adapters/kubernetes/workloads.js";
import { loadPlatformConfig, type PlatformConfig } from "../core/spec/platform.js";
import { DEFAULT_CONFIG_FILE } from "./project.js";
import { applyAndWatch, defaultActor, objectsToReapply, takeUpRecords, type DeployResult } from "./deploy.js";
import type { Reporter } from "./reporter.js";

/** History, status and rollback need only the platform config: the records in the cluster hold the rest. */
export interface EnvironmentTarget {
  app: string;
  envName: string;
  namespace: string;
  target: KubeTarget;
}

export function connectEnvironment(
  configFile: string | undefined,
  app: string,
  envName: string,
): EnvironmentTarget {
  const path = resolve(configFile ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    throw new InputError(`platform config ${path} does not exist.`, { hint: "Pass it with --config FILE." });
  }
  const platform: PlatformConfig = loadPlatformConfig(
    readFileSync(path, "utf8"),
    relative(process.cwd(), path) || path,
  );
  const env = platform.environments[envName];
  if (!env) {
    throw new InputError(`No environment "${envName}" in ${path}.`, {
      hint: `Known environments: ${Object.keys(platform.environments).join(", ")}.`,
    });
  }
  const target = connectTarget(env.cluster, dirname(path), envName);
  return { app, envName, namespace: env.namespace, target };
}

export async function history(where: EnvironmentTarget): Promise<ReleaseRecord[]> {
  return listReleases(where.target, where.namespace, where.app, where.envName);
}

/** Re-applies revision N's objects as a new revision (default: the last good one before the current). */
export async function rollback(
  where: EnvironmentTarget,
  options: {
    to?: number;
    timeoutMs?: number;
    reporter: Reporter;
    waitForLock?: boolean;
    actor?: string;
    /** The pipeline stage rolling back: it makes its revision once, however often it runs. */
    origin?: ReleaseOrigin;
    /** Aborted when the server stops (see DeployRequest.signal). */
    signal?: AbortSignal;
  },
): Promise<DeployResult> {
  const { target, namespace, app, envName } = where;
  const lock = await acquireDeployLock(target, namespace, app, envName, {
    wait: options.waitForLock ?? true,
    onWait: (message) => options.reporter.step(message),
    origin: originText(options.origin),
    signal: options.signal,
  });
  try {
    const listed = await listReleases(target, namespace, app, envName);
    const { done, mine, records } = await takeUpRecords(target, listed, options.origin);
    if (done) return done;
    const current = records.at(-1);
    if (!current) {
      throw new NotFoundError(`${app} has no revisions in ${envName}.`, { hint: "Deploy it first." });
    }
    const chosen =
      options.to !== undefined
        ? records.find((r) => r.revision === options.to)
        : lastGoodRevision(records.filter((r) => r.revision < current.revision));
    if (!chosen) {
      throw new NotFoundError(
        options.to !== undefined
          ? `${app} has no revision ${options.to} in ${envName} (revisions: ${records.map((r) => r.revision).join(", ")}).`
          : `${app} has no good revision before revision ${current.revision} in ${envName}.`,
        { hint: "See `railyard history`." },
      );
    }
    const record = rollbackRecord(chosen, {
      revision: mine?.revision ?? current.revision + 1,
      message: `rollback to revision ${chosen.revision}`,
      actor: options.actor ?? defaultActor(),
    });
    record.origin = options.origin;
    if (mine) await updateRelease(target, record);
    else await createRelease(target, record);
    options.reporter.step(
      `Rolling ${app} in ${envName} back to revision ${chosen.revision} as revision ${record.revision}.`,
    );
    return await applyAndWatch(
      target,
      record,
      objectsToReapply(chosen),
      records,
      {
        timeoutMs: options.timeoutMs,
        rollbackOnFailure: false,
        reporter: options.reporter,
        signal: options.signal,
      },
      (text) => text,
    );
  } finally {
    await lock.release();
  }
}

export interface AppStatus {
  app: string;
  environment: string;
  revision?: ReleaseRecord;
  health: "Healthy" | "Progressing" | "Degraded" | "Missing";
  pods: { ready: number; desired: number };
  message: string;
  /** Objects whose live state differs from what the current revision applied. */
  drift: string[];
}

/** The live state: current revision, health, pods ready, and drift from the recorded objects. */
export async function status(where: EnvironmentTarget): Promise<AppStatus> {
  const records = await history(where);
  const revision = [...records].reverse().find((r) => r.status !== "deploying") ?? records.at(-1);
  const base = { app: where.app, environment: where.envName, revision };
  if (!revision) {
    return {
      ...base,
      health: "Missing",
      pods: { ready: 0, desired: 0 },
      message: "never deployed",
      drift: [],
    };
  }
  const deployment = revision.objects.find((o) => o.kind === "Deployment");
  const state = deployment
    ? await readDeploymentState(where.target, deployment.metadata.namespace!, deployment.metadata.name!)
    : undefined;
  const progress = state ? assessDeploymentRollout(state.deployment) : undefined;
  const drift = await detectDrift(where.target, objectsToReapply(revision));
  const health: AppStatus["health"] = !state
    ? "Missing"
    : progress!.done
      ? "Healthy"
      : progress!.deadlineExceeded || revision.status === "failed"
        ? "Degraded"
        : "Progressing";
  return {
    ...base,
    health,
    pods: { ready: progress?.ready ?? 0, desired: progress?.desired ?? 0 },
    message: progress?.message ?? "the Deployment does not exist",
    drift,
  };
}

/** Drift = a server-side dry-run of the recorded objects would change the live ones (or they are gone). */
async function detectDrift(target: KubeTarget, objects: KubeObject[]): Promise<string[]> {
  const planned = await serverSideApply(target, objects, { dryRun: true, force: true });
  const drifted: string[] = [];
  for (const p of planned) {
    const live = p.live ?? (await readLive(target, p.result));
    if (!live) drifted.push(`${p.ref} is missing`);
    else if (!sameContent(live, p.result)) drifted.push(`${p.ref} differs`);
  }
  return drifted;
}
