import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployment } from "../kube/objects.js";
import { assessDeploymentRollout } from "./rollout.js";

function deployment(status: Deployment["status"], generation = 2, replicas = 3): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "api", generation },
    spec: { replicas },
    status,
  };
}

describe("assessDeploymentRollout (kubectl rollout status semantics)", () => {
  it("waits until the controller has observed the new generation", () => {
    const p = assessDeploymentRollout(
      deployment({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
    );
    assert.equal(p.done, false);
    assert.match(p.message, /observe/);
  });
  it("counts updated, old and available replicas in that order", () => {
    const base = { observedGeneration: 2 };
    assert.match(
      assessDeploymentRollout(deployment({ ...base, replicas: 3, updatedReplicas: 1 })).message,
      /1 of 3 new replicas/,
    );
    assert.match(
      assessDeploymentRollout(deployment({ ...base, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }))
        .message,
      /1 old replicas are pending termination/,
    );
    assert.match(
      assessDeploymentRollout(deployment({ ...base, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }))
        .message,
      /2 of 3 updated replicas are available/,
    );
    const done = assessDeploymentRollout(
      deployment({ ...base, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }),
    );
    assert.equal(done.done, true);
  });
  it("reports the progress deadline", () => {
    const p = assessDeploymentRollout(
      deployment({
        observedGeneration: 2,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
      }),
    );
    assert.equal(p.deadlineExceeded, true);
    assert.equal(p.done, false);
  });
});
