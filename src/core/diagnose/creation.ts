import type { ReplicaSet } from "../kube/objects.js";
import type { Detector, Finding } from "./finding.js";
import { eventsAbout, type Rollout } from "./rollout.js";
import { oneLine, podCount } from "./text.js";

const QUOTA = /exceeded quota: ([^,]+),.*/;
const POD_SECURITY = /violates PodSecurity "([^"]+)"/;
/** The pod in `pods "api-7d9c5b6f4-x2k8q" is forbidden:` was never created; naming it only confuses. */
const FORBIDDEN_POD = /^pods "[^"]*" is forbidden: /;

/**
 * The API server refused to create the new revision's pods (quota, admission webhook or policy,
 * PodSecurity). Certain: the ReplicaSet retries, but the same request gets the same answer.
 */
export const creationFailure: Detector = (rollout) => {
  const replicaSet = rollout.replicaSet;
  if (!replicaSet) return undefined;
  const message = replicaFailure(replicaSet) ?? failedCreateEvent(rollout, replicaSet);
  if (!message) return undefined;
  const missing = Math.max(1, rollout.desired - rollout.pods.length);
  const refused = podCount(missing, rollout.desired, "cannot be created");
  const quota = QUOTA.exec(message);
  return quota ? quotaExceeded(rollout, refused, quota) : admissionRejected(rollout, refused, message);
};

/** The controller sets this condition on a failed create and clears it once creating succeeds. */
function replicaFailure(replicaSet: ReplicaSet): string | undefined {
  const condition = replicaSet.status?.conditions?.find(
    (c) => c.type === "ReplicaFailure" && c.status === "True" && c.reason === "FailedCreate",
  );
  return condition?.message ? cleanMessage(condition.message) : undefined;
}

/** Events outlive the failure, so one counts only while the ReplicaSet is still short of pods. */
function failedCreateEvent(rollout: Rollout, replicaSet: ReplicaSet): string | undefined {
  if (rollout.pods.length >= (replicaSet.spec?.replicas ?? 0)) return undefined;
  const event = eventsAbout(rollout, "ReplicaSet", replicaSet.metadata.name).find(
    (e) => e.type === "Warning" && e.reason === "FailedCreate",
  );
  return event?.message ? cleanMessage(event.message) : undefined;
}

function cleanMessage(message: string): string {
  return oneLine(message)
    .replace(/^Error creating: /, "")
    .replace(FORBIDDEN_POD, "");
}

function quotaExceeded(rollout: Rollout, refused: string, quota: RegExpExecArray): Finding {
  return {
    reason: "QuotaExceeded",
    certain: true,
    what: `${refused}: ${quota[0]}`,
    action: `Raise ResourceQuota "${quota[1]}" in namespace ${rollout.namespace}, or lower the replicas or resource requests.`,
    pods: [],
  };
}

function admissionRejected(rollout: Rollout, refused: string, message: string): Finding {
  const level = POD_SECURITY.exec(message)?.[1];
  return {
    reason: "AdmissionRejected",
    certain: true,
    what: `${refused}: ${message}`,
    action: level
      ? `Set the securityContext fields the message names so the pods meet Pod Security "${level}", or ask the cluster's administrators to relax namespace ${rollout.namespace}.`
      : "Change the pod template so the admission policy accepts it, or ask the cluster's administrators about the policy.",
    pods: [],
  };
}
