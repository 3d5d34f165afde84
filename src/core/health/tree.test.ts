import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployment, Pod, ReplicaSet } from "../kube/objects.js";
import { deploymentView, podView } from "./tree.js";

const owner = (uid: string) => [{ kind: "x", name: "x", uid, controller: true }];

const deployment: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "shop",
    uid: "d1",
    generation: 3,
    annotations: {
      "deployment.kubernetes.io/revision": "2",
      "kubectl.kubernetes.io/last-applied-configuration": "{}",
      "team.example/owner": "payments",
    },
  },
  spec: { replicas: 2 },
  status: {
    observedGeneration: 3,
    replicas: 3,
    readyReplicas: 1,
    updatedReplicas: 2,
    availableReplicas: 1,
    conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }],
  },
};
const replicaSet = (name: string, revision: string, replicas: number, uid: string): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name,
    uid,
    ownerReferences: owner("d1"),
    annotations: { "deployment.kubernetes.io/revision": revision },
    creationTimestamp: "2026-01-01T00:00:00Z",
  },
  spec: { replicas, template: { spec: { containers: [{ name: "app", image: `shop:${revision}` }] } } },
  status: { readyReplicas: replicas === 0 ? 0 : 1 },
});
const pod = (name: string, rs: string, status: Pod["status"]): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ownerReferences: owner(rs) },
  spec: { nodeName: "node-1", containers: [{ name: "app" }, { name: "proxy" }] },
  status,
});

describe("the resource tree", () => {
  it("puts pods under their ReplicaSet and ReplicaSets under their Deployment, newest first", () => {
    const running = pod("shop-new-a", "rs2", {
      phase: "Running",
      startTime: "2026-01-02T00:00:00Z",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [
        { name: "app", ready: true, restartCount: 0 },
        { name: "proxy", ready: true, restartCount: 1 },
      ],
    });
    const crashing = pod("shop-new-b", "rs2", {
      phase: "Running",
      conditions: [{ type: "Ready", status: "False" }],
      containerStatuses: [
        { name: "app", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } },
        { name: "proxy", ready: true, restartCount: 0 },
      ],
    });
    const stranger = pod("other", "rs-of-someone-else", { phase: "Running" });
    const view = deploymentView(
      deployment,
      [
        replicaSet("shop-old", "1", 0, "rs1"),
        replicaSet("shop-new", "2", 2, "rs2"),
        { ...replicaSet("not-ours", "9", 1, "rs9"), metadata: { name: "not-ours", uid: "rs9" } },
      ],
      [crashing, running, stranger],
    );
    assert.equal(view.replicas, 2);
    assert.equal(view.readyReplicas, 1);
    assert.deepEqual(view.conditions, [
      { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: null },
    ]);
    assert.deepEqual(view.annotations, { "team.example/owner": "payments" });
    assert.deepEqual(
      view.replicaSets.map((rs) => `${rs.name}@${rs.revision}: ${rs.pods.map((p) => p.name).join(",")}`),
      ["shop-new@2: shop-new-a,shop-new-b", "shop-old@1: "],
    );
    assert.deepEqual(view.replicaSets[0]!.images, ["shop:2"]);
    const [a, b] = view.replicaSets[0]!.pods;
    assert.deepEqual(a, {
      name: "shop-new-a",
      phase: "Running",
      ready: true,
      readyContainers: 2,
      totalContainers: 2,
      restarts: 1,
      node: "node-1",
      startedAt: "2026-01-02T00:00:00Z",
      reason: null,
      containers: ["app", "proxy"],
    });
    assert.equal(b!.ready, false);
    assert.equal(b!.readyContainers, 1);
    assert.equal(b!.restarts, 4);
    assert.equal(b!.reason, "CrashLoopBackOff");
  });

  it("says why a pod is not running: terminating, a container's reason, or the pod's", () => {
    const base = pod("p", "rs", { phase: "Pending" });
    assert.equal(podView(base).reason, null);
    assert.equal(
      podView({ ...base, metadata: { ...base.metadata, deletionTimestamp: "now" } }).reason,
      "Terminating",
    );
    assert.equal(
      podView({
        ...base,
        status: {
          phase: "Running",
          containerStatuses: [
            {
              name: "app",
              ready: false,
              restartCount: 1,
              state: { terminated: { exitCode: 137, reason: "OOMKilled" } },
            },
          ],
        },
      }).reason,
      "OOMKilled",
    );
    assert.equal(podView({ ...base, status: { phase: "Failed", reason: "Evicted" } }).reason, "Evicted");
  });
});
