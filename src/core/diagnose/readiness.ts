import type { Pod } from "../kube/objects.js";
import { pickProblem, type Detector, type PodProblem } from "./finding.js";
import { eventsAbout, podName, secondsSince, type Rollout } from "./rollout.js";
import { oneLine, podCount } from "./text.js";

/** Apps take a moment to warm up; only then does "not ready without a probe event" mean something. */
const WARM_UP_SECONDS = 10;

interface NotReady extends PodProblem {
  detail: string;
}

/**
 * The containers run but the pod is not ready. Never certain on its own: probes may start passing
 * (a slow warm-up, a dependency coming up), so only the progress deadline ends the wait.
 */
export const readinessFailing: Detector = (rollout) => {
  const picked = pickProblem(rollout.pods.flatMap((pod) => notReady(rollout, pod)));
  if (!picked) return undefined;
  return {
    reason: "ReadinessFailing",
    certain: false,
    what: `${podCount(picked.pods.length, rollout.desired, "is running but not ready", "are running but not ready")}: ${picked.lead.detail}`,
    action:
      "Check that the readiness probe's path, port and timing match the app, and why the app reports not ready in its logs.",
    pods: picked.pods,
  };
};

function notReady(rollout: Rollout, pod: Pod): NotReady[] {
  const statuses = pod.status?.containerStatuses ?? [];
  const unready = statuses.find((s) => !s.ready);
  if (pod.status?.phase !== "Running" || !unready || !statuses.every((s) => s.state?.running)) return [];
  const name = podName(pod);
  const probe = eventsAbout(rollout, "Pod", name).find(
    (e) => e.reason === "Unhealthy" && /^Readiness probe (failed|errored)/.test(e.message ?? ""),
  );
  const base = { reason: "ReadinessFailing" as const, pod: name, certain: false };
  if (probe?.message) return [{ ...base, key: oneLine(probe.message), detail: oneLine(probe.message) }];
  const ran = secondsSince(unready.state?.running?.startedAt ?? pod.status?.startTime, rollout.now);
  if (ran === undefined || ran < WARM_UP_SECONDS) return [];
  return [
    {
      ...base,
      key: "no probe event",
      detail: `container ${unready.name} has run for ${ran} s without becoming ready`,
    },
  ];
}
