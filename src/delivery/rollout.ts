import { diagnose, type Diagnosis } from "../core/diagnose/diagnose.js";
import { assessDeploymentRollout } from "../core/health/rollout.js";
import type { KubeEvent, KubeObject } from "../core/kube/objects.js";
import { containerLogTail, listEvents, readDeploymentState } from "../adapters/kubernetes/workloads.js";
import type { KubeTarget } from "../adapters/kubernetes/target.js";
import type { Reporter } from "./reporter.js";

export interface RolloutOutcome {
  ok: boolean;
  /** Set when the rollout failed or timed out. */
  diagnosis?: Diagnosis;
  message: string;
}

const POLL_MS = 250;

/**
 * Waits until every Deployment among the applied objects has rolled out (`kubectl rollout status`
 * semantics), reporting progress and new events; stops early when the diagnosis is certain.
 */
export async function waitForRollout(
  target: KubeTarget,
  objects: KubeObject[],
  options: { timeoutMs: number; since: Date; reporter: Reporter },
): Promise<RolloutOutcome> {
  const deployments = objects.filter((o) => o.kind === "Deployment" && o.apiVersion === "apps/v1");
  const deadline = Date.now() + options.timeoutMs;
  const seenEvents = new Set<string>();
  const lastProgress = new Map<string, string>();
  let pending = deployments.map((d) => ({ namespace: d.metadata.namespace!, name: d.metadata.name! }));

  while (pending.length > 0) {
    const stillPending: typeof pending = [];
    for (const ref of pending) {
      const state = await readDeploymentState(target, ref.namespace, ref.name);
      if (!state) {
        stillPending.push(ref);
        continue;
      }
      const progress = assessDeploymentRollout(state.deployment);
      const line = `Deployment ${ref.namespace}/${ref.name}: ${progress.ready}/${progress.desired} pods ready, ${progress.updated} updated — ${progress.message}`;
      if (lastProgress.get(ref.name) !== line) {
        options.reporter.progress(line);
        lastProgress.set(ref.name, line);
      }
      if (progress.done) continue;
      stillPending.push(ref);

      const events = (await listEvents(target, ref.namespace)).filter((e) => isRecent(e, options.since));
      reportNewEvents(events, seenEvents, state.pods, ref.name, options.reporter);
      const timedOut = Date.now() >= deadline;
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
          message: `Deployment ${ref.namespace}/${ref.name} did not finish rolling out within ${Math.round(options.timeoutMs / 1000)}s (${progress.message}).`,
        };
      }
    }
    pending = stillPending;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
