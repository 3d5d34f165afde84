import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useCluster } from "../testkit/cluster.js";
import { waitFor } from "../testkit/processes.js";
import { deployment } from "./workloads.js";

describe("the local control plane rolls out Deployments with the real controllers", () => {
  it("brings 3 replicas to 3 ready pods, then rolls a new image out as a second revision", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("rollout");
    await cluster.apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment("api", ns, { replicas: 3 }),
    });

    const first = await waitFor("3 available replicas", async () => {
      const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
      return d.status?.availableReplicas === 3 && d.status.readyReplicas === 3 ? d : undefined;
    });
    assert.equal(first.status?.replicas, 3);
    const pods = await cluster.core.listNamespacedPod({ namespace: ns });
    assert.equal(pods.items.length, 3);
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, "Running");
      assert.ok(pod.spec?.nodeName?.startsWith("kwok-node-"), "scheduled onto a kwok node by the scheduler");
      assert.ok(pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    }

    await cluster.kubectl(
      "-n",
      ns,
      "set",
      "image",
      "deployment/api",
      "app=registry.example.test/shop/api:1.1",
    );
    await waitFor("the new image to be rolled out", async () => {
      const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
      const s = d.status;
      const done =
        s?.observedGeneration === d.metadata?.generation &&
        s?.updatedReplicas === 3 &&
        s?.availableReplicas === 3 &&
        s?.replicas === 3;
      return done ? true : undefined;
    });
    const replicaSets = await cluster.apps.listNamespacedReplicaSet({ namespace: ns });
    assert.equal(replicaSets.items.length, 2, "a new ReplicaSet for the new pod template");
    const images = replicaSets.items.map((rs) => rs.spec?.template?.spec?.containers[0]?.image).sort();
    assert.deepEqual(images, ["registry.example.test/shop/api:1.0", "registry.example.test/shop/api:1.1"]);

    const history = await cluster.kubectl("-n", ns, "rollout", "history", "deployment/api");
    const revisions = history
      .split("\n")
      .filter((line) => /^\d+\s/.test(line))
      .map((line) => Number(line.split(/\s+/)[0]));
    assert.deepEqual(revisions, [1, 2], `kubectl rollout history:\n${history}`);
  });
});
