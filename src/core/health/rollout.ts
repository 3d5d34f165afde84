import type { Deployment } from "../kube/objects.js";

export interface RolloutProgress {
  done: boolean;
  /** What `kubectl rollout status` would say, e.g. "2 of 3 updated replicas are available". */
  message: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** Set when the Deployment controller itself gave up (ProgressDeadlineExceeded). */
  deadlineExceeded: boolean;
  /** False until the controller has acted on the newest spec: until then status describes the previous one. */
  observed: boolean;
}

/**
 * The rollout state of a Deployment with the semantics of `kubectl rollout status`
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go): the controller has observed the newest
 * generation, every replica is updated, no old replica remains, and every updated replica is available.
 */
export function assessDeploymentRollout(deployment: Deployment): RolloutProgress {
  const spec = deployment.spec ?? {};
  const status = deployment.status ?? {};
  const desired = spec.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const total = status.replicas ?? 0;
  const generation = deployment.metadata.generation ?? 0;
  const observed = (status.observedGeneration ?? 0) >= generation;
  const base = { desired, updated, ready, available, deadlineExceeded: false, observed };

  if (!observed) {
    return { ...base, done: false, message: "waiting for the Deployment controller to observe the new spec" };
  }
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return { ...base, done: false, deadlineExceeded: true, message: "progress deadline exceeded" };
  }
  if (updated < desired) {
    return { ...base, done: false, message: `${updated} of ${desired} new replicas have been updated` };
  }
  if (total > updated) {
    return { ...base, done: false, message: `${total - updated} old replicas are pending termination` };
  }
  if (available < updated) {
    return { ...base, done: false, message: `${available} of ${updated} updated replicas are available` };
  }
  return { ...base, done: true, message: `${available} of ${desired} replicas available` };
}
