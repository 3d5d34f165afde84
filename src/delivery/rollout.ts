import { diagnose, type Diagnosis } from "../core/diagnose/diagnose.js";
import { assessDeploymentRollout } from "../core/health/rollout.js";
import { throwIfStopped, untilStopped } from "../core/errors.js";
import type { KubeEvent, KubeObject } from "../core/kube/objects.js";
import {
  DeploymentWatch,
  containerLogTail,
  listEvents,
  readDeploymentParts,
} from "../adapters/kubernetes/workloads.js";
import type { KubeTarget } from "../adapters/kubernetes/target.js";
import type { Reporter } from "./reporter.js";

export interface RolloutOutcome {
  ok: boolean;
  /** Set when the rollout failed or timed out. */
  diagnosis?: Diagnosis;
  message: string;
}

/**
 * Deployments are watched; when a watch cannot be held, their status is read often at first, when a
 * rollout usually completes, then less often. Pods, ReplicaSets and events (for progress details and
 * diagnosis) are read at most every DETAILS_MS.
 */
function pollInterval(elapsedMs: number): number {
  return elapsedMs < 5_000 ? 50 : elapsedMs < 60_000 ? 250 : 1000;
}
const DETAILS_MS = 500;
/** Most rollouts finish within this: pods and events are not read before it, unless asked to explain. */
const FIRST_DETAILS_MS = 1000;

/**
 * Waits until every Deployment among the applied objects has rolled out (`kubectl rollout status`
 * semantics), reporting progress and new events; stops early when the diagnosis is certain.
 */
export async function waitForRollout(
  target: KubeTarget,
  objects: KubeObject[],
  options: { timeoutMs: number; since: Date; reporter: Reporter; signal?: AbortSignal },
): Promise<RolloutOutcome> {
  const watch = new DeploymentWatch(target);
  try {
    return await awaitDeployments(target, watch, objects, options);
  } finally {
    watch.stop();
  }
}

async function awaitDeployments(
  target: KubeTarget,
  watch: DeploymentWatch,
  objects: KubeObject[],
  options: { timeoutMs: number; since: Date; reporter: Reporter; signal?: AbortSignal },
): Promise<RolloutOutcome> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const seenEvents = new Set<string>();
  const lastProgress = new Map<string, string>();
  const lastDetails = new Map<string, number>();
  let pending = objects
    .filter((o) => o.kind === "Deployment" && o.apiVersion === "apps/v1")
    .map((d) => ({ namespace: d.metadata.namespace!, name: d.metadata.name! }));

  while (pending.length > 0) {
    throwIfStopped(options.signal, "waiting for the rollout");
    const stillPending: typeof pending = [];
    for (const ref of pending) {
      const key = `${ref.namespace}/${ref.name}`;
      const deployment = await watch.read(ref.namespace, ref.name);
      if (!deployment) {
        // It was applied a moment ago: gone now means deleted (by hand, or with its namespace), as
        // `kubectl rollout status` says too, rather than waited for until the deadline.
        return {
          ok: false,
          message: `Deployment ${key} no longer exists: it was deleted during the rollout (check whether its namespace is being deleted).`,
        };
      }
      const progress = assessDeploymentRollout(deployment);
      const line = `Deployment ${key}: ${progress.ready}/${progress.desired} pods ready, ${progress.updated} updated — ${progress.message}`;
      if (lastProgress.get(key) !== line) {
        options.reporter.progress(line);
        lastProgress.set(key, line);
      }
      if (progress.done) continue;
      stillPending.push(ref);
      // Until the controller has seen the new spec, the pods on view belong to the previous one.
      if (!progress.observed && Date.now() < deadline) continue;

      const timedOut = Date.now() >= deadline;
      if (
        !timedOut &&
        !progress.deadlineExceeded &&
        Date.now() - (lastDetails.get(key) ?? started - DETAILS_MS + FIRST_DETAILS_MS) < DETAILS_MS
      )
        continue;
      lastDetails.set(key, Date.now());
      const [parts, allEvents] = await Promise.all([
        readDeploymentParts(target, deployment),
        listEvents(target, ref.namespace),
      ]);
      const events = allEvents.filter((e) => isRecent(e, options.since));
      reportNewEvents(events, seenEvents, parts.pods, ref.name, options.reporter);
      const state = { deployment, ...parts };
      const found = diagnose({ ...state, events, now: new Date() });
      if (found && (found.certain || timedOut || progress.deadlineExceeded)) {
        return {
          ok: false,
          diagnosis: await withLogs(target, ref.namespace, found, state),
          message: found.summary,
        };
      }
      if (timedOut) {
        return {
          ok: false,
          message: `Deployment ${key} did not finish rolling out within ${Math.round(options.timeoutMs / 1000)}s (${progress.message}).`,
        };
      }
    }
    pending = stillPending;
    if (pending.length === 0) break;
    const remaining = Math.max(0, deadline - Date.now());
    if (watch.following(pending.map((ref) => `${ref.namespace}/${ref.name}`))) {
      await untilStopped(watch.changed(Math.min(DETAILS_MS, remaining)), options.signal);
    } else {
      await untilStopped(
        new Promise((resolve) =>
          setTimeout(resolve, Math.min(pollInterval(Date.now() - started), remaining)),
        ),
        options.signal,
      );
    }
  }
  return { ok: true, message: "rolled out" };
}

function isRecent(event: KubeEvent, since: Date): boolean {
  const at =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return !at || new Date(at).getTime() >= since.getTime() - 1000;
}

function reportNewEvents(
  events: KubeEvent[],
  seen: Set<string>,
  pods: { metadata: { name?: string } }[],
  deployment: string,
  reporter: Reporter,
): void {
  const podNames = new Set(pods.map((p) => p.metadata.name));
  for (const event of events) {
    const subject = event.involvedObject.name ?? "";
    const ours = podNames.has(subject) || subject === deployment || subject.startsWith(`${deployment}-`);
    const key = `${event.metadata.uid ?? event.metadata.name}:${event.count ?? 1}`;
    if (!ours || seen.has(key)) continue;
    seen.add(key);
    if (event.type === "Warning") {
      reporter.event(
        `${event.involvedObject.kind} ${subject}: ${event.reason}: ${event.message ?? ""}`.trim(),
      );
    }
  }
}

/** A crash loop is explained best by what the program printed last. */
async function withLogs(
  target: KubeTarget,
  namespace: string,
  diagnosis: Diagnosis,
  state: { pods: { metadata: { name?: string }; spec?: { containers: { name: string }[] } }[] },
): Promise<Diagnosis> {
  if (diagnosis.reason !== "CrashLoop" || diagnosis.logTail || !diagnosis.pods?.[0]) return diagnosis;
  const pod = state.pods.find((p) => p.metadata.name === diagnosis.pods![0]);
  const container = pod?.spec?.containers[0]?.name;
  if (!pod || !container) return diagnosis;
  const logTail = await containerLogTail(target, namespace, pod.metadata.name!, container, 10);
  return logTail ? { ...diagnosis, logTail } : diagnosis;
}
