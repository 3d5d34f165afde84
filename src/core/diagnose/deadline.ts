import type { Deployment } from "../kube/objects.js";
import type { Finding } from "./finding.js";
import { isReady, podName, type Rollout } from "./rollout.js";
import { podCount } from "./text.js";

const DEFAULT_DEADLINE_SECONDS = 600;

/**
 * The controller gave up on the rollout. A condition from before the latest spec change is stale:
 * the controller resets it when it sees the new generation.
 */
export function pastDeadline(deployment: Deployment): boolean {
  const observed = deployment.status?.observedGeneration ?? 0;
  if (observed < (deployment.metadata.generation ?? 0)) return false;
  return (
    deployment.status?.conditions?.some(
      (c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded",
    ) ?? false
  );
}

/** A cause seen after the controller gave up is final; say why it became certain. */
export function afterDeadline(rollout: Rollout, cause: Finding): Finding {
  if (cause.certain) return cause;
  const what = `${cause.what.replace(/\.$/, "")}; the rollout passed its ${deadlineSeconds(rollout)} s progress deadline`;
  return { ...cause, certain: true, what };
}

/** The deadline passed and no detector saw why: say so, and where to look. */
export function deadlineFinding(rollout: Rollout): Finding {
  const seconds = deadlineSeconds(rollout);
  const notReady = rollout.pods.filter((pod) => !isReady(pod)).map(podName);
  const ready = podCount(rollout.pods.length - notReady.length, rollout.desired, "is ready", "are ready");
  const labels = Object.entries(rollout.deployment.spec?.selector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const selector = labels ? ` -l ${labels}` : "";
  return {
    reason: "ProgressDeadlineExceeded",
    certain: true,
    what: `the rollout made no progress for ${seconds} s (ProgressDeadlineExceeded) and ${ready}, with no visible cause`,
    action: `Look for the cause in the pods' events and logs (kubectl describe pods -n ${rollout.namespace}${selector}).`,
    pods: notReady,
  };
}

function deadlineSeconds(rollout: Rollout): number {
  return rollout.deployment.spec?.progressDeadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
}
