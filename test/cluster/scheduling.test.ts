import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useCluster } from "../testkit/cluster.js";
import { waitFor } from "../testkit/processes.js";
import { deployment } from "./workloads.js";

describe("the real scheduler and admission enforce capacity and quota", () => {
  it("leaves pods Pending with reason Unschedulable when no node has the capacity", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("unschedulable");
    // Each kwok node has 32 CPUs; a pod asking for 64 fits on none.
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, { cpu: "64" }),
    });
    const condition = await waitFor("the PodScheduled=False condition", async () => {
      const pod = (await cluster.core.listNamespacedPod({ namespace: ns })).items[0];
      return pod?.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    });
    assert.equal(condition.reason, "Unschedulable");
    assert.match(condition.message ?? "", /Insufficient cpu/);
    const pod = (await cluster.core.listNamespacedPod({ namespace: ns })).items[0]!;
    assert.equal(pod.status?.phase, "Pending");
    assert.equal(pod.spec?.nodeName, undefined);
    const events = await cluster.core.listNamespacedEvent({ namespace: ns });
    assert.ok(
      events.items.some((e) => e.reason === "FailedScheduling"),
      "a FailedScheduling event",
    );
  });

  it("rejects pods over a ResourceQuota at the API server; the ReplicaSet reports FailedCreate", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("quota");
    await cluster.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: "pods" }, spec: { hard: { pods: "1" } } },
    });
    // The quota controller computes usage before admission can enforce it.
    await waitFor("the quota to have a status", async () => {
      const q = await cluster.core.readNamespacedResourceQuota({ name: "pods", namespace: ns });
      return q.status?.hard?.pods ? true : undefined;
    });
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, { replicas: 3 }),
    });

    const failed = await waitFor("a FailedCreate event from the ReplicaSet", async () => {
      const events = await cluster.core.listNamespacedEvent({ namespace: ns });
      return events.items.find((e) => e.reason === "FailedCreate" && e.involvedObject.kind === "ReplicaSet");
    });
    assert.match(failed.message ?? "", /exceeded quota: pods/);
    const rs = (await cluster.apps.listNamespacedReplicaSet({ namespace: ns })).items[0]!;
    const failure = await waitFor("the ReplicaFailure condition", async () => {
      const current = await cluster.apps.readNamespacedReplicaSet({
        name: rs.metadata!.name!,
        namespace: ns,
      });
      return current.status?.conditions?.find((c) => c.type === "ReplicaFailure");
    });
    assert.equal(failure.reason, "FailedCreate");
    const pods = await cluster.core.listNamespacedPod({ namespace: ns });
    assert.equal(pods.items.length, 1, "only the pod the quota allows exists");
  });
});
