import type { DiagnosisInput } from "./diagnose.js";
import type { ContainerStatus, Deployment, KubeEvent, Pod, ReplicaSet } from "../kube/objects.js";

const REVISION = "deployment.kubernetes.io/revision";
const TEMPLATE_HASH = "pod-template-hash";

/** What the detectors look at: the Deployment and only the pods of its newest ReplicaSet. */
export interface Rollout {
  deployment: Deployment;
  namespace: string;
  replicaSet: ReplicaSet | undefined;
  /** Pods of the newest ReplicaSet that are not being deleted; old revisions are irrelevant. */
  pods: Pod[];
  events: KubeEvent[];
  logs: Record<string, string>;
  now: Date;
  desired: number;
}

export function observeRollout(input: DiagnosisInput): Rollout {
  const replicaSet = newestReplicaSet(input.deployment, input.replicaSets);
  return {
    deployment: input.deployment,
    namespace: input.deployment.metadata.namespace ?? "default",
    replicaSet,
    pods: replicaSet ? podsOf(replicaSet, input.pods) : [],
    events: input.events,
    logs: input.logs ?? {},
    now: input.now,
    desired: input.deployment.spec?.replicas ?? 1,
  };
}

/**
 * The ReplicaSet of the Deployment's current revision: the controller stamps the same revision
 * annotation on both; without it, the highest revision present.
 */
function newestReplicaSet(deployment: Deployment, replicaSets: ReplicaSet[]): ReplicaSet | undefined {
  const current = revisionOf(deployment);
  const matching = replicaSets.find((rs) => current !== undefined && revisionOf(rs) === current);
  return matching ?? [...replicaSets].sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0))[0];
}

function revisionOf(object: Deployment | ReplicaSet): number | undefined {
  const value = object.metadata.annotations?.[REVISION];
  return value === undefined || value === "" ? undefined : Number(value);
}

function podsOf(replicaSet: ReplicaSet, pods: Pod[]): Pod[] {
  const hash = replicaSet.metadata.labels?.[TEMPLATE_HASH];
  return pods.filter(
    (pod) =>
      !pod.metadata.deletionTimestamp &&
      (ownedBy(pod, replicaSet) || (hash !== undefined && pod.metadata.labels?.[TEMPLATE_HASH] === hash)),
  );
}

function ownedBy(pod: Pod, replicaSet: ReplicaSet): boolean {
  return (pod.metadata.ownerReferences ?? []).some(
    (ref) =>
      ref.kind === "ReplicaSet" &&
      (replicaSet.metadata.uid ? ref.uid === replicaSet.metadata.uid : ref.name === replicaSet.metadata.name),
  );
}

/** Events about one object, newest first. */
export function eventsAbout(rollout: Rollout, kind: string, name: string | undefined): KubeEvent[] {
  return rollout.events
    .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
    .sort((a, b) => eventTime(b) - eventTime(a));
}

/** Kubelet and controllers fill lastTimestamp; the scheduler (events.k8s.io) fills only eventTime. */
function eventTime(event: KubeEvent): number {
  const at =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return at ? Date.parse(at) : 0;
}

/** Whole seconds from `time` to now, or undefined when the time is unknown. */
export function secondsSince(time: string | undefined, now: Date): number | undefined {
  if (!time) return undefined;
  const at = Date.parse(time);
  return Number.isNaN(at) ? undefined : Math.floor((now.getTime() - at) / 1000);
}

export interface ContainerOf {
  pod: Pod;
  status: ContainerStatus;
}

/** Every container status of the pods, init containers first (they run first). */
export function containersOf(pods: Pod[]): ContainerOf[] {
  return pods.flatMap((pod) =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map(
      (status) => ({ pod, status }),
    ),
  );
}

/** The image as written in the pod spec (the status may show a resolved or normalized name). */
export function imageOf({ pod, status }: ContainerOf): string | undefined {
  return pod.spec?.containers.find((c) => c.name === status.name)?.image ?? status.image;
}

export function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function podName(pod: Pod): string {
  return pod.metadata.name ?? pod.metadata.generateName ?? "?";
}
