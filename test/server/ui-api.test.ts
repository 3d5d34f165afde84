import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { useCluster } from "../testkit/cluster.js";
import { createAppRepository, startServerFixture } from "./fixture.js";

const SECRET_ENV = "RAILYARD_UI_API_TEST_TOKEN";
const SECRETS = ["first-Secret-value-7731", "second-Secret-value-8842"];

const shop = (version: string) =>
  stringify({
    name: "shop",
    args: { version },
    replicas: 2,
    containers: [
      {
        name: "app",
        image: "registry.example.test/shop:{{ version }}",
        args: ["--version={{ version }}"],
        ports: [{ name: "http", containerPort: 8080 }],
        env: [
          { name: "API_TOKEN", secret: "api-token" },
          { name: "GREETING", config: "greeting" },
        ],
      },
    ],
    pipeline: { triggers: [], stages: [{ id: "deploy-staging", deploy: "staging" }] },
  });

/** Apps that never reach a cluster: one whose run fails, one whose run waits for an approval. */
const pipelineOnly = (name: string, stage: Record<string, unknown>) =>
  stringify({
    name,
    containers: [{ name: "app", image: `registry.example.test/${name}:1` }],
    pipeline: { triggers: [], stages: [stage] },
  });

describe("the API behind the web UI", () => {
  it("shows revisions, their diff, the live resources and pod logs, never a Secret value; filters apps by status", async () => {
    const cluster = await useCluster();
    const namespace = await cluster.namespace("ui-api");
    const repo = await createAppRepository();
    await repo.commit({
      "shop/railyard.yaml": shop("1.0"),
      "broken/railyard.yaml": pipelineOnly("broken", { id: "guard", check: "false" }),
      "held/railyard.yaml": pipelineOnly("held", { id: "hold", approval: { message: "Go?" } }),
    });
    process.env[SECRET_ENV] = SECRETS[0];
    const fx = await startServerFixture({
      environments: {
        staging: {
          cluster: { kubeconfig: cluster.kubeconfigPath },
          namespace,
          imagePolicy: "tag",
          config: { greeting: "hello" },
          secrets: { "api-token": { fromEnv: SECRET_ENV } },
        },
      },
      repositories: { apps: { url: repo.url } },
      apps: Object.fromEntries(
        ["shop", "broken", "held"].map((name) => [
          name,
          { repository: "apps", path: `${name}/railyard.yaml` },
        ]),
      ),
    });
    const viewer = await fx.token("viewer", ["viewer"]);
    const get = (path: string) =>
      fx.api("GET", `/api/v1/apps/shop/environments/staging${path}`, undefined, viewer);
    const outputs: string[] = [];

    const deploy = async (version: string) => {
      const run = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version } });
      assert.equal(run.status, 201, JSON.stringify(run.body));
      const done = await fx.waitForExecution(run.body.id, ["succeeded", "failed"], 120_000);
      assert.equal(done.status, "succeeded", JSON.stringify(done.stages));
    };
    await deploy("1.0");
    process.env[SECRET_ENV] = SECRETS[1];
    await deploy("1.1");

    // No token, no reading.
    const anonymous = await fetch(`${fx.server.url}/api/v1/apps/shop/environments/staging/resources`);
    assert.equal(anonymous.status, 401);

    // One revision: its record, as history lists it, and its objects as YAML.
    const history = await get("/history");
    const first = await get("/revisions/1");
    assert.equal(first.status, 200, JSON.stringify(first.body));
    outputs.push(JSON.stringify(first.body));
    const { manifest, ...summary } = first.body;
    assert.deepEqual(summary, history.body.items[0]);
    assert.deepEqual(Object.keys(first.body).slice(0, 2), ["revision", "status"]);
    assert.equal(first.body.revision, 1);
    assert.equal(first.body.status, "succeeded");
    assert.match(manifest, /^kind: Deployment$/m);
    assert.match(manifest, /image: registry\.example\.test\/shop:1\.0/);
    assert.match(manifest, /^kind: Secret$/m);
    assert.match(manifest, /api-token: <redacted>/);
    assert.equal(manifest.split(/^---$/m).length, 4, "ConfigMap, Secret, Deployment, Service");
    const missing = await get("/revisions/7");
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /shop has no revision 7 in staging/);
    assert.match(missing.body.error.hint, /1 to 2/);
    assert.equal((await get("/revisions/zero")).status, 400);

    // The diff between them: the Deployment's image and arg changed; the Secret did not (as far as
    // records know: they never hold its values).
    const diff = await get("/diff?from=1&to=2");
    assert.equal(diff.status, 200, JSON.stringify(diff.body));
    outputs.push(JSON.stringify(diff.body));
    assert.equal(diff.body.from, 1);
    assert.equal(diff.body.to, 2);
    const byKind = Object.fromEntries(
      diff.body.objects.map((o: { kind: string; change: string; diff: string }) => [o.kind, o]),
    );
    assert.deepEqual(Object.keys(byKind).sort(), ["ConfigMap", "Deployment", "Secret", "Service"]);
    assert.equal(byKind.Deployment.change, "changed");
    assert.equal(byKind.Deployment.name, "shop");
    assert.equal(byKind.Deployment.namespace, namespace);
    assert.match(byKind.Deployment.diff, /^--- revision 1\n\+\+\+ revision 2$/m);
    assert.match(byKind.Deployment.diff, /^-\s+image: registry\.example\.test\/shop:1\.0$/m);
    assert.match(byKind.Deployment.diff, /^\+\s+image: registry\.example\.test\/shop:1\.1$/m);
    assert.match(byKind.Deployment.diff, /^\+\s+- --version=1\.1$/m);
    assert.equal(byKind.Secret.change, "unchanged");
    assert.equal(byKind.Secret.diff, "");
    assert.equal(byKind.Service.change, "unchanged");
    assert.equal((await get("/diff?from=1&to=9")).status, 404);
    assert.equal((await get("/diff?from=1")).status, 400);

    // What runs now: the Deployment, its ReplicaSets newest first, the new one's pods ready.
    const tree = await get("/resources");
    assert.equal(tree.status, 200, JSON.stringify(tree.body));
    outputs.push(JSON.stringify(tree.body));
    assert.equal(tree.body.namespace, namespace);
    assert.equal(tree.body.deployments.length, 1);
    const [deployment] = tree.body.deployments;
    assert.equal(deployment.name, "shop");
    assert.equal(deployment.replicas, 2);
    assert.equal(deployment.readyReplicas, 2);
    assert.equal(deployment.updatedReplicas, 2);
    assert.ok(deployment.observedGeneration >= deployment.generation);
    assert.ok(
      deployment.conditions.some(
        (c: { type: string; status: string }) => c.type === "Available" && c.status === "True",
      ),
    );
    const [current, previous] = deployment.replicaSets;
    assert.equal(current.revision, 2);
    assert.deepEqual(current.images, ["registry.example.test/shop:1.1"]);
    assert.equal(current.replicas, 2);
    assert.equal(current.readyReplicas, 2);
    assert.equal(current.pods.length, 2);
    for (const pod of current.pods) {
      assert.equal(pod.phase, "Running");
      assert.equal(pod.ready, true);
      assert.equal(pod.readyContainers, 1);
      assert.equal(pod.totalContainers, 1);
      assert.equal(pod.reason, null);
      assert.deepEqual(pod.containers, ["app"]);
      assert.ok(pod.node);
    }
    assert.equal(previous.revision, 1);
    assert.equal(previous.replicas, 0);
    assert.deepEqual(
      tree.body.others
        .map((o: { kind: string; name: string }) => `${o.kind}/${o.name.replace(/-[0-9a-f]{10}$/, "-*")}`)
        .sort(),
      ["ConfigMap/shop-config-*", "Secret/shop-secrets", "Service/shop"],
    );

    // Pod logs: plain text, or a stream that ends when the client goes away.
    const podName = current.pods[0].name as string;
    const logsUrl = `${fx.server.url}/api/v1/apps/shop/environments/staging/pods/${podName}/logs`;
    const headers = { authorization: `Bearer ${viewer}` };
    const logs = await fetch(`${logsUrl}?tailLines=10`, { headers });
    assert.equal(logs.status, 200);
    assert.equal(logs.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(logs.headers.get("x-content-type-options"), "nosniff");
    const text = await logs.text();
    assert.match(text, /simulated by kwok/);
    outputs.push(text);

    const controller = new AbortController();
    const followed = await fetch(`${logsUrl}?follow=1&container=app`, { headers, signal: controller.signal });
    assert.equal(followed.status, 200);
    assert.equal(followed.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(followed.headers.get("x-frame-options"), "DENY");
    const reader = followed.body!.getReader();
    const chunk = await reader.read();
    assert.equal(chunk.done, false);
    assert.ok(Buffer.from(chunk.value!).toString("utf8").length > 0);
    controller.abort();
    await reader.read().catch(() => undefined);

    // Only the app's own pods: not another pod of the namespace, not a pod that does not exist.
    await cluster.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: "bystander", labels: { app: "bystander" } },
        spec: { containers: [{ name: "main", image: "registry.example.test/bystander:1" }] },
      },
    });
    for (const pod of ["bystander", "no-such-pod"]) {
      const refused = await fetch(`${fx.server.url}/api/v1/apps/shop/environments/staging/pods/${pod}/logs`, {
        headers,
      });
      assert.equal(refused.status, 404, pod);
      assert.match(
        ((await refused.json()) as { error: { message: string } }).error.message,
        /shop has no pod/,
      );
    }
    const otherApp = await fx.api("GET", `/api/v1/apps/broken/environments/staging/pods/${podName}/logs`);
    assert.equal(otherApp.status, 404, "a pod of shop is not broken's");
    assert.equal((await fetch(`${logsUrl}?container=sidecar`, { headers })).status, 404);
    assert.equal((await fetch(`${logsUrl}?tailLines=99999`, { headers })).status, 400);
    // The server still answers after the followed stream went away.
    assert.equal((await get("/resources")).status, 200);

    // No Secret value in anything these routes answered.
    const everything = outputs.join("\n");
    for (const value of SECRETS) {
      assert.ok(!everything.includes(value), "no secret value");
      assert.ok(!everything.includes(Buffer.from(value).toString("base64")), "nor its base64 form");
    }

    // The app list, filtered by status before it is paged.
    const broken = await fx.api("POST", "/api/v1/apps/broken/runs", { args: {} });
    await fx.waitForExecution(broken.body.id, ["failed"]);
    const held = await fx.api("POST", "/api/v1/apps/held/runs", { args: {} });
    await fx.waitForExecution(held.body.id, ["waiting"]);
    const names = async (query: string) => {
      const page = await fx.api("GET", `/api/v1/apps${query}`, undefined, viewer);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return { names: page.body.items.map((a: { name: string }) => a.name), next: page.body.next };
    };
    assert.deepEqual(await names(""), { names: ["broken", "held", "shop"], next: null });
    assert.deepEqual(await names("?status=failed"), { names: ["broken"], next: null });
    assert.deepEqual(await names("?status=active"), { names: ["held"], next: null });
    assert.deepEqual(await names("?status=active&limit=1"), { names: ["held"], next: null });
    assert.deepEqual(await names("?limit=1"), { names: ["broken"], next: "broken" });
    assert.equal((await fx.api("GET", "/api/v1/apps?status=bogus")).status, 400);
  });
});
