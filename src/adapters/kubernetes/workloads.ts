import type { Deployment, KubeEvent, Pod, ReplicaSet } from "../../core/kube/objects.js";
import { isNotFound } from "./errors.js";
import type { KubeTarget } from "./target.js";

/** A Deployment with what is needed to judge and explain its rollout. */
export interface DeploymentState {
  deployment: Deployment;
  replicaSets: ReplicaSet[];
  pods: Pod[];
}

export async function readDeploymentState(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<DeploymentState | undefined> {
  const deployment = await target.call(`read Deployment ${namespace}/${name}`, () =>
    target.apps.readNamespacedDeployment({ name, namespace }).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    }),
  );
  if (!deployment) return undefined;
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const [replicaSets, pods] = await Promise.all([
    target.call(`list ReplicaSets of ${namespace}/${name}`, () =>
      target.apps.listNamespacedReplicaSet({ namespace, labelSelector }),
    ),
    target.call(`list pods of ${namespace}/${name}`, () =>
      target.core.listNamespacedPod({ namespace, labelSelector }),
    ),
  ]);
  const uid = deployment.metadata?.uid;
  const owned = replicaSets.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
  return {
    deployment: deployment as unknown as Deployment,
    replicaSets: owned as unknown as ReplicaSet[],
    pods: pods.items as unknown as Pod[],
  };
}

export async function listEvents(target: KubeTarget, namespace: string): Promise<KubeEvent[]> {
  const list = await target.call(`list events in ${namespace}`, () =>
    target.core.listNamespacedEvent({ namespace }),
  );
  return list.items as unknown as KubeEvent[];
}

/** The last lines a container wrote (its previous run when it restarted); undefined when logs are unavailable. */
export async function containerLogTail(
  target: KubeTarget,
  namespace: string,
  pod: string,
  container: string,
  lines = 20,
): Promise<string | undefined> {
  for (const previous of [true, false]) {
    try {
      const text = await target.core.readNamespacedPodLog({
        name: pod,
        namespace,
        container,
        tailLines: lines,
        previous,
      });
      if (typeof text === "string" && text.trim()) return target.scrub(text);
    } catch {
      // No kubelet logs for this container (yet), or none kept from a previous run.
    }
  }
  return undefined;
}
