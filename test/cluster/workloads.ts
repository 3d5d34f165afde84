import type { V1Deployment } from "@kubernetes/client-node";

/** A Deployment of a fake image; kwok plays the kubelet, so the image is never pulled. */
export function deployment(
  name: string,
  namespace: string,
  options: {
    replicas?: number;
    image?: string;
    fault?: string;
    cpu?: string;
    progressDeadlineSeconds?: number;
  } = {},
): V1Deployment {
  const labels: Record<string, string> = { app: name };
  const podLabels = options.fault ? { ...labels, "railyard.dev/fault": options.fault } : labels;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas: options.replicas ?? 1,
      progressDeadlineSeconds: options.progressDeadlineSeconds,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: podLabels },
        spec: {
          containers: [
            {
              name: "app",
              image: options.image ?? "registry.example.test/shop/api:1.0",
              resources: { requests: { cpu: options.cpu ?? "10m", memory: "16Mi" } },
            },
          ],
        },
      },
    },
  };
}
