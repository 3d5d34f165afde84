import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadAppSpec, readAppSpec } from "./app.js";
import { formatIssue, SpecError } from "./issues.js";
import {
  checkAppAgainstEnvironment,
  INLINE_SECRET_HINT,
  loadPlatformConfig,
  platformLocations,
  readPlatformConfig,
} from "./platform.js";

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

describe("the platform config's pipeline templates, repositories, apps and webhooks", () => {
  const pipelines = readFileSync(join(testdata, "../pipelines/platform.yaml"), "utf8");
  const refusal = (text: string) => {
    try {
      loadPlatformConfig(text, "railyard.config.yaml");
    } catch (error) {
      assert.ok(error instanceof SpecError, String(error));
      return error.message.split("\n");
    }
    assert.fail("the config was accepted");
  };

  it("accepts every section, secrets by reference", () => {
    const platform = loadPlatformConfig(pipelines, "railyard.config.yaml");
    assert.deepEqual(Object.keys(platform.pipelineTemplates ?? {}), ["standard", "quick"]);
    assert.deepEqual(platform.pipelineTemplates?.standard?.parameters, {
      approvalTimeout: "24h",
      productionEnv: "production",
      branch: "main",
    });
    assert.deepEqual(platform.pipelineTemplates?.quick?.parameters, { environment: null });
    assert.deepEqual(platform.pipelineTemplates?.standard?.stages[3], {
      id: "production",
      deploy: "{{ params.productionEnv }}",
    });
    assert.deepEqual(platform.repositories?.shop, {
      url: "http://127.0.0.1:9418/shop.git",
      username: { fromEnv: "GIT_USER" },
      password: { fromEnv: "GIT_PASSWORD" },
    });
    assert.deepEqual(platform.apps?.api, {
      repository: "shop",
      path: "services/api/railyard.yaml",
      branch: "main",
    });
    assert.deepEqual(platform.webhooks, {
      github: { secret: { fromEnv: "GITHUB_WEBHOOK_SECRET" } },
      gitlab: { token: { fromEnv: "GITLAB_WEBHOOK_TOKEN" } },
      registry: { token: { fromEnv: "REGISTRY_WEBHOOK_TOKEN" } },
      allowedTargets: ["https://hooks.example.test", "http://127.0.0.1"],
    });
    assert.equal(platform.environments.production?.forbidSelfApproval, true);
    assert.equal(platform.environments.staging?.forbidSelfApproval, undefined);
  });

  it("refuses an app in an unknown repository, with the one it most likely meant", () => {
    const text = [
      "environments: { staging: { namespace: s } }", // 1
      "repositories:", // 2
      "  shop: { url: 'git@git.example.test:shop.git' }", // 3
      "apps:", // 4
      "  api: { repository: shpo, path: services/api/railyard.yaml }", // 5
      "  web: { repository: web, path: ../web/railyard.yaml }", // 6
    ].join("\n");
    assert.deepEqual(refusal(text), [
      'railyard.config.yaml:5:22: apps.api.repository: repository "shpo" is not in repositories (did you mean "shop"? known: shop)',
      'railyard.config.yaml:6:22: apps.web.repository: repository "web" is not in repositories (known: shop)',
      "railyard.config.yaml:6:33: apps.web.path: must be a path inside the repository, without a leading / or ..",
    ]);
    assert.deepEqual(
      refusal(
        "environments: { staging: { namespace: s } }\napps: { api: { repository: shop, path: railyard.yaml } }\n",
      ),
      [
        'railyard.config.yaml:2:28: apps.api.repository: repository "shop" is not in repositories (the platform config defines no repositories; add it under repositories)',
      ],
    );
  });

  it("refuses credentials written out, without repeating them", () => {
    const text = [
      "environments: { staging: { namespace: s } }", // 1
      "repositories:", // 2
      "  shop:", // 3
      "    url: https://robot:hunter2@git.example.test/shop.git", // 4
      "    username: robot", // 5
      "webhooks:", // 6
      "  github: { secret: hunter2 }", // 7
    ].join("\n");
    const lines = refusal(text);
    assert.deepEqual(lines, [
      "railyard.config.yaml:4:10: repositories.shop.url: must not hold credentials (put them under username and password, as { fromEnv: NAME } or { fromFile: PATH })",
      `railyard.config.yaml:5:15: repositories.shop.username: a secret value may not be written here (${INLINE_SECRET_HINT})`,
      `railyard.config.yaml:7:21: webhooks.github.secret: a secret value may not be written here (${INLINE_SECRET_HINT})`,
    ]);
    assert.ok(!lines.join("\n").includes("hunter2"));
  });

  it("refuses webhook targets that are not scheme://host[:port]", () => {
    const text = [
      "environments: { staging: { namespace: s } }",
      "webhooks:",
      "  allowedTargets:",
      "    - https://hooks.example.test/only/here",
      "    - ftp://files.example.test",
      "    - hooks.example.test",
      "    - http://127.0.0.1:8080/",
    ].join("\n");
    assert.deepEqual(refusal(text), [
      "railyard.config.yaml:4:7: webhooks.allowedTargets[0]: must be scheme://host[:port], without a path",
      "railyard.config.yaml:5:7: webhooks.allowedTargets[1]: must be an http or https URL",
      "railyard.config.yaml:6:7: webhooks.allowedTargets[2]: is not a URL",
    ]);
  });

  it("refuses templates with unknown fields, or parameters they do not declare", () => {
    const text = [
      "environments: { staging: { namespace: s } }", // 1
      "pipelineTemplates:", // 2
      "  standard:", // 3
      "    parameters: { env: staging }", // 4
      "    triggers: [{ git: { branch: [main] } }]", // 5
      "    stages:", // 6
      "      - id: deploy", // 7
      "        deploy: '{{ params.evn }}'", // 8
      "      - id: wait", // 9
      "        wait: '{{ params.pause }}'", // 10
      "        after: deploy", // 11
    ].join("\n");
    assert.deepEqual(refusal(text), [
      'railyard.config.yaml:5:25: pipelineTemplates.standard.triggers[0].git.branch: unknown field "branch" (did you mean "branches"?)',
      'railyard.config.yaml:8:17: pipelineTemplates.standard.stages[0].deploy: "{{ params.evn }}" uses unknown parameter "evn" (did you mean "env"? known: env)',
      'railyard.config.yaml:10:15: pipelineTemplates.standard.stages[1].wait: "{{ params.pause }}" uses unknown parameter "pause" (known: env)',
      'railyard.config.yaml:11:9: pipelineTemplates.standard.stages[1].after: unknown field "after" (allowed: id, dependsOn, deploy, approval, check, patch, rollback, wait, webhook)',
    ]);
  });

  it("remembers where a loaded config's fields are written", () => {
    const { platform, locate } = readPlatformConfig(pipelines, "railyard.config.yaml");
    assert.equal(platformLocations(platform), locate);
    assert.deepEqual(locate(["apps", "api", "repository"]), { line: 50, col: 22 });
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
