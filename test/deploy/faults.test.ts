import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RolloutError } from "../../src/core/errors.js";
import { deploy } from "../../src/delivery/deploy.js";
import { connectEnvironment, history } from "../../src/delivery/releases.js";
import { type TestCluster, useCluster } from "../testkit/cluster.js";
import { waitFor } from "../testkit/processes.js";
import { createProject, recordingReporter, simpleApp } from "./fixture.js";

interface FaultCase {
  name: string;
  /** Changes v2 makes to the app so its rollout fails this way. */
  v2: (app: Record<string, unknown>) => Record<string, unknown>;
  /** Prepares the namespace after v1 is live (quota). */
  arrange?: (cluster: TestCluster, ns: string) => Promise<void>;
  diagnosis: RegExp;
  /** Readiness may still recover, so it is only called a failure when the deploy's timeout ends. */
  timeoutMs?: number;
}

const withPodLabel = (fault: string) => (app: Record<string, unknown>) => ({
  ...app,
  podLabels: { "railyard.dev/fault": fault },
});

const CASES: FaultCase[] = [
  { name: "crash loop", v2: withPodLabel("crash-loop"), diagnosis: /crash|CrashLoopBackOff/i },
  {
    name: "never ready",
    v2: withPodLabel("never-ready"),
    diagnosis: /readiness|not ready/i,
    timeoutMs: 15_000,
  },
  {
    name: "image pull",
    v2: withPodLabel("image-pull"),
    diagnosis: /image .*(not found|cannot be pulled)|ImagePullBackOff|ErrImagePull/i,
  },
  {
    name: "unschedulable",
    v2: (app) => ({
      ...app,
      containers: [
        { ...(app.containers as object[])[0], resources: { requests: { cpu: "64", memory: "16Mi" } } },
      ],
    }),
    diagnosis: /Insufficient cpu/,
  },
  {
    name: "quota",
    v2: (app) => app,
    arrange: async (cluster, ns) => {
      await cluster.core.createNamespacedResourceQuota({
        namespace: ns,
        body: { metadata: { name: "pods" }, spec: { hard: { pods: "2" } } },
      });
      await waitFor("the quota to be computed", async () => {
        const q = await cluster.core.readNamespacedResourceQuota({ name: "pods", namespace: ns });
        return q.status?.used?.pods === "2" ? true : undefined;
      });
    },
    diagnosis: /exceeded quota/,
  },
];

async function deployV1(cluster: TestCluster, label: string) {
  const ns = await cluster.namespace(label);
  const project = createProject(cluster, simpleApp("api"), { namespace: ns });
  const request = { appFile: project.appFile, configFile: project.configFile, env: "staging" };
  await deploy({ ...request, reporter: recordingReporter() });
  return { ns, project, request };
}

async function assertServing(cluster: TestCluster, ns: string, image: string): Promise<void> {
  await waitFor(
    `the Deployment to serve ${image} with all pods ready`,
    async () => {
      const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
      const s = d.status;
      const ok =
        d.spec?.template.spec?.containers[0]?.image === image &&
        s?.observedGeneration === d.metadata?.generation &&
        s?.availableReplicas === 2 &&
        s?.updatedReplicas === 2 &&
        s?.replicas === 2;
      return ok ? true : undefined;
    },
    30_000,
  );
}

describe("a failing rollout is diagnosed and rolled back", { concurrency: true }, () => {
  for (const fault of CASES) {
    it(`${fault.name}: deploy fails with the cause named, and revision 1 serves again`, async () => {
      const cluster = await useCluster();
      const { ns, project, request } = await deployV1(cluster, fault.name.replace(" ", ""));
      await fault.arrange?.(cluster, ns);
      project.writeApp(fault.v2(simpleApp("api")));

      const reporter = recordingReporter();
      const error = await deploy({
        ...request,
        set: { version: "2.0" },
        timeoutMs: fault.timeoutMs ?? 60_000,
        reporter,
      }).catch((e: unknown) => e);
      assert.ok(error instanceof RolloutError, `expected a RolloutError, got ${String(error)}`);
      assert.match(error.message, fault.diagnosis);
      assert.match(error.message, /Automatically rolled back to revision 1 \(now revision 3\)/);

      await assertServing(cluster, ns, "registry.example.test/shop/api:1.0");
      const records = await history(connectEnvironment(project.configFile, "api", "staging"));
      assert.deepEqual(
        records.map((r) => [r.revision, r.status, r.rollbackOf ?? null]),
        [
          [1, "succeeded", null],
          [2, "failed", null],
          [3, "succeeded", 1],
        ],
      );
      assert.match(records[1]!.diagnosis ?? "", fault.diagnosis);
      assert.equal(records[1]!.rolledBackBy, 3);
    });
  }

  it("a Deployment deleted during its rollout ends the wait at once, saying so", async () => {
    const cluster = await useCluster();
    const { ns, project, request } = await deployV1(cluster, "deleted");
    project.writeApp(withPodLabel("never-ready")(simpleApp("api")));
    const reporter = recordingReporter();
    const deploying = deploy({
      ...request,
      set: { version: "2.0" },
      timeoutMs: 300_000,
      rollbackOnFailure: false,
      reporter,
    }).catch((e: unknown) => e);
    await waitFor("the rollout to be followed", async () =>
      reporter.lines.some((line) => line.startsWith(`Deployment ${ns}/api:`)) ? true : undefined,
    );
    await cluster.apps.deleteNamespacedDeployment({ name: "api", namespace: ns });
    const error = await deploying;
    assert.ok(error instanceof RolloutError, `expected a RolloutError, got ${String(error)}`);
    assert.match(error.message, /Deployment .*\/api no longer exists: it was deleted during the rollout/);
  });

  it("the CLI exits 2 with the diagnosis; with --no-rollback the failed revision stays, recorded as failed", async () => {
    const cluster = await useCluster();
    const { ns, project } = await deployV1(cluster, "norollback");
    project.writeApp(withPodLabel("crash-loop")(simpleApp("api")));
    const result = await project.railyard([
      "deploy",
      "--env",
      "staging",
      "--set",
      "version=2.0",
      "--no-rollback",
      "--timeout",
      "60s",
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Revision 2 of api failed in staging: .*crash/i);
    assert.match(result.stderr, /Not rolled back \(--no-rollback was given\)/);
    // kwok serves a crashed container's last words for --previous; the diagnosis quotes them.
    assert.match(result.stderr, /ECONNREFUSED 10\.96\.0\.20:5432/);
    const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop/api:2.0");
    const records = await history(connectEnvironment(project.configFile, "api", "staging"));
    assert.deepEqual(
      records.map((r) => [r.revision, r.status]),
      [
        [1, "succeeded"],
        [2, "failed"],
      ],
    );
  });
});
