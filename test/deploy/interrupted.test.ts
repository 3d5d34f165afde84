import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deploy } from "../../src/delivery/deploy.js";
import { connectEnvironment, history } from "../../src/delivery/releases.js";
import { useCluster } from "../testkit/cluster.js";
import { waitFor } from "../testkit/processes.js";
import { createProject, recordingReporter, simpleApp } from "./fixture.js";

const root = join(import.meta.dirname, "..", "..");

describe("a deploy killed midway", () => {
  it("leaves its lock to expire and its record to be marked failed by the next deploy, which succeeds", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("killed");
    const project = createProject(cluster, simpleApp("api"), { namespace: ns });
    const request = { appFile: project.appFile, configFile: project.configFile, env: "staging" };
    await deploy({ ...request, reporter: recordingReporter() });
    const where = connectEnvironment(project.configFile, "api", "staging");

    project.writeApp({ ...simpleApp("api"), podLabels: { "railyard.dev/fault": "never-ready" } });
    const cli = spawn(
      process.execPath,
      [join(root, "bin/railyard.js"), "deploy", "--env", "staging", "--set", "version=2.0"],
      {
        cwd: project.dir,
        stdio: "ignore",
      },
    );
    await waitFor("revision 2 to be deploying", async () =>
      (await history(where)).some((r) => r.revision === 2 && r.status === "deploying") ? true : undefined,
    );
    cli.kill("SIGKILL");

    project.writeApp(simpleApp("api"));
    const reporter = recordingReporter();
    const result = await deploy({ ...request, set: { version: "3.0" }, reporter });
    assert.ok(
      reporter.lines.some((l) => l.includes("Waiting for it to finish")),
      "it waited for the dead holder's lease",
    );
    assert.equal(result.record.revision, 3);
    const records = await history(where);
    assert.deepEqual(
      records.map((r) => [r.revision, r.status]),
      [
        [1, "succeeded"],
        [2, "failed"],
        [3, "succeeded"],
      ],
    );
    assert.match(records[1]!.message ?? "", /interrupted/);
    const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    assert.equal(d.status?.availableReplicas, 2);
  });
});
