import { NotFoundError } from "../core/errors.js";
import { deploymentView, type ResourceTree } from "../core/health/tree.js";
import type { Pod } from "../core/kube/objects.js";
import { compareRevisions, manifestText, type RevisionComparison } from "../core/release/compare.js";
import type { ReleaseRecord } from "../core/release/record.js";
import { inventorySelector } from "../core/render/render.js";
import {
  listDeployments,
  readDeploymentParts,
  readPod,
  streamContainerLog,
} from "../adapters/kubernetes/workloads.js";
import { type EnvironmentTarget, history } from "./releases.js";

/** A release record without its objects: what history lists. */
export type RecordSummary = Omit<ReleaseRecord, "objects">;

/** One revision: its record, and its objects as YAML (Secret values are never stored). */
export async function revisionDetail(
  where: EnvironmentTarget,
  revision: number,
): Promise<RecordSummary & { manifest: string }> {
  const records = await history(where);
  const { objects, ...summary } = requireRevision(where, records, revision);
  return { ...summary, manifest: manifestText(objects) };
}

/** What changed from one revision to another, object by object. */
export async function revisionDiff(
  where: EnvironmentTarget,
  from: number,
  to: number,
): Promise<RevisionComparison> {
  const records = await history(where);
  return compareRevisions(requireRevision(where, records, from), requireRevision(where, records, to));
}

function requireRevision(
  where: EnvironmentTarget,
  records: ReleaseRecord[],
  revision: number,
): ReleaseRecord {
  const found = records.find((r) => r.revision === revision);
  if (found) return found;
  throw new NotFoundError(`${where.app} has no revision ${revision} in ${where.envName}.`, {
    hint:
      records.length > 0
        ? `Its revisions there are ${records[0]!.revision} to ${records.at(-1)!.revision}; see its history.`
        : "It was never deployed there.",
  });
}

/**
 * What runs of the app now: its Deployments (found by the app's labels) with their ReplicaSets and
 * pods (matched by owner), and the names of the other objects the current revision applied.
 */
export async function resourceTree(where: EnvironmentTarget): Promise<ResourceTree> {
  const { target, namespace } = where;
  const [deployments, records] = await Promise.all([
    listDeployments(target, namespace, inventorySelector(where.app, where.envName)),
    history(where),
  ]);
  const views = await Promise.all(
    deployments.map(async (deployment) => {
      const parts = await readDeploymentParts(target, deployment);
      return deploymentView(deployment, parts.replicaSets, parts.pods);
    }),
  );
  // The current revision: the newest one that finished, else the one being deployed.
  const current = [...records].reverse().find((r) => r.status !== "deploying") ?? records.at(-1);
  return {
    namespace,
    deployments: views.sort((a, b) => a.name.localeCompare(b.name)),
    others: (current?.objects ?? [])
      .filter((o) => o.kind !== "Deployment")
      .map((o) => ({ kind: o.kind, name: o.metadata.name ?? "" })),
  };
}

/**
 * A pod of the app in the environment's namespace: one that carries the app's labels, or (for an app
 * deployed from its own manifests, whose pod templates may not) one a ReplicaSet of one of the app's
 * Deployments owns. Any other pod is "not found", so a reader of one app cannot read another's pods.
 */
export async function appPod(where: EnvironmentTarget, name: string): Promise<Pod> {
  const pod = await readPod(where.target, where.namespace, name);
  const labels = pod?.metadata.labels ?? {};
  if (
    pod &&
    labels["railyard.dev/app"] === where.app &&
    labels["railyard.dev/environment"] === where.envName
  ) {
    return pod;
  }
  if (pod && pod.metadata.ownerReferences?.some((o) => o.kind === "ReplicaSet")) {
    const deployments = await listDeployments(
      where.target,
      where.namespace,
      inventorySelector(where.app, where.envName),
    );
    for (const deployment of deployments) {
      const { replicaSets } = await readDeploymentParts(where.target, deployment);
      const uids = new Set(replicaSets.map((rs) => rs.metadata.uid));
      if (pod.metadata.ownerReferences.some((o) => uids.has(o.uid))) return pod;
    }
  }
  throw new NotFoundError(`${where.app} has no pod ${name} in ${where.envName}.`, {
    hint: "Its pods are listed under its resources.",
  });
}

export interface PodLogOptions {
  /** Default the pod's first container. */
  container?: string;
  follow: boolean;
  tailLines: number;
  signal?: AbortSignal;
  /** Called once the cluster has accepted the request, before any text. */
  onOpen?: () => void;
}

/** A container's log of one of the app's pods, text by text (following it when asked). */
export async function podLogs(
  where: EnvironmentTarget,
  podName: string,
  options: PodLogOptions,
  onText: (text: string) => void | Promise<void>,
): Promise<void> {
  const pod = await appPod(where, podName);
  const spec = pod.spec as
    { containers?: { name: string }[]; initContainers?: { name: string }[] } | undefined;
  const names = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map((c) => c.name);
  const container = options.container ?? names[0];
  if (!container || !names.includes(container)) {
    throw new NotFoundError(`pod ${podName} has no container ${options.container ?? "(none)"}.`, {
      hint: `Its containers: ${names.join(", ") || "none"}.`,
    });
  }
  await streamContainerLog(
    where.target,
    where.namespace,
    podName,
    container,
    { follow: options.follow, tailLines: options.tailLines, signal: options.signal, onOpen: options.onOpen },
    onText,
  );
}
