import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { executionProgress } from "./progress.js";
import type { PipelineDefinition, StageDefinition, StageStatus } from "./types.js";

const wait = (id: string, dependsOn: string[]): StageDefinition => ({
  id,
  kind: "wait",
  dependsOn,
  durationMs: 1,
});
const pipeline = (...stages: StageDefinition[]): PipelineDefinition => ({
  name: "p",
  source: "app",
  triggers: [],
  stages,
});
const statuses = (entries: Record<string, StageStatus>) => new Map(Object.entries(entries));

describe("executionProgress", () => {
  const graph = pipeline(
    wait("build", []),
    wait("staging", ["build"]),
    wait("dev", ["build"]),
    wait("prod", ["staging", "dev"]),
  );

  it("starts the stages without dependencies first", () => {
    assert.deepEqual(executionProgress(graph, statuses({})), { runnable: ["build"], unreachable: [] });
  });

  it("runs parallel branches together and joins them", () => {
    assert.deepEqual(executionProgress(graph, statuses({ build: "succeeded" })).runnable, ["staging", "dev"]);
    assert.deepEqual(
      executionProgress(graph, statuses({ build: "succeeded", staging: "succeeded", dev: "running" }))
        .runnable,
      [],
    );
    assert.deepEqual(
      executionProgress(graph, statuses({ build: "succeeded", staging: "succeeded", dev: "skipped" }))
        .runnable,
      ["prod"],
    );
  });

  it("cancels what depends on a failed stage, lets the other branch finish, then fails", () => {
    const midway = executionProgress(
      graph,
      statuses({ build: "succeeded", staging: "failed", dev: "running" }),
    );
    assert.deepEqual(midway.unreachable, [{ id: "prod", because: "staging failed" }]);
    assert.equal(midway.outcome, undefined);
    const done = executionProgress(
      graph,
      statuses({ build: "succeeded", staging: "failed", dev: "succeeded" }),
    );
    assert.equal(done.outcome, "failed");
  });

  it("succeeds when every stage succeeded or was skipped", () => {
    const all = statuses({ build: "succeeded", staging: "succeeded", dev: "skipped", prod: "succeeded" });
    assert.equal(executionProgress(graph, all).outcome, "succeeded");
  });

  it("is cancelled when stages were cancelled and none failed", () => {
    const all = statuses({ build: "succeeded", staging: "cancelled", dev: "cancelled", prod: "cancelled" });
    assert.equal(executionProgress(graph, all).outcome, "cancelled");
  });

  it("waits while a stage is waiting (an approval)", () => {
    const waiting = executionProgress(pipeline(wait("a", []), wait("b", ["a"])), statuses({ a: "waiting" }));
    assert.deepEqual(waiting, { runnable: [], unreachable: [] });
  });
});
