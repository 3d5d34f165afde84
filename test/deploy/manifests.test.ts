import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { deploy } from "../../src/delivery/deploy.js";
import { useCluster } from "../testkit/cluster.js";
import { createProject, recordingReporter } from "./fixture.js";

const DEPLOYMENT = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "legacy-api" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "legacy-api" } },
    template: {
      metadata: { labels: { app: "legacy-api" } },
      spec: {
        containers: [
          { name: "api", image: "registry.example.test/legacy/api:placeholder" },
          { name: "proxy", image: "registry.example.test/legacy/proxy:2.1" },
        ],
      },
    },
  },
};
const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "legacy-api" },
  spec: { selector: { app: "legacy-api" }, ports: [{ port: 80, targetPort: 8080 }] },
};

describe("an app made of existing manifests", () => {
  it("deploys a folder of plain manifests into the environment's namespace with images bound by container name", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("manifests");
    const app = {
      name: "legacy",
      args: { version: "1.0" },
      manifests: { path: "./k8s", images: { api: "registry.example.test/legacy/api:{{ version }}" } },
    };
    const project = createProject(cluster, app, { namespace: ns });
    mkdirSync(join(project.dir, "k8s"));
    writeFileSync(join(project.dir, "k8s", "deployment.yaml"), stringify(DEPLOYMENT));
    writeFileSync(join(project.dir, "k8s", "service.yaml"), stringify(SERVICE));

    const result = await deploy({
      appFile: project.appFile,
      configFile: project.configFile,
      env: "staging",
      set: { version: "3.2" },
      reporter: recordingReporter(),
    });
    assert.deepEqual(result.changes.map((c) => [c.ref, c.action]).sort(), [
      [`Deployment ${ns}/legacy-api`, "created"],
      [`Service ${ns}/legacy-api`, "created"],
    ]);
    const d = await cluster.apps.readNamespacedDeployment({ name: "legacy-api", namespace: ns });
    assert.deepEqual(
      d.spec?.template.spec?.containers.map((c) => c.image),
      ["registry.example.test/legacy/api:3.2", "registry.example.test/legacy/proxy:2.1"],
    );
    assert.equal(d.metadata?.labels?.["railyard.dev/app"], "legacy");
    assert.equal(d.status?.availableReplicas, 2);
  });

  it("renders a kustomization with kubectl kustomize", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("kustomize");
    const app = {
      name: "legacy",
      args: { version: "1.0" },
      manifests: {
        path: "./overlay",
        kustomize: true,
        images: { api: "registry.example.test/legacy/api:{{ version }}" },
      },
    };
    const project = createProject(cluster, app, { namespace: ns });
    mkdirSync(join(project.dir, "overlay"));
    writeFileSync(join(project.dir, "overlay", "deployment.yaml"), stringify(DEPLOYMENT));
    writeFileSync(
      join(project.dir, "overlay", "kustomization.yaml"),
      stringify({ resources: ["deployment.yaml"], commonAnnotations: { "example.test/team": "shop" } }),
    );
    const rendered = await project.railyard(["render", "--env", "staging"]);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /example\.test\/team: shop/);
    assert.match(rendered.stdout, /image: registry\.example\.test\/legacy\/api:1\.0/);
    const deployed = await project.railyard(["deploy", "--env", "staging"]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const d = await cluster.apps.readNamespacedDeployment({ name: "legacy-api", namespace: ns });
    assert.equal(d.metadata?.annotations?.["example.test/team"], "shop");
  });
});
