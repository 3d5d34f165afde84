import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { type TestCluster, useCluster } from "../testkit/cluster.js";
import { type Postgres, startPostgres } from "../testkit/postgres.js";
import { waitFor } from "../testkit/processes.js";
import {
  type ApiCall,
  createAppRepository,
  restartPostgres,
  type ServerProcess,
  startServerProcess,
  tempDir,
  waitForExecutionOn,
  writePlatformConfig,
} from "./fixture.js";

/** Short leases: a killed server's executions are taken over seconds later, not 15 s later. */
const LEASE_MS = 3_000;

let postgres: Postgres | undefined;
after(async () => {
  await postgres?.stop();
});

/** The app: one deploy stage to staging; `slow` pods run at once but turn ready only ~8 s later. */
const appFile = (version: string, slow: boolean) =>
  stringify({
    name: "shop",
    args: { version },
    replicas: 1,
    ...(slow ? { podLabels: { "railyard.dev/fault": "slow-start" } } : {}),
    containers: [{ name: "app", image: "registry.example.test/shop:{{ version }}" }],
    pipeline: { triggers: [], stages: [{ id: "deploy", deploy: "staging" }] },
  });

async function setUp(cluster: TestCluster, prefix: string) {
  const ns = await cluster.namespace(prefix);
  const repo = await createAppRepository();
  await repo.commit({ "shop/railyard.yaml": appFile("1.0", false) });
  const configFile = writePlatformConfig({
    environments: {
      staging: { cluster: { kubeconfig: cluster.kubeconfigPath }, namespace: ns, imagePolicy: "tag" },
    },
    repositories: { apps: { url: repo.url } },
    apps: { shop: { repository: "apps", path: "shop/railyard.yaml", branch: "main" } },
  });
  return { ns, repo, configFile };
}

async function run(api: ApiCall, version: string): Promise<string> {
  const started = await api("POST", "/api/v1/apps/shop/runs", { args: { version } });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  return started.body.id as string;
}

/**
 * Waits until the execution's deploy stage is running and its rollout has begun but not finished: the
 * Deployment has the new image and its new pod runs but is not ready yet.
 */
async function waitForRolloutUnderway(
  cluster: TestCluster,
  ns: string,
  api: ApiCall,
  id: string,
  image: string,
): Promise<void> {
  await waitFor(
    `execution ${id} to wait for the rollout of ${image}`,
    async () => {
      const { body } = await api("GET", `/api/v1/executions/${id}`);
      if (body.stages[0].status !== "running") return undefined;
      const pods = await cluster.core.listNamespacedPod({
        namespace: ns,
        labelSelector: "app.kubernetes.io/name=shop",
      });
      const slow = pods.items.find(
        (p) =>
          p.spec?.containers[0]?.image === image &&
          p.status?.phase === "Running" &&
          p.status.conditions?.some((c) => c.type === "Ready" && c.status === "False"),
      );
      return slow ? true : undefined;
    },
    60_000,
  );
}

async function assertOneRevisionPerStage(
  cluster: TestCluster,
  ns: string,
  api: ApiCall,
  executions: string[],
): Promise<void> {
  const history = await api("GET", "/api/v1/apps/shop/environments/staging/history");
  assert.equal(history.status, 200, JSON.stringify(history.body));
  assert.deepEqual(
    history.body.items.map((r: { revision: number; status: string; origin?: unknown }) => [
      r.revision,
      r.status,
      r.origin,
    ]),
    executions.map((execution, i) => [i + 1, "succeeded", { execution, stage: "deploy" }]),
  );
  const secrets = await cluster.core.listNamespacedSecret({
    namespace: ns,
    labelSelector: "railyard.dev/release=true",
  });
  assert.equal(secrets.items.length, executions.length, "one release record per deploy stage");
}

/** Each stage outcome and the execution's end are audited once, however often the stage ran. */
async function assertAuditedOnce(api: ApiCall, id: string): Promise<void> {
  const audit = await api("GET", `/api/v1/audit?execution=${id}&limit=100`);
  const actions = audit.body.items.map(
    (e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`,
  );
  assert.deepEqual(
    actions.filter((a: string) => a.startsWith("stage.") || a.startsWith("execution.finished")),
    ["execution.finished succeeded", "stage.deploy succeeded"],
    actions.join("\n"),
  );
}

async function describeOnFailure(server: ServerProcess, id: string): Promise<string> {
  const { body } = await server.api("GET", `/api/v1/executions/${id}`).catch(() => ({ body: undefined }));
  return `${JSON.stringify(body, null, 1)}\n--- server log ---\n${server.output().slice(-4000)}`;
}

/**
 * A server with revision 1 live (deployed the plain way) and execution `two` waiting for a rollout
 * that turns ready only seconds later: the moment to stop or kill the server.
 */
async function rolloutUnderway(cluster: TestCluster, prefix: string) {
  const { ns, repo, configFile } = await setUp(cluster, prefix);
  const options = { configFile, dataDir: tempDir("railyard-data-"), leaseMs: LEASE_MS, pollMs: 200 };
  const first = await startServerProcess({ ...options, name: "first" });
  const one = await run(first.api, "1.0");
  const done1 = await waitForExecutionOn(first.api, one, ["succeeded", "failed"], 60_000);
  assert.equal(done1.status, "succeeded", await describeOnFailure(first, one));
  await repo.commit({ "shop/railyard.yaml": appFile("1.0", true) });
  const two = await run(first.api, "2.0");
  await waitForRolloutUnderway(cluster, ns, first.api, two, "registry.example.test/shop:2.0");
  return { ns, options, first, one, two };
}

describe("durable executions", () => {
  it("kill -9 while a deploy stage waits for its rollout: after a restart it completes, with one revision", async () => {
    const cluster = await useCluster();
    // Revision 1 the plain way, so the interrupted stage makes revision 2 on top of a live one.
    const { ns, options, first, one, two } = await rolloutUnderway(cluster, "dur-kill");
    await first.kill();

    const second = await startServerProcess({ ...options, name: "second" });
    // The killed server left the stage running: what follows is the restarted server's doing.
    const left = await second.api("GET", `/api/v1/executions/${two}`);
    assert.equal(left.body.stages[0].status, "running", JSON.stringify(left.body));
    const done2 = await waitForExecutionOn(
      second.api,
      two,
      ["succeeded", "failed", "cancelled"],
      120_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await describeOnFailure(second, two)}`);
    });
    assert.equal(done2.status, "succeeded", await describeOnFailure(second, two));
    assert.equal(done2.stages[0].output.revision, 2);
    await assertOneRevisionPerStage(cluster, ns, second.api, [one, two]);
    await assertAuditedOnce(second.api, two);
    const live = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: ns });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:2.0");
    assert.equal(live.status?.readyReplicas, 1);
  });

  it("SIGTERM while a deploy stage waits for its rollout: the server stops without waiting, and a restart completes it", async () => {
    const cluster = await useCluster();
    const { ns, options, first, one, two } = await rolloutUnderway(cluster, "dur-term");
    assert.equal(await first.terminate(), 0, first.output());
    assert.match(first.output(), /stopped while waiting for the rollout/);

    const second = await startServerProcess({ ...options, name: "second" });
    // Had the first server waited for the rollout, it would have recorded the stage as succeeded.
    const left = await second.api("GET", `/api/v1/executions/${two}`);
    assert.equal(left.body.stages[0].status, "running", JSON.stringify(left.body));
    const done2 = await waitForExecutionOn(second.api, two, ["succeeded", "failed", "cancelled"], 120_000);
    assert.equal(done2.status, "succeeded", await describeOnFailure(second, two));
    assert.equal(done2.stages[0].output.revision, 2);
    await assertOneRevisionPerStage(cluster, ns, second.api, [one, two]);
    await assertAuditedOnce(second.api, two);
  });

  it("PostgreSQL restarting while a deploy stage waits for its rollout: the execution still completes once", async () => {
    const cluster = await useCluster();
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase("durability");
    const { ns, repo, configFile } = await setUp(cluster, "dur-pg");
    const server = await startServerProcess({
      configFile,
      dataDir: tempDir("railyard-data-"),
      databaseUrl,
      leaseMs: LEASE_MS,
      pollMs: 200,
      name: "server",
    });
    const one = await run(server.api, "1.0");
    assert.equal(
      (await waitForExecutionOn(server.api, one, ["succeeded", "failed"], 60_000)).status,
      "succeeded",
    );

    await repo.commit({ "shop/railyard.yaml": appFile("1.0", true) });
    const two = await run(server.api, "2.0");
    await waitForRolloutUnderway(cluster, ns, server.api, two, "registry.example.test/shop:2.0");
    // Down for longer than a lease, so the execution's lease runs out while its stage still runs.
    await restartPostgres(postgres, LEASE_MS + 1_500);

    const done2 = await waitForExecutionOn(
      server.api,
      two,
      ["succeeded", "failed", "cancelled"],
      120_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await describeOnFailure(server, two)}`);
    });
    assert.equal(done2.status, "succeeded", await describeOnFailure(server, two));
    await assertOneRevisionPerStage(cluster, ns, server.api, [one, two]);
    await assertAuditedOnce(server.api, two);
    // And the server keeps working afterwards.
    const three = await run(server.api, "3.0");
    assert.equal(
      (await waitForExecutionOn(server.api, three, ["succeeded", "failed"], 60_000)).status,
      "succeeded",
      await describeOnFailure(server, three),
    );
  });
});
