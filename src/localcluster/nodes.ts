import { UpstreamError } from "../core/errors.js";
import { KubeClient } from "../adapters/kubernetes/client.js";
import { loadCredentials } from "../adapters/kubernetes/kubeconfig.js";
import { sleep } from "./processes.js";

export interface NodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
}

interface NodeList {
  items: { status?: { conditions?: { type: string; status: string }[] } }[];
}

function client(kubeconfigPath: string): KubeClient {
  return new KubeClient(loadCredentials({ kubeconfig: kubeconfigPath }));
}

/** Fake nodes for kwok to manage, shaped like kwokctl's node template (no taints, so pods schedule). */
export async function createNodes(
  kubeconfigPath: string,
  count: number,
  capacity: NodeCapacity,
): Promise<void> {
  const api = client(kubeconfigPath);
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const name = `kwok-node-${i}`;
      return api.request("POST", "/api/v1/nodes", {
        body: {
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
            allocatable: capacity,
            capacity,
            nodeInfo: {
              architecture: "amd64",
              operatingSystem: "linux",
              kubeletVersion: "kwok",
              containerRuntimeVersion: "kwok",
            },
          },
        },
      });
    }),
  );
}

export async function waitForNodesReady(
  kubeconfigPath: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const api = client(kubeconfigPath);
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    const nodes = await api.request<NodeList>("GET", "/api/v1/nodes");
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
export async function waitForDefaultServiceAccount(kubeconfigPath: string, timeoutMs: number): Promise<void> {
  const api = client(kubeconfigPath);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default").then(
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
