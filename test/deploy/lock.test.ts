import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acquireDeployLock } from "../../src/adapters/kubernetes/lock.js";
import { deploy } from "../../src/delivery/deploy.js";
import { connectEnvironment, history } from "../../src/delivery/releases.js";
import { useCluster } from "../testkit/cluster.js";
import { createProject, recordingReporter, simpleApp } from "./fixture.js";

describe("two deploys of one app and environment never interleave", () => {
  it("concurrent deploys run one after the other", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("lock");
    const project = createProject(cluster, simpleApp("api"), { namespace: ns });
    const request = { appFile: project.appFile, configFile: project.configFile, env: "staging" };
    const reporters = [recordingReporter(), recordingReporter()];
    await Promise.all([
      deploy({ ...request, set: { version: "1.0" }, reporter: reporters[0]! }),
      deploy({ ...request, set: { version: "2.0" }, reporter: reporters[1]! }),
    ]);
    const records = await history(connectEnvironment(project.configFile, "api", "staging"));
    assert.deepEqual(
      records.map((r) => [r.revision, r.status]),
      [
        [1, "succeeded"],
        [2, "succeeded"],
      ],
    );
    const [first, second] = records;
    assert.ok(
      new Date(second!.startedAt).getTime() >= new Date(first!.finishedAt!).getTime(),
      `revision 2 started (${second!.startedAt}) only after revision 1 finished (${first!.finishedAt})`,
    );
    // Whether the second had to wait depends on timing (the first may be done already); the held-lock
    // test below makes waiting certain.
    const waited = reporters.filter((r) => r.lines.some((line) => line.includes("Waiting for it to finish")));
    assert.ok(waited.length <= 1, "at most one deploy waited for the other");
  });

  it("a held lock makes --no-wait-lock refuse with who holds it, and a waiting deploy go on once released", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("lockheld");
    const project = createProject(cluster, simpleApp("api"), { namespace: ns });
    const where = connectEnvironment(project.configFile, "api", "staging");
    const held = await acquireDeployLock(where.target, ns, "api", "staging", {
      wait: false,
      onWait: () => {},
    });

    const refused = await project.railyard(["deploy", "--env", "staging", "--no-wait-lock"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Another deploy of api to staging is running \(held by .*pid \d+/);
    assert.deepEqual(await history(where), [], "nothing was recorded or applied");

    const reporter = recordingReporter();
    const waiting = deploy({
      appFile: project.appFile,
      configFile: project.configFile,
      env: "staging",
      reporter,
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(
      reporter.lines.some((l) => l.includes("Waiting for it to finish")),
      reporter.lines.join("\n"),
    );
    assert.deepEqual(await history(where), [], "the waiting deploy has not started");
    await held.release();
    const result = await waiting;
    assert.equal(result.record.revision, 1);
  });
});
