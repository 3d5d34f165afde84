import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { type TestCluster, useCluster } from "../testkit/cluster.js";
import { waitFor } from "../testkit/processes.js";
import { deployment } from "./workloads.js";

async function podsOf(cluster: TestCluster, ns: string): Promise<V1Pod[]> {
  return (await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: "app=api" })).items;
}

async function assertNeverAvailable(cluster: TestCluster, ns: string): Promise<void> {
  const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
  assert.equal(d.status?.availableReplicas ?? 0, 0, "no replica is available");
  assert.equal(d.status?.readyReplicas ?? 0, 0, "no replica is ready");
  const available = d.status?.conditions?.find((c) => c.type === "Available");
  assert.equal(available?.status, "False", "the Deployment's Available condition is False");
}

async function warningReasons(cluster: TestCluster, ns: string): Promise<string[]> {
  const events = await cluster.core.listNamespacedEvent({ namespace: ns });
  return events.items.filter((e) => e.type === "Warning").map((e) => e.reason ?? "");
}

describe("fault stages make pods fail the way a real kubelet reports it", () => {
  it("crash-loop: CrashLoopBackOff with a climbing restart count, and the Deployment is never available", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("crashloop");
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, { replicas: 2, fault: "crash-loop" }),
    });
    const firstCount = await waitFor("a pod in CrashLoopBackOff", async () => {
      const status = (await podsOf(cluster, ns))[0]?.status?.containerStatuses?.[0];
      return status?.state?.waiting?.reason === "CrashLoopBackOff" ? status.restartCount : undefined;
    });
    const pod = (await podsOf(cluster, ns))[0]!;
    assert.equal(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
    await waitFor("the restart count to climb", async () => {
      const pods = await podsOf(cluster, ns);
      const same = pods.find((p) => p.metadata?.name === pod.metadata?.name);
      const count = same?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      return count >= firstCount + 2 ? count : undefined;
    });
    await assertNeverAvailable(cluster, ns);
    assert.ok((await warningReasons(cluster, ns)).includes("BackOff"), "a BackOff warning event");
  });

  it("never-ready: pods run but never become ready, and the Deployment is never available", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("neverready");
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, { replicas: 2, fault: "never-ready" }),
    });
    await waitFor("2 running pods", async () => {
      const pods = await podsOf(cluster, ns);
      return pods.length === 2 && pods.every((p) => p.status?.phase === "Running") ? true : undefined;
    });
    // Give the controllers time to (wrongly) count them as available if they would.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const pod of await podsOf(cluster, ns)) {
      const container = pod.status?.containerStatuses?.[0];
      assert.ok(container?.state?.running, "the container runs");
      assert.equal(container?.ready, false, "but is not ready");
      assert.ok(pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "False"));
    }
    await assertNeverAvailable(cluster, ns);
    assert.ok(
      (await warningReasons(cluster, ns)).includes("Unhealthy"),
      "an Unhealthy (readiness probe) event",
    );
  });

  it("image-pull: ErrImagePull then ImagePullBackOff, the pod stays Pending and the Deployment unavailable", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("imagepull");
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, {
        replicas: 1,
        fault: "image-pull",
        image: "registry.example.test/shop/api:nope",
      }),
    });
    const seen = new Set<string>();
    await waitFor("both ErrImagePull and ImagePullBackOff", async () => {
      const waiting = (await podsOf(cluster, ns))[0]?.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason) seen.add(waiting.reason);
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff") ? true : undefined;
    });
    const pod = (await podsOf(cluster, ns))[0]!;
    assert.equal(pod.status?.phase, "Pending");
    assert.match(
      pod.status?.containerStatuses?.[0]?.state?.waiting?.message ?? "",
      /registry\.example\.test\/shop\/api:nope/,
    );
    await assertNeverAvailable(cluster, ns);
    assert.ok((await warningReasons(cluster, ns)).includes("Failed"), "a Failed (pull) warning event");
  });
});
