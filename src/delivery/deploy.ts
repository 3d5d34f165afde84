import { hostname, userInfo } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { InputError, NotFoundError, RolloutError, type ServingRevision } from "../core/errors.js";
import { applyOrder, objectKey } from "../core/kube/kinds.js";
import type { KubeObject } from "../core/kube/objects.js";
import { objectRef } from "../core/kube/objects.js";
import { policyViolations } from "../core/plan/policy.js";
import {
  type ReleaseImage,
  type ReleaseOrigin,
  type ReleaseRecord,
  lastGoodRevision,
  originText,
  rollbackRecord,
  sameOrigin,
} from "../core/release/record.js";
import { render, type RenderedApp } from "../core/render/render.js";
import { REDACTED, secretScrubber } from "../core/secrets/redact.js";
import { deleteObject, readLive, serverSideApply, type AppliedObject } from "../adapters/kubernetes/apply.js";
import { connectTarget } from "../adapters/kubernetes/connect.js";
import { acquireDeployLock } from "../adapters/kubernetes/lock.js";
import { createRelease, listReleases, updateRelease } from "../adapters/kubernetes/releases.js";
import type { KubeTarget } from "../adapters/kubernetes/target.js";
import { gitSource } from "../adapters/git/source.js";
import { resolveImageDigest } from "../adapters/registry/resolve.js";
import {
  DEFAULT_APP_FILE,
  type EnvironmentConfig,
  type Project,
  loadManifests,
  loadProject,
  renderEnvironment,
  requireEnvironment,
  resolveSecrets,
} from "./project.js";
import type { Reporter } from "./reporter.js";
import { waitForRollout } from "./rollout.js";
import { resolveRegistrySettings } from "./registries.js";

export interface DeployRequest {
  appFile?: string;
  configFile?: string;
  env: string;
  set?: Record<string, string>;
  timeoutMs?: number;
  rollbackOnFailure?: boolean;
  waitForLock?: boolean;
  forceConflicts?: boolean;
  actor?: string;
  /** The commit the app file comes from, when the caller knows it (the server's checkouts); else git is asked. */
  git?: { sha: string; dirty: boolean };
  /** The pipeline stage deploying: its revision is made once, however often the stage runs. */
  origin?: ReleaseOrigin;
  /**
   * Aborted when the server stops: waiting for the lock or the rollout ends with StoppedError, the
   * record stays "deploying" and the stage, run again, takes it up under the same revision.
   */
  signal?: AbortSignal;
  /**
   * Digests already chosen for image references (tag → digest), e.g. by an earlier stage of the same
   * pipeline: production runs exactly what staging ran even if the tag moved since.
   */
  knownDigests?: Record<string, string>;
  reporter: Reporter;
}

export interface DeployResult {
  record: ReleaseRecord;
  changes: AppliedObject[];
  pruned: string[];
  /** True when the stage's revision already existed and had finished: nothing was applied. */
  alreadyDone?: boolean;
}

/** A deploy ready to apply: everything validated and rendered, nothing written yet. */
export interface PreparedDeploy {
  project: Project;
  envName: string;
  env: EnvironmentConfig;
  target: KubeTarget;
  rendered: RenderedApp;
  images: ReleaseImage[];
  git?: { sha: string; dirty: boolean };
  scrub: (text: string) => string;
}

export function defaultActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}

/** Validates files, environment, secrets, images and policy, and connects; fails before any write. */
export async function prepareDeploy(
  request: Omit<DeployRequest, "reporter"> & { reporter?: Reporter },
): Promise<PreparedDeploy> {
  // Reading the commit takes two git processes: start them before the files are parsed.
  const gitReading = request.git
    ? Promise.resolve(request.git)
    : gitSource(dirname(resolve(request.appFile ?? DEFAULT_APP_FILE)));
  const project = loadProject(request.appFile, request.configFile);
  const env = requireEnvironment(project, request.env);
  const secrets = resolveSecrets(project, request.env, env);
  const scrub = secretScrubber(Object.values(secrets));
  const target = connectTarget(env.cluster, dirname(project.configFile!), request.env);
  target.setScrubber(scrub);
  // Reads only: the API groups nearly every app uses, so the connection (and its TLS handshake) is
  // ready by the time rendering is done. A failure here surfaces later, with its context.
  target.client.prefetchDiscovery(["v1", "apps/v1"]).catch(() => {});
  const environment = renderEnvironment(request.env, env, secrets);
  const manifests = loadManifests(project);
  const git = await gitReading;
  const input = { app: project.app, environment, set: request.set, git, manifests };
  const unpinned = render(input);

  const images = await resolveImages(unpinned.images, env, project, request.reporter, request.knownDigests);
  const pinned = Object.fromEntries(images.map((i) => [i.container, i.deployed]));
  const rendered = render({ ...input, pinnedImages: pinned });

  const violations = policyViolations(rendered.objects, { name: request.env, ...env });
  if (violations.length > 0) {
    throw new InputError(`The deploy is refused; nothing was applied:\n  ${violations.join("\n  ")}`, {
      hint: "Change the app, or ask the platform team to allow these in the environment.",
    });
  }
  return { project, envName: request.env, env, target, rendered, images, git, scrub };
}

async function resolveImages(
  images: Record<string, string>,
  env: EnvironmentConfig,
  project: Project,
  reporter: Reporter | undefined,
  knownDigests: Record<string, string> = {},
): Promise<ReleaseImage[]> {
  const pin = (env.imagePolicy ?? "digest") === "digest";
  const registries = pin ? resolveRegistrySettings(project) : {};
  return Promise.all(
    Object.entries(images).map(async ([container, reference]) => {
      if (!pin) return { container, reference, deployed: reference };
      // A reference with a digest resolves offline: the known digest is used as is.
      const known = knownDigests[reference];
      const resolved = await resolveImageDigest(known ? `${reference}@${known}` : reference, { registries });
      reporter?.step(`Image ${reference} → ${resolved.digest}`);
      return { container, reference, digest: resolved.digest, deployed: resolved.pinned };
    }),
  );
}

/**
 * apply → wait → record, and on failure diagnose and roll back to the last good revision.
 * Holds the app's deploy lock throughout, so deploys of one app and environment never interleave.
 */
export async function deploy(request: DeployRequest): Promise<DeployResult> {
  const reporter = request.reporter;
  const prepared = await prepareDeploy(request);
  const { project, envName, env, target, rendered } = prepared;
  const app = project.app.name;
  const namespace = env.namespace;

  // The lock is the first write; it also fails plainly when the namespace is missing.
  const lock = await acquireDeployLock(target, namespace, app, envName, {
    wait: request.waitForLock ?? true,
    onWait: (message) => reporter.step(message),
    origin: originText(request.origin),
    signal: request.signal,
  }).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(`namespace ${namespace} of environment ${envName} does not exist.`, {
        hint: `Create it (kubectl create namespace ${namespace}) or fix environments.${envName}.namespace.`,
        cause: error,
      });
    }
    throw error;
  });
  try {
    const [listed] = await Promise.all([
      listReleases(target, namespace, app, envName),
      // A failure here surfaces, with its context, when an object's path is needed.
      target.client.prefetchDiscovery(rendered.objects.map((o) => o.apiVersion)).catch(() => {}),
    ]);
    const { done, mine, records } = await takeUpRecords(target, listed, request.origin);
    if (done) return done;
    const previous = records.at(-1);
    const objects = applyOrder(rendered.objects);

    // Pre-flight: the API server validates and admits every object before the first write.
    const planned = await serverSideApply(target, objects, {
      dryRun: true,
      force: request.forceConflicts ?? false,
    });
    const changed = planned.filter((p) => p.action !== "unchanged").length;
    reporter.step(`Plan: ${changed} of ${planned.length} objects change (${summarize(planned)}).`);

    const record: ReleaseRecord = {
      app,
      environment: envName,
      namespace,
      revision: mine?.revision ?? (previous?.revision ?? 0) + 1,
      status: "deploying",
      objects,
      args: rendered.args,
      images: prepared.images,
      source: {
        commit: prepared.git?.sha,
        dirty: prepared.git?.dirty,
        file: relative(process.cwd(), project.appFile),
      },
      actor: request.actor ?? defaultActor(),
      startedAt: mine?.startedAt ?? new Date().toISOString(),
      origin: request.origin,
    };
    if (mine) await updateRelease(target, record);
    else await createRelease(target, record);
    reporter.step(`Deploying ${app} to ${envName} as revision ${record.revision}.`);
    // The dry-run just read every live object; the apply compares against those reads.
    const live = new Map(planned.map((p) => [objectKey(p.result), p.live]));
    const unchanged = new Map(
      planned.filter((p) => p.action === "unchanged" && p.live).map((p) => [objectKey(p.result), p.live!]),
    );
    return await applyAndWatch(
      target,
      record,
      objects,
      records,
      { ...request, live, unchanged },
      prepared.scrub,
    );
  } finally {
    await lock.release();
  }
}

/** Shared by deploy and rollback: apply a revision's objects, wait, then prune or roll back. */
export async function applyAndWatch(
  target: KubeTarget,
  record: ReleaseRecord,
  objects: KubeObject[],
  history: ReleaseRecord[],
  options: {
    timeoutMs?: number;
    rollbackOnFailure?: boolean;
    forceConflicts?: boolean;
    reporter: Reporter;
    live?: Map<string, KubeObject | undefined>;
    unchanged?: Map<string, KubeObject>;
    signal?: AbortSignal;
  },
  scrub: (text: string) => string,
): Promise<DeployResult> {
  const reporter = options.reporter;
  const since = new Date();
  let changes: AppliedObject[];
  try {
    changes = await serverSideApply(target, objects, {
      dryRun: false,
      force: options.forceConflicts ?? false,
      live: options.live,
      unchanged: options.unchanged,
    });
  } catch (error) {
    await finish(target, record, "failed", { message: scrub((error as Error).message) });
    throw error;
  }
  for (const change of changes) reporter.step(`${change.ref} ${change.action}`);

  const outcome = await waitForRollout(target, objects, {
    timeoutMs: options.timeoutMs ?? 5 * 60_000,
    since,
    reporter,
    signal: options.signal,
  });
  if (outcome.ok) {
    // The record lists everything this revision owns, also the Secrets a rollback does not re-apply.
    const pruned = await prune(target, history.at(-1), record.objects, reporter);
    await finish(target, record, "succeeded", {});
    reporter.step(`Revision ${record.revision} of ${record.app} is live in ${record.environment}.`);
    return { record, changes, pruned };
  }

  const diagnosis = scrub(
    [outcome.diagnosis?.summary ?? outcome.message, outcome.diagnosis?.action].filter(Boolean).join(" "),
  );
  const logTail = outcome.diagnosis?.logTail ? scrub(outcome.diagnosis.logTail).trimEnd() : undefined;
  const good = lastGoodRevision(history, record.revision);
  const rollBack = (options.rollbackOnFailure ?? true) && good !== undefined;
  if (!rollBack) {
    await finish(target, record, "failed", { diagnosis });
    const failed = `Revision ${record.revision} of ${record.app} failed in ${record.environment}: ${diagnosis}`;
    const serving = servingRevision(record);
    if (record.rollbackOf !== undefined) throw new RolloutError(failed, { serving });
    const why = good ? "--no-rollback was given" : "there is no earlier good revision";
    throw new RolloutError(
      failed +
        (logTail ? `\nLast log lines:\n${logTail}` : "") +
        `\nNot rolled back (${why}); revision ${record.revision} stays applied and is recorded as failed.`,
      { serving },
    );
  }

  reporter.warn(`Rollout failed: ${diagnosis}`);
  reporter.step(`Rolling back to revision ${good.revision}.`);
  const rollback = rollbackRecord(good, {
    revision: record.revision + 1,
    message: `automatic rollback after revision ${record.revision} failed`,
    actor: record.actor,
  });
  await finish(target, record, "failed", { diagnosis, rolledBackBy: rollback.revision });
  await createRelease(target, rollback);
  const restored = await applyAndWatch(
    target,
    rollback,
    objectsToReapply(good),
    [...history, { ...record, status: "failed" }],
    { ...options, rollbackOnFailure: false, live: undefined, unchanged: undefined },
    scrub,
  ).then(
    () => ({
      text: `Automatically rolled back to revision ${good.revision} (now revision ${rollback.revision}), which is serving again.`,
      serving: servingRevision(rollback),
    }),
    (error: unknown) => ({
      text: `The automatic rollback to revision ${good.revision} failed too: ${(error as Error).message}`,
      serving: undefined,
    }),
  );
  throw new RolloutError(
    `Revision ${record.revision} of ${record.app} failed in ${record.environment}: ${diagnosis}` +
      (logTail ? `\nLast log lines:\n${logTail}` : "") +
      `\n${restored.text}`,
    { serving: restored.serving },
  );
}

function servingRevision(record: ReleaseRecord): ServingRevision {
  return { revision: record.revision, images: record.images, args: record.args };
}

/**
 * The records of an app and environment, read under its lock, with the revision a pipeline stage made
 * before, if any. A stage that ran before (its server was killed, a retry) finds its revision: a
 * finished one is the result (`done`); one still deploying (`mine`) is taken up again under the same
 * revision number. Any other record left "deploying" is settled as interrupted.
 */
export async function takeUpRecords(
  target: KubeTarget,
  listed: ReleaseRecord[],
  origin: ReleaseOrigin | undefined,
): Promise<{ done?: DeployResult; mine?: ReleaseRecord; records: ReleaseRecord[] }> {
  const mine = listed.find((r) => sameOrigin(r.origin, origin));
  if (mine && mine.status !== "deploying") {
    return { done: { record: mine, changes: [], pruned: [], alreadyDone: true }, records: listed };
  }
  const records = await settleInterrupted(
    target,
    listed.filter((r) => r !== mine),
  );
  return { mine, records };
}

/**
 * A record still "deploying" while we hold the lock belongs to a deploy that stopped midway (killed,
 * cluster unreachable): record it as failed so history does not show it running forever.
 */
export async function settleInterrupted(
  target: KubeTarget,
  records: ReleaseRecord[],
): Promise<ReleaseRecord[]> {
  for (const record of records) {
    if (record.status !== "deploying") continue;
    await finish(target, record, "failed", {
      message: "interrupted: the deploy stopped before it finished (its objects may be partly applied)",
    });
  }
  return records;
}

/** A record's objects for re-applying; Secrets are left at their live values, which records never hold. */
export function objectsToReapply(record: ReleaseRecord): KubeObject[] {
  return applyOrder(
    record.objects.filter(
      (o) =>
        !(
          o.kind === "Secret" &&
          Object.values((o.data as Record<string, string>) ?? {}).some((value) => value === REDACTED)
        ),
    ),
  );
}

/** Deletes what the previous revision applied and this one no longer has, if Railyard still owns it. */
async function prune(
  target: KubeTarget,
  previous: ReleaseRecord | undefined,
  desired: KubeObject[],
  reporter: Reporter,
): Promise<string[]> {
  if (!previous) return [];
  const keep = new Set(desired.map(objectKey));
  const pruned: string[] = [];
  for (const object of previous.objects) {
    if (keep.has(objectKey(object))) continue;
    const live = await target.call(`read ${objectRef(object)}`, () => readLive(target, object));
    const labels = live?.metadata.labels ?? {};
    if (
      !live ||
      labels["railyard.dev/app"] !== previous.app ||
      labels["railyard.dev/environment"] !== previous.environment
    ) {
      continue;
    }
    if (await deleteObject(target, object)) {
      pruned.push(objectRef(object));
      reporter.step(`${objectRef(object)} pruned`);
    }
  }
  return pruned;
}

async function finish(
  target: KubeTarget,
  record: ReleaseRecord,
  status: ReleaseRecord["status"],
  extra: Partial<ReleaseRecord>,
): Promise<void> {
  Object.assign(record, extra, { status, finishedAt: new Date().toISOString() });
  await updateRelease(target, record);
}

function summarize(planned: AppliedObject[]): string {
  const counts = new Map<string, number>();
  for (const p of planned) counts.set(p.action, (counts.get(p.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(", ");
}
