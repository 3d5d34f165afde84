import type { KubeObject } from "./objects.js";

/** Kinds that live outside namespaces, for manifests whose scope must be known without discovery. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "CSIDriver",
  "VolumeAttachment",
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** Apply order: what others refer to first (like Helm's install order), workloads, then routes. */
const ORDER = [
  "Namespace",
  "ResourceQuota",
  "LimitRange",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Role",
  "RoleBinding",
  "Service",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "Ingress",
];

/**
 * Objects of one tier may be applied together: what the cluster must have first (namespaces, quotas,
 * CRDs), what pods refer to when they start (config, secrets, accounts, volumes), then everything
 * else at once. Workloads and what routes to or scales them do not need each other to exist first:
 * an Ingress or an autoscaler waits for its target by itself.
 */
const TIERS: readonly (readonly string[])[] = [
  ["Namespace", "ResourceQuota", "LimitRange", "CustomResourceDefinition"],
  ["ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Role", "RoleBinding", "Service"],
];

export function kindTier(kind: string): number {
  const tier = TIERS.findIndex((kinds) => kinds.includes(kind));
  return tier < 0 ? TIERS.length : tier;
}

export function kindRank(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

export function applyOrder(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
}

/** Identity of an object across revisions: group/kind/namespace/name. */
export function objectKey(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return `${group}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}
