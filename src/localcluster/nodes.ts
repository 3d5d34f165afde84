import { CoreV1Api, KubeConfig, type V1Node } from "@kubernetes/client-node";
import { UpstreamError } from "../core/errors.js";
import { sleep } from "./processes.js";

export interface NodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
}

function coreApi(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

/** Fake nodes for kwok to manage, shaped like kwokctl's node template (no taints, so pods schedule). */
export async function createNodes(kubeconfig: string, count: number, capacity: NodeCapacity): Promise<void> {
  const core = coreApi(kubeconfig);
  for (let i = 0; i < count; i++) {
    const name = `kwok-node-${i}`;
    const node: V1Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "node-role.kubernetes.io/agent": "",
          type: "kwok",
        },
      },
      status: {
        allocatable: { ...capacity },
        capacity: { ...capacity },
        nodeInfo: {
          architecture: "amd64",
          operatingSystem: "linux",
          bootID: "",
          containerRuntimeVersion: "kwok",
          kernelVersion: "",
          kubeProxyVersion: "",
          kubeletVersion: "kwok",
          machineID: "",
          osImage: "",
          systemUUID: "",
        },
      },
    };
    await core.createNode({ body: node });
  }
}

export async function waitForNodesReady(kubeconfig: string, count: number, timeoutMs: number): Promise<void> {
  const core = coreApi(kubeconfig);
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    const nodes = await core.listNode();
    ready = nodes.items.filter((node) =>
      node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    ).length;
    if (ready >= count) return;
    await sleep(100);
  }
  throw new UpstreamError(`Only ${ready} of ${count} nodes became Ready within ${timeoutMs / 1000}s.`, {
    hint: "kwok marks nodes Ready; see its log in the cluster's logs/kwok.log.",
  });
}

/** Pods cannot be created in a namespace before the controller manager has made its `default` ServiceAccount. */
export async function waitForDefaultServiceAccount(kubeconfig: string, timeoutMs: number): Promise<void> {
  const core = coreApi(kubeconfig);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await core.readNamespacedServiceAccount({ name: "default", namespace: "default" }).then(
      () => true,
      () => false,
    );
    if (found) return;
    await sleep(100);
  }
  throw new UpstreamError("The controller manager did not create the default ServiceAccount in time.", {
    hint: "See the cluster's logs/kube-controller-manager.log.",
  });
}
