/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads rendered objects as plain JSON */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../kube/objects.js";
import { loadAppSpec } from "../spec/app.js";
import { render, type RenderEnvironment } from "./render.js";

const staging: RenderEnvironment = {
  name: "staging",
  namespace: "shop-staging",
  domain: "staging.example.test",
  config: { "asset-host": "cdn.staging.example.test", unused: "x" },
  secrets: { "secret-key": "s3cret" },
};

const APP = `name: web
args:
  version: "1.0"
replicas: 2
containers:
  - name: app
    image: "registry.example.test/shop/web:{{ version }}"
    args: ["--commit={{ git.sha }}", "--env={{ env.name }}"]
    ports:
      - name: http
        containerPort: 8080
      - name: metrics
        containerPort: 9090
    env:
      - name: ASSET_HOST
        config: asset-host
      - name: SECRET_KEY
        secret: secret-key
      - name: PUBLIC_URL
        value: "https://web.{{ env.domain }}"
metrics:
  port: metrics
endpoints:
  exposes:
    - name: web
      host: "web.{{ env.domain }}"
environments:
  production:
    replicas: 5
`;

function find(objects: KubeObject[], kind: string): KubeObject & { spec?: any; data?: any } {
  const found = objects.find((o) => o.kind === kind);
  assert.ok(found, `a ${kind}`);
  return found as KubeObject & { spec?: any; data?: any };
}

describe("render", () => {
  const app = loadAppSpec(APP, "railyard.yaml");
  const rendered = render({ app, environment: staging, git: { sha: "0123456789abcdef", dirty: false } });

  it("labels every object for inventory and puts it in the environment's namespace", () => {
    for (const object of rendered.objects) {
      assert.equal(object.metadata.namespace, "shop-staging");
      assert.equal(object.metadata.labels?.["railyard.dev/app"], "web");
      assert.equal(object.metadata.labels?.["railyard.dev/environment"], "staging");
      assert.equal(object.metadata.labels?.["app.kubernetes.io/managed-by"], "railyard");
    }
    const deployment = find(rendered.objects, "Deployment");
    assert.equal(deployment.metadata.labels?.["app.kubernetes.io/version"], "1.0");
    assert.equal(deployment.spec.template.metadata.labels["app.kubernetes.io/version"], "1.0");
    assert.equal(find(rendered.objects, "Service").metadata.labels?.["app.kubernetes.io/version"], undefined);
  });

  it("fills templates from args, environment and git", () => {
    const container = find(rendered.objects, "Deployment").spec.template.spec.containers[0];
    assert.equal(container.image, "registry.example.test/shop/web:1.0");
    assert.deepEqual(container.args, ["--commit=0123456789abcdef", "--env=staging"]);
    assert.ok(
      container.env.some(
        (e: any) => e.name === "PUBLIC_URL" && e.value === "https://web.staging.example.test",
      ),
    );
    assert.equal(find(rendered.objects, "Ingress").spec.rules[0].host, "web.staging.example.test");
  });

  it("puts used config in a content-named ConfigMap and secrets in a Secret, referenced by key", () => {
    const configMap = find(rendered.objects, "ConfigMap");
    assert.match(configMap.metadata.name!, /^web-config-[0-9a-f]{10}$/);
    assert.deepEqual(
      configMap.data,
      { "asset-host": "cdn.staging.example.test" },
      "only the keys the app uses",
    );
    const env = find(rendered.objects, "Deployment").spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === "ASSET_HOST").valueFrom, {
      configMapKeyRef: { name: configMap.metadata.name, key: "asset-host" },
    });
    assert.deepEqual(env.find((e: any) => e.name === "SECRET_KEY").valueFrom, {
      secretKeyRef: { name: "web-secrets", key: "secret-key" },
    });
    assert.equal(
      Buffer.from(find(rendered.objects, "Secret").data["secret-key"], "base64").toString(),
      "s3cret",
    );

    const changed = render({
      app,
      environment: { ...staging, config: { "asset-host": "cdn-2.example.test" } },
    });
    assert.notEqual(
      find(changed.objects, "ConfigMap").metadata.name,
      configMap.metadata.name,
      "a config change renames it",
    );
  });

  it("adds Prometheus scrape annotations for the metrics port and a Service for the ports", () => {
    const annotations = find(rendered.objects, "Deployment").spec.template.metadata.annotations;
    assert.deepEqual(annotations, {
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "9090",
      "prometheus.io/path": "/metrics",
    });
    const service = find(rendered.objects, "Service");
    assert.deepEqual(
      service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]),
      [
        ["http", 8080, "http"],
        ["metrics", 9090, "metrics"],
      ],
    );
  });

  it("applies per-environment overrides and --set, and refuses --set of an unknown arg", () => {
    const production = render({
      app,
      environment: { ...staging, name: "production", namespace: "shop" },
      set: { version: "2.0" },
    });
    const deployment = find(production.objects, "Deployment");
    assert.equal(deployment.spec.replicas, 5);
    assert.equal(deployment.spec.template.spec.containers[0].image, "registry.example.test/shop/web:2.0");
    assert.throws(
      () => render({ app, environment: staging, set: { verison: "2" } }),
      /defines no arg "verison"/,
    );
  });

  it("uses pinned images when given", () => {
    const pinned = render({
      app,
      environment: staging,
      pinnedImages: { app: "registry.example.test/shop/web:1.0@sha256:" + "a".repeat(64) },
    });
    assert.match(find(pinned.objects, "Deployment").spec.template.spec.containers[0].image, /@sha256:a{64}$/);
    assert.equal(pinned.images.app, "registry.example.test/shop/web:1.0", "the rendered reference is kept");
  });

  it("binds images by container name in manifests mode and sets the namespace", () => {
    const manifestsApp = loadAppSpec(
      `name: legacy\nmanifests:\n  path: ./k8s\n  images:\n    api: "registry.example.test/legacy/api:{{ env.name }}"\n`,
      "railyard.yaml",
    );
    const manifests: KubeObject[] = [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "legacy-api" },
        spec: {
          template: {
            spec: {
              containers: [
                { name: "api", image: "old" },
                { name: "sidecar", image: "proxy:1" },
              ],
            },
          },
        },
      },
    ];
    const out = render({ app: manifestsApp, environment: staging, manifests });
    const deployment = find(out.objects, "Deployment");
    assert.equal(deployment.metadata.namespace, "shop-staging");
    assert.deepEqual(
      deployment.spec.template.spec.containers.map((c: any) => c.image),
      ["registry.example.test/legacy/api:staging", "proxy:1"],
    );
    assert.equal(manifests[0]!.metadata.namespace, undefined, "the input is not modified");
  });
});
