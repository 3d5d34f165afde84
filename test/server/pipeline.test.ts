import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { useCluster } from "../testkit/cluster.js";
import { createAppRepository, startServerFixture } from "./fixture.js";

const app = (version = "1.0") => ({
  name: "shop",
  args: { version },
  replicas: 2,
  containers: [{ name: "app", image: "registry.example.test/shop:{{ version }}" }],
});

describe("a pipeline run through the server", () => {
  it("deploys staging, waits for an approver, then deploys production; the audit log shows each step", async () => {
    const cluster = await useCluster();
    const [staging, production] = await Promise.all([
      cluster.namespace("srv-stg"),
      cluster.namespace("srv-prd"),
    ]);
    const repo = await createAppRepository();
    const commit = await repo.commit({ "services/shop/railyard.yaml": stringify(app()) });
    const env = (namespace: string) => ({
      cluster: { kubeconfig: cluster.kubeconfigPath },
      namespace,
      imagePolicy: "tag",
    });
    const fx = await startServerFixture({
      environments: { staging: env(staging), production: { ...env(production), forbidSelfApproval: true } },
      repositories: { apps: { url: repo.url } },
      apps: { shop: { repository: "apps", path: "services/shop/railyard.yaml", branch: "main" } },
    });
    const deployer = await fx.token("ci", ["deploy:staging"]);
    const viewer = await fx.token("watcher", ["viewer"]);
    const approver = await fx.token("lead", ["approve:production"]);

    // Nobody without a token, and a viewer may not start runs.
    assert.equal((await fx.api("GET", "/api/v1/executions", undefined, "nope")).status, 401);
    const refused = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version: "1.1" } }, viewer);
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /may not deploy to staging/);

    const started = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version: "1.1" } }, deployer);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.source.commit, commit);
    assert.deepEqual(
      started.body.stages.map((s: { id: string; kind: string }) => `${s.kind}:${s.id}`),
      ["deploy:deploy-staging", "approval:approve-production", "deploy:deploy-production"],
    );
    const id = started.body.id as string;

    const waiting = await fx.waitForExecution(id, ["waiting", "failed"]).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\n${JSON.stringify((await fx.api("GET", `/api/v1/executions/${id}`)).body, null, 1)}`,
      );
    });
    assert.equal(waiting.status, "waiting", JSON.stringify(waiting.stages));
    const [deployStaging, approval] = waiting.stages;
    assert.equal(deployStaging.status, "succeeded");
    assert.equal(approval.status, "waiting");
    const live = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: staging });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:1.1");

    // A viewer (and a staging deployer) may not approve production.
    for (const token of [viewer, deployer]) {
      const denied = await fx.api(
        "POST",
        `/api/v1/executions/${id}/stages/approve-production/approve`,
        {},
        token,
      );
      assert.equal(denied.status, 403);
    }
    const approved = await fx.api(
      "POST",
      `/api/v1/executions/${id}/stages/approve-production/approve`,
      { comment: "looks good" },
      approver,
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    // A second decision is refused: the first one stands.
    const again = await fx.api(
      "POST",
      `/api/v1/executions/${id}/stages/approve-production/reject`,
      {},
      approver,
    );
    assert.equal(again.status, 403);

    const done = await fx.waitForExecution(id, ["succeeded", "failed"]);
    assert.equal(done.status, "succeeded", JSON.stringify(done.stages));
    const prod = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: production });
    assert.equal(prod.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:1.1");

    const history = await fx.api("GET", "/api/v1/apps/shop/environments/production/history");
    assert.equal(history.body.items.length, 1);
    assert.deepEqual(history.body.items[0].origin, { execution: id, stage: "deploy-production" });

    const audit = await fx.api("GET", `/api/v1/audit?execution=${id}&limit=100`);
    const actions = audit.body.items
      .map((e: { action: string; actor: string; outcome: string }) => `${e.action} ${e.actor} ${e.outcome}`)
      .reverse();
    // The refused second decision races with the stage finishing: check it apart from the sequence.
    assert.ok(actions.includes("approval.reject token:lead not waiting"), actions.join("\n"));
    assert.deepEqual(
      actions.filter((a: string) => !a.startsWith("approval.reject")),
      [
        "execution.created token:ci queued",
        "execution.started token:ci running",
        "stage.deploy token:ci succeeded",
        "approval.approve token:watcher forbidden",
        "approval.approve token:ci forbidden",
        "approval.approve token:lead approved",
        "stage.approval token:ci succeeded",
        "stage.deploy token:ci succeeded",
        "execution.finished token:ci succeeded",
      ],
    );

    // The app list shows what runs where, from the server's index.
    const apps = await fx.api("GET", "/api/v1/apps", undefined, viewer);
    assert.equal(apps.status, 200);
    const [shop] = apps.body.items;
    assert.equal(shop.name, "shop");
    assert.deepEqual(Object.keys(shop.environments).sort(), ["production", "staging"]);
    assert.equal(shop.environments.production.version, "1.1");
    assert.equal(shop.environments.production.revision, 1);
    assert.equal(shop.environments.production.images[0].deployed, "registry.example.test/shop:1.1");
    assert.equal(shop.latestExecution.id, id);
  });
});
