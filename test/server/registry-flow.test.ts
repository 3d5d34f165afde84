import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { stringify } from "yaml";
import { useCluster } from "../testkit/cluster.js";
import { startGitServer } from "../testkit/git-server.js";
import { freePort, waitFor } from "../testkit/processes.js";
import { startRegistry } from "../testkit/registry.js";
import { createAppRepository, startServerFixture } from "./fixture.js";

const TOKEN_ENV = "RAILYARD_TEST_REGISTRY_TOKEN";
const APP_FILE = "services/api/railyard.yaml";

/**
 * Namespaces for staging and production, a registry that notifies the server of every push (with a
 * bearer token, as its config would say), a git server holding the app file, and the server.
 */
async function setUp(t: TestContext, options: { otherApps?: Record<string, unknown> } = {}) {
  const cluster = await useCluster();
  const [staging, production] = await Promise.all([
    cluster.namespace("reg-stg"),
    cluster.namespace("reg-prd"),
  ]);

  // Railyard's port is chosen first, so the registry can be told where to send.
  const port = await freePort();
  const notifyToken = "registry-notifications-token";
  process.env[TOKEN_ENV] = notifyToken;
  const registry = await startRegistry({
    notifications: {
      url: `http://127.0.0.1:${port}/hooks/registry`,
      headers: { Authorization: `Bearer ${notifyToken}` },
    },
  });
  t.after(() => registry.stop());

  const git = await startGitServer();
  t.after(() => git.stop());
  const repoUrl = await git.createRepository("apps");
  const repo = await createAppRepository({ remote: repoUrl });
  const commit = await repo.commit({
    [APP_FILE]: stringify({
      name: "api",
      args: { version: "0.0.0" },
      replicas: 2,
      containers: [{ name: "api", image: `${registry.host}/shop/api:{{ version }}` }],
      pipeline: {
        triggers: [{ image: { repository: "shop/api", tags: ">=1.0.0" } }],
        stages: [
          { id: "deploy-staging", deploy: "staging" },
          {
            id: "approve-production",
            approval: { message: "Ship {{ version }} to production?", environment: "production" },
          },
          { id: "deploy-production", deploy: "production" },
        ],
      },
    }),
  });

  // Environments keep the default imagePolicy (digest): images are pinned when deployed.
  const env = (namespace: string) => ({ cluster: { kubeconfig: cluster.kubeconfigPath }, namespace });
  const fx = await startServerFixture(
    {
      environments: { staging: env(staging), production: env(production) },
      registries: { [registry.host]: { insecure: true } },
      repositories: { apps: { url: repoUrl } },
      // Other apps first: the server looks at apps in this order.
      apps: { ...options.otherApps, api: { repository: "apps", path: APP_FILE, branch: "main" } },
      webhooks: { registry: { token: { fromEnv: TOKEN_ENV } } },
    },
    { port },
  );
  return { cluster, staging, production, registry, commit, fx };
}

describe("an image pushed to the registry is delivered through staging, an approval and production", () => {
  it("starts by itself, runs the pushed digest in staging, waits for an approver, then runs the same digest in production", async (t) => {
    const { cluster, staging, production, registry, commit, fx } = await setUp(t);
    const viewer = await fx.token("watcher", ["viewer"]);
    const approver = await fx.token("lead", ["approve:production"]);

    // A notification without the token is refused, and starts nothing.
    const unsigned = await fetch(`${fx.server.url}/hooks/registry`, {
      method: "POST",
      headers: { "content-type": "application/vnd.docker.distribution.events.v1+json" },
      body: JSON.stringify({ events: [] }),
    });
    assert.equal(unsigned.status, 401);

    // Pushes the trigger does not ask for: a tag outside >=1.0.0, another repository.
    await registry.pushImage("shop/api", "dev");
    await registry.pushImage("shop/worker", "1.0.0");
    const build = { "hello.txt": "api build 7\n" };
    const digest = await registry.pushImage("shop/api", "1.4.0", build);

    const executions = async () => (await fx.api("GET", "/api/v1/executions?app=api&limit=100")).body.items;
    const [started] = await waitFor(
      "the image push to start an execution",
      async () => {
        const items = await executions();
        return items.length > 0 ? items : undefined;
      },
      30_000,
    );
    const id = started.id as string;
    assert.equal(started.trigger.kind, "image-push");
    assert.equal(started.trigger.digest, digest);
    assert.equal(started.trigger.tag, "1.4.0");
    assert.deepEqual(started.args, { version: "1.4.0" });
    assert.equal(started.source.commit, commit);

    const waiting = await fx.waitForExecution(id, ["waiting", "failed", "succeeded"], 90_000);
    assert.equal(waiting.status, "waiting", JSON.stringify(waiting.stages));
    type Stage = { id: string; status: string; message: string | null };
    const stage = (execution: { stages: Stage[] }, stageId: string): Stage => {
      const found = execution.stages.find((s) => s.id === stageId);
      assert.ok(found, `stage ${stageId} in ${JSON.stringify(execution.stages)}`);
      return found;
    };
    assert.equal(stage(waiting, "deploy-staging").status, "succeeded");
    assert.equal(stage(waiting, "approve-production").status, "waiting");
    assert.equal(stage(waiting, "deploy-production").status, "pending");

    const imageIn = async (namespace: string) =>
      (await cluster.apps.readNamespacedDeployment({ name: "api", namespace })).spec?.template.spec
        ?.containers[0]?.image;
    const pinned = `${registry.host}/shop/api:1.4.0@${digest}`;
    assert.equal(await imageIn(staging), pinned);
    await assert.rejects(imageIn(production), "nothing reaches production before the approval");

    // The same image tagged again is the same digest: no second execution.
    assert.equal(await registry.pushImage("shop/api", "1.4.1", build), digest);
    await waitFor(
      "the second tag's notification",
      async () => {
        const { body } = await fx.api("GET", `/api/v1/audit?action=trigger.duplicate&execution=${id}`);
        return body.items.length > 0 ? true : undefined;
      },
      30_000,
    );
    // Only the one image the trigger asks for started anything.
    assert.equal((await executions()).length, 1);

    const denied = await fx.api(
      "POST",
      `/api/v1/executions/${id}/stages/approve-production/approve`,
      { comment: "lgtm" },
      viewer,
    );
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.equal((await fx.api("GET", `/api/v1/executions/${id}`)).body.status, "waiting");

    const approved = await fx.api(
      "POST",
      `/api/v1/executions/${id}/stages/approve-production/approve`,
      { comment: "ship it" },
      approver,
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));

    const done = await fx.waitForExecution(id, ["succeeded", "failed"], 90_000);
    assert.equal(done.status, "succeeded", JSON.stringify(done.stages));
    assert.equal(stage(done, "approve-production").message, "approved by token:lead: ship it");
    assert.equal(await imageIn(production), pinned);
    assert.equal(await imageIn(staging), await imageIn(production), "production runs the digest staging ran");

    for (const environment of ["staging", "production"]) {
      const history = await fx.api("GET", `/api/v1/apps/api/environments/${environment}/history`);
      assert.equal(history.body.items.length, 1, JSON.stringify(history.body));
      const [record] = history.body.items;
      assert.equal(record.images[0].digest, digest);
      assert.deepEqual(record.origin, { execution: id, stage: `deploy-${environment}` });
    }

    // The audit log tells the story, each step with who caused it.
    const audit = await fx.api("GET", `/api/v1/audit?execution=${id}&limit=100`);
    const steps = (
      audit.body.items as {
        action: string;
        actor: string;
        source: string;
        outcome: string;
        environment: string | null;
      }[]
    )
      .filter((e) => e.action !== "trigger.duplicate") // the registry may deliver a notification again
      .map((e) => [e.action, e.actor, e.source, e.outcome, e.environment ?? "-"].join(" "))
      .reverse();
    const pusher = started.actor as string;
    t.diagnostic(`the pipeline ran as ${pusher}`);
    assert.match(pusher, /^registry:/);
    assert.deepEqual(steps, [
      `execution.created ${pusher} webhook queued -`,
      `execution.started ${pusher} server running -`,
      `stage.deploy ${pusher} server succeeded staging`,
      "approval.approve token:watcher api forbidden production",
      "approval.approve token:lead api approved production",
      `stage.approval ${pusher} server succeeded -`,
      `stage.deploy ${pusher} server succeeded production`,
      `execution.finished ${pusher} server succeeded -`,
    ]);
  });

  it("keeps production on the digest staging ran when the tag is pushed again before the approval", async (t) => {
    const { cluster, staging, production, registry, fx } = await setUp(t);
    const executions = async () =>
      (await fx.api("GET", "/api/v1/executions?app=api&limit=100")).body.items as {
        id: string;
        status: string;
        trigger: { digest: string };
      }[];
    const imageIn = async (namespace: string) =>
      (await cluster.apps.readNamespacedDeployment({ name: "api", namespace })).spec?.template.spec
        ?.containers[0]?.image;

    const tested = await registry.pushImage("shop/api", "2.0.0", { "hello.txt": "the build QA tested\n" });
    const first = await waitFor(
      "the push to start an execution",
      async () => (await executions())[0],
      30_000,
    );
    const waiting = await fx.waitForExecution(first.id, ["waiting", "failed", "succeeded"], 90_000);
    assert.equal(waiting.status, "waiting", JSON.stringify(waiting.stages));
    assert.equal(await imageIn(staging), `${registry.host}/shop/api:2.0.0@${tested}`);

    // CI builds again and pushes the same tag: a new digest, and a new execution queued behind the first.
    const rebuilt = await registry.pushImage("shop/api", "2.0.0", { "hello.txt": "a later build\n" });
    assert.notEqual(rebuilt, tested);
    await waitFor(
      "the second push to start an execution",
      async () => ((await executions()).length === 2 ? true : undefined),
      30_000,
    );

    // The approver approved what staging ran: that, and nothing else, goes to production.
    const approved = await fx.api(
      "POST",
      `/api/v1/executions/${first.id}/stages/approve-production/approve`,
      {},
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const done = await fx.waitForExecution(first.id, ["succeeded", "failed"], 90_000);
    assert.equal(done.status, "succeeded", JSON.stringify(done.stages));
    assert.equal(
      await imageIn(production),
      `${registry.host}/shop/api:2.0.0@${tested}`,
      "production runs the digest that was tested in staging and approved",
    );
  });

  it("starts an app's run even when another registered app cannot be read", async (t) => {
    // Registered before its app file was committed.
    const { registry, fx } = await setUp(t, {
      otherApps: { web: { repository: "apps", path: "services/web/railyard.yaml" } },
    });
    const digest = await registry.pushImage("shop/api", "3.0.0");
    const started = await waitFor(
      "the push to start an execution",
      async () => (await fx.api("GET", "/api/v1/executions?app=api")).body.items[0],
      30_000,
    );
    assert.equal(started.trigger.digest, digest);
    // Why web started nothing is in the audit log, once.
    const failed = (await fx.api("GET", "/api/v1/audit?app=web&action=trigger.failed")).body.items;
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.match(failed[0].detail.message, /services\/web\/railyard.yaml does not exist/);
    assert.equal(`${failed[0].actor} ${failed[0].source}`, `${started.actor} webhook`);
  });
});
