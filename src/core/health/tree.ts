import type { Condition, ContainerStatus, Deployment, KubeObject, Pod, ReplicaSet } from "../kube/objects.js";

/** A pod as the resource tree shows it: the columns of `kubectl get pods -o wide`, and why it is not running. */
export interface PodView {
  name: string;
  phase: string;
  ready: boolean;
  readyContainers: number;
  totalContainers: number;
  restarts: number;
  node: string | null;
  startedAt: string | null;
  /** Why it is not running: a container's waiting or terminated reason (CrashLoopBackOff, ...), or the pod's. */
  reason: string | null;
  containers: string[];
}

export interface ReplicaSetView {
  name: string;
  /** The Deployment revision it belongs to (`deployment.kubernetes.io/revision`). */
  revision: number | null;
  /** Desired replicas. */
  replicas: number;
  readyReplicas: number;
  images: string[];
  createdAt: string | null;
  pods: PodView[];
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string | null;
  message: string | null;
}

export interface DeploymentView {
  name: string;
  generation: number;
  observedGeneration: number;
  /** Desired replicas. */
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  conditions: ConditionView[];
  /** Annotations people and tools put on it; untrusted text, shown as text. */
  annotations: Record<string, string>;
  /** Newest revision first. */
  replicaSets: ReplicaSetView[];
}

export interface ResourceTree {
  namespace: string;
  deployments: DeploymentView[];
  /** The app's other objects, by name only. */
  others: { kind: string; name: string }[];
}

/** A Deployment's part of the tree: its ReplicaSets (newest first) with their pods, matched by owner. */
export function deploymentView(
  deployment: Deployment,
  replicaSets: ReplicaSet[],
  pods: Pod[],
): DeploymentView {
  const status = deployment.status ?? {};
  const owned = replicaSets
    .filter((rs) => ownedBy(rs, deployment))
    .map((rs) =>
      replicaSetView(
        rs,
        pods.filter((pod) => ownedBy(pod, rs)),
      ),
    )
    .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0) || a.name.localeCompare(b.name));
  return {
    name: deployment.metadata.name ?? "",
    generation: deployment.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    replicas: deployment.spec?.replicas ?? 1,
    readyReplicas: status.readyReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    conditions: (status.conditions ?? []).map(conditionView),
    annotations: visibleAnnotations(deployment.metadata.annotations ?? {}),
    replicaSets: owned,
  };
}

/** Annotations without the bookkeeping that kubectl and the Deployment controller keep there. */
const HIDDEN_ANNOTATIONS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  "deployment.kubernetes.io/revision",
]);

function visibleAnnotations(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).filter(([key]) => !HIDDEN_ANNOTATIONS.has(key)));
}

function replicaSetView(rs: ReplicaSet, pods: Pod[]): ReplicaSetView {
  const revision = Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"]);
  const template = rs.spec?.template as { spec?: { containers?: { image?: string }[] } } | undefined;
  return {
    name: rs.metadata.name ?? "",
    revision: Number.isInteger(revision) ? revision : null,
    replicas: rs.spec?.replicas ?? 0,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    images: (template?.spec?.containers ?? []).flatMap((c) => (c.image ? [c.image] : [])),
    createdAt: rs.metadata.creationTimestamp ?? null,
    pods: pods.map(podView).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function podView(pod: Pod): PodView {
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  return {
    name: pod.metadata.name ?? "",
    phase: pod.status?.phase ?? "Unknown",
    ready: pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    readyContainers: statuses.filter((s) => s.ready).length,
    totalContainers: containers.length,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    node: pod.spec?.nodeName ?? null,
    startedAt: pod.status?.startTime ?? null,
    reason: podReason(pod, [...(pod.status?.initContainerStatuses ?? []), ...statuses]),
    containers,
  };
}

/** What `kubectl get pods` shows in STATUS when a pod is not simply running. */
function podReason(pod: Pod, statuses: ContainerStatus[]): string | null {
  if (pod.metadata.deletionTimestamp) return "Terminating";
  for (const s of statuses) {
    if (s.state?.waiting?.reason) return s.state.waiting.reason;
  }
  for (const s of statuses) {
    const reason = s.state?.terminated?.reason;
    if (reason && reason !== "Completed") return reason;
  }
  return pod.status?.reason ?? null;
}

function conditionView(c: Condition): ConditionView {
  return { type: c.type, status: c.status, reason: c.reason ?? null, message: c.message ?? null };
}

function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return !!owner.metadata.uid && !!object.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid);
}
