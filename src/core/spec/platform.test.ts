import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadAppSpec, readAppSpec } from "./app.js";
import { formatIssue, SpecError } from "./issues.js";
import { checkAppAgainstEnvironment, INLINE_SECRET_HINT, loadPlatformConfig } from "./platform.js";

const testdata = join(import.meta.dirname, "../../../testdata/spec");
const fixture = (name: string) => readFileSync(join(testdata, name), "utf8");

describe("the platform config", () => {
  it("validates the DESIGN.md minimal example unchanged, with documented defaults", () => {
    const platform = loadPlatformConfig(fixture("design-platform.yaml"), "railyard.config.yaml");
    assert.deepEqual(platform, {
      environments: {
        staging: {
          cluster: { kubeconfig: "./kubeconfig", context: "railyard-local" },
          namespace: "shop-staging",
          allowedNamespaces: ["shop-staging"],
          domain: "staging.example.test",
          config: { "asset-host": "cdn.staging.example.test" },
          secrets: { "secret-key": { fromEnv: "STAGING_SECRET_KEY" } },
          imagePolicy: "digest",
        },
        production: {
          namespace: "shop",
          allowedNamespaces: ["shop"],
          domain: "example.test",
          imagePolicy: "digest",
        },
      },
    });
  });

  it("accepts every field", () => {
    const text = [
      "environments:",
      "  production:",
      "    namespace: shop",
      "    allowedNamespaces: [shop, shop-jobs]",
      "    allowedKinds: [Deployment, Service, Ingress, ConfigMap, Secret]",
      "    secrets: { tls-key: { fromFile: ./secrets/tls.key } }",
      "    deployers: [alice, platform-team]",
      "    imagePolicy: tag",
      "registries:",
      "  127.0.0.1:5000: { insecure: true }",
      "  registry.example.io:",
      "    credentials: { username: robot, password: { fromEnv: REGISTRY_PASSWORD } }",
    ].join("\n");
    const platform = loadPlatformConfig(text, "railyard.config.yaml");
    assert.deepEqual(platform.environments.production?.allowedNamespaces, ["shop", "shop-jobs"]);
    assert.equal(platform.environments.production?.imagePolicy, "tag");
    assert.deepEqual(platform.registries?.["registry.example.io"]?.credentials, {
      username: "robot",
      password: { fromEnv: "REGISTRY_PASSWORD" },
    });
  });

  const cases = parse(fixture("platform-cases.yaml")) as { name: string; file: string; errors: string[] }[];
  for (const { name, file, errors } of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => loadPlatformConfig(file, "railyard.config.yaml"),
        (error) => {
          assert.ok(error instanceof SpecError, String(error));
          assert.deepEqual(error.message.split("\n"), errors);
          return true;
        },
      );
    });
  }

  it("refuses an inline secret value with the hint, without repeating the value", () => {
    const text = "environments:\n  staging:\n    namespace: s\n    secrets:\n      key: { value: hunter2 }\n";
    assert.throws(
      () => loadPlatformConfig(text, "railyard.config.yaml"),
      (error) => {
        assert.ok(error instanceof SpecError);
        assert.equal(error.issues[0]?.hint, INLINE_SECRET_HINT);
        assert.equal(error.issues[0]?.line, 5);
        assert.ok(!error.message.includes("hunter2"));
        return true;
      },
    );
  });
});

describe("checkAppAgainstEnvironment", () => {
  const platform = loadPlatformConfig(fixture("design-platform.yaml"), "railyard.config.yaml");
  const appText = [
    "name: shop", // 1
    "containers:", // 2
    "  - name: web", // 3
    "    image: web", // 4
    "    env:", // 5
    "      - { name: ASSET_HOST, config: asset-hots }", // 6
    "      - { name: SECRET_KEY, secret: secret-key }", // 7
    "      - { name: TOKEN, secret: api-token }", // 8
    "endpoints: { exposes: [{ name: web, host: 'web.{{ env.domain }}' }] }", // 9
    "environments:", // 10
    "  staging: { replicas: 1 }", // 11
    "  prodution: { replicas: 3 }", // 12
  ].join("\n");

  it("reports config and secret keys the environment lacks, and override names it does not know", () => {
    const { app, locate } = readAppSpec(appText, "railyard.yaml");
    assert.deepEqual(
      checkAppAgainstEnvironment(app, "railyard.yaml", platform, "staging", locate).map(formatIssue),
      [
        'railyard.yaml:12:3: environments.prodution: environment "prodution" is not in the platform config (did you mean "production"? known: staging, production)',
        'railyard.yaml:6:37: containers[0].env[0].config: config "asset-hots" is not defined for environment "staging" (did you mean "asset-host"? known: asset-host)',
        'railyard.yaml:8:32: containers[0].env[2].secret: secret "api-token" is not defined for environment "staging" (known: secret-key)',
      ],
    );
  });

  it("says when an environment defines no config or secrets at all, and has no domain to fill in", () => {
    const noDomain = loadPlatformConfig("environments:\n  production: { namespace: shop }\n", "c.yaml");
    const { app, locate } = readAppSpec(appText, "railyard.yaml");
    const lines = checkAppAgainstEnvironment(app, "railyard.yaml", noDomain, "production", locate).map(
      formatIssue,
    );
    assert.deepEqual(lines.slice(2), [
      'railyard.yaml:6:37: containers[0].env[0].config: config "asset-hots" is not defined for environment "production" (environment "production" defines no config; add it under environments.production.config in the platform config)',
      'railyard.yaml:7:37: containers[0].env[1].secret: secret "secret-key" is not defined for environment "production" (environment "production" defines no secrets; add it under environments.production.secrets in the platform config)',
      'railyard.yaml:8:32: containers[0].env[2].secret: secret "api-token" is not defined for environment "production" (environment "production" defines no secrets; add it under environments.production.secrets in the platform config)',
      'railyard.yaml:9:43: endpoints.exposes[0].host: "web.{{ env.domain }}" uses env.domain, and environment "production" has no domain (set environments.production.domain in the platform config)',
    ]);
  });

  it("suggests the closest environment for an unknown one", () => {
    const app = loadAppSpec("name: shop\ncontainers: [{ name: web, image: web }]\n", "railyard.yaml");
    assert.deepEqual(checkAppAgainstEnvironment(app, "railyard.yaml", platform, "prod").map(formatIssue), [
      'railyard.yaml: environment "prod" is not in the platform config (known: staging, production)',
    ]);
    assert.deepEqual(checkAppAgainstEnvironment(app, "railyard.yaml", platform, "stagin").map(formatIssue), [
      'railyard.yaml: environment "stagin" is not in the platform config (did you mean "staging"? known: staging, production)',
    ]);
  });

  it("finds positions on its own for an app loaded by loadAppSpec", () => {
    const app = loadAppSpec(appText, "railyard.yaml");
    const issues = checkAppAgainstEnvironment(app, "railyard.yaml", platform, "staging");
    assert.deepEqual(
      issues.map((issue) => issue.line),
      [12, 6, 8],
    );
  });

  it("is satisfied by an app that uses only what the environment defines", () => {
    const app = loadAppSpec(
      "name: shop\ncontainers: [{ name: web, image: web, env: [{ name: K, secret: secret-key }] }]\n",
      "railyard.yaml",
    );
    assert.deepEqual(checkAppAgainstEnvironment(app, "railyard.yaml", platform, "staging"), []);
  });
});
