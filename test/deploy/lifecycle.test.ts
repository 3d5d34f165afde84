import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { comparable } from "../../src/adapters/kubernetes/apply.js";
import { deploy } from "../../src/delivery/deploy.js";
import { connectEnvironment, history, rollback, status } from "../../src/delivery/releases.js";
import { useCluster } from "../testkit/cluster.js";
import { createProject, recordingReporter, simpleApp } from "./fixture.js";

const DESIGN_EXAMPLE = `manifestVersion: "1.1"
name: my-app
args:
  version: latest
endpoints:
  exposes:
    - name: app
      host: app.example.io
containers:
  - name: app
    image: "app:{{ version }}"
    resources:
      requests:
        cpu: 1m
    env:
      - name: NODE_ENV
        value: production
`;

describe("deploy, history, rollback against the local control plane", () => {
  it("deploys the DESIGN.md example unchanged; it becomes Ready and its Ingress carries the host", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("design");
    const project = createProject(cluster, DESIGN_EXAMPLE, { namespace: ns });
    const result = await project.railyard(["deploy", "--env", "staging", "--set", "version=1.4.2"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /my-app revision 1 deployed to staging \(app:1\.4\.2\)/);

    const deployment = await cluster.apps.readNamespacedDeployment({ name: "my-app", namespace: ns });
    assert.equal(deployment.status?.availableReplicas, 1);
    const container = deployment.spec?.template.spec?.containers[0];
    assert.equal(container?.image, "app:1.4.2");
    assert.deepEqual(
      container?.env?.map((e) => ({ name: e.name, value: e.value })),
      [{ name: "NODE_ENV", value: "production" }],
    );
    assert.equal(container?.resources?.requests?.cpu, "1m");
    const ingress = await cluster.kc
      .makeApiClient((await import("@kubernetes/client-node")).NetworkingV1Api)
      .readNamespacedIngress({ name: "my-app", namespace: ns });
    assert.equal(ingress.spec?.rules?.[0]?.host, "app.example.io");
    assert.equal(ingress.metadata?.labels?.["railyard.dev/app"], "my-app");
  });

  it("v1 → v2 → history shows 2 → rollback makes revision 3 with revision 1's objects; removed objects are pruned", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("lifecycle");
    const exposed = simpleApp("api", { endpoints: { exposes: [{ name: "web", host: "api.example.test" }] } });
    const project = createProject(cluster, exposed, { namespace: ns });
    const request = { appFile: project.appFile, configFile: project.configFile, env: "staging" };

    const v1 = await deploy({ ...request, set: { version: "1.0" }, reporter: recordingReporter() });
    assert.equal(v1.record.revision, 1);
    assert.ok(v1.changes.some((c) => c.ref === `Ingress ${ns}/api` && c.action === "created"));

    // v2 drops the endpoint: the Ingress leaves the app and must be pruned.
    project.writeApp(simpleApp("api"));
    const v2 = await deploy({ ...request, set: { version: "2.0" }, reporter: recordingReporter() });
    assert.equal(v2.record.revision, 2);
    assert.deepEqual(v2.pruned, [`Ingress ${ns}/api`]);
    const ingresses = await cluster.kubectl("-n", ns, "get", "ingress", "-o", "name");
    assert.equal(ingresses.trim(), "");

    const where = connectEnvironment(project.configFile, "api", "staging");
    const records = await history(where);
    assert.deepEqual(
      records.map((r) => [r.revision, r.status, r.args.version]),
      [
        [1, "succeeded", "1.0"],
        [2, "succeeded", "2.0"],
      ],
    );
    const cli = await project.railyard(["history", "api", "--env", "staging"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^REVISION\s+STATUS/m);
    assert.equal(cli.stdout.trim().split("\n").length, 3);

    const back = await rollback(where, { to: 1, reporter: recordingReporter() });
    assert.equal(back.record.revision, 3);
    assert.equal(back.record.rollbackOf, 1);
    const after = await history(where);
    const [r1, r3] = [after.find((r) => r.revision === 1)!, after.find((r) => r.revision === 3)!];
    assert.equal(r3.status, "succeeded");
    assert.deepEqual(
      r3.objects.map(comparable),
      r1.objects.map(comparable),
      "revision 3 holds revision 1's objects",
    );
    const live = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop/api:1.0");
    assert.equal(live.status?.availableReplicas, 2);
    await cluster.kubectl("-n", ns, "get", "ingress", "api"); // restored by the rollback

    const logs = await project.railyard(["logs", "api", "--env", "staging", "--tail", "2"]);
    assert.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout.trim().split("\n");
    assert.equal(lines.length, 4, "2 pods × 2 lines");
    for (const line of lines) assert.match(line, /^\[api-[a-z0-9-]+\/app\] (listening on :8080|ready)$/);

    const s = await status(where);
    assert.equal(s.revision?.revision, 3);
    assert.equal(s.health, "Healthy");
    assert.deepEqual(s.pods, { ready: 2, desired: 2 });
    assert.deepEqual(s.drift, []);
    await cluster.kubectl("-n", ns, "scale", "deployment/api", "--replicas=5");
    assert.deepEqual((await status(where)).drift, [`Deployment ${ns}/api differs`]);
  });

  it("changing a config value rolls the pods through a new content-named ConfigMap", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("config");
    const app = simpleApp("web", {
      containers: [
        {
          name: "app",
          image: "registry.example.test/shop/web:1.0",
          env: [{ name: "ASSET_HOST", config: "asset-host" }],
        },
      ],
    });
    const withConfig = (value: string) => ({ config: { "asset-host": value } });
    let project = createProject(cluster, app, {
      namespace: ns,
      environment: withConfig("cdn-a.example.test"),
    });
    const request = { appFile: project.appFile, configFile: project.configFile, env: "staging" };
    const first = await deploy({ ...request, reporter: recordingReporter() });
    const before = await cluster.apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const firstConfigMap = first.record.objects.find((o) => o.kind === "ConfigMap")!.metadata.name!;

    project = createProject(cluster, app, { namespace: ns, environment: withConfig("cdn-b.example.test") });
    const second = await deploy({
      appFile: project.appFile,
      configFile: project.configFile,
      env: "staging",
      reporter: recordingReporter(),
    });
    const secondConfigMap = second.record.objects.find((o) => o.kind === "ConfigMap")!.metadata.name!;
    assert.notEqual(secondConfigMap, firstConfigMap);
    const after = await cluster.apps.readNamespacedDeployment({ name: "web", namespace: ns });
    assert.ok(
      (after.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0),
      "the pod template changed",
    );
    const replicaSets = await cluster.apps.listNamespacedReplicaSet({ namespace: ns });
    assert.equal(replicaSets.items.length, 2, "a new ReplicaSet rolled the pods");
    const data = await cluster.core.readNamespacedConfigMap({ name: secondConfigMap, namespace: ns });
    assert.equal(data.data?.["asset-host"], "cdn-b.example.test");
    assert.deepEqual(second.pruned, [`ConfigMap ${ns}/${firstConfigMap}`], "the old ConfigMap is pruned");
  });
});
