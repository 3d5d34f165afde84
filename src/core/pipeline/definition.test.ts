import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { InputError } from "../errors.js";
import { loadAppSpec, readAppSpec } from "../spec/app.js";
import { SpecError } from "../spec/issues.js";
import { loadPlatformConfig, readPlatformConfig } from "../spec/platform.js";
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  defaultTriggers,
  imageRepository,
  pipelineStageOrder,
  resolvePipeline,
  webhookTargetAllowed,
} from "./definition.js";
import { durationMs, parseDuration } from "./duration.js";
import type { PipelineDefinition, StageDefinition } from "./types.js";

const testdata = join(import.meta.dirname, "../../../testdata");
const fixture = (name: string) => readFileSync(join(testdata, name), "utf8");
const PLATFORM = fixture("pipelines/platform.yaml");

const platformConfig = (text = PLATFORM) => loadPlatformConfig(text, "railyard.config.yaml");
const resolve = (appText: string, platformText = PLATFORM): PipelineDefinition =>
  resolvePipeline(loadAppSpec(appText, "railyard.yaml"), "railyard.yaml", platformConfig(platformText));
const order = (definition: PipelineDefinition) => pipelineStageOrder(definition).map((stage) => stage.id);

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe("an inline pipeline", () => {
  it("becomes a graph: each stage after the one before it, dependsOn [] starting a parallel branch", () => {
    const definition = resolve(fixture("pipelines/inline-app.yaml"));
    assert.deepEqual(definition, {
      name: "api",
      source: "app",
      triggers: [
        { git: { branches: ["main"], paths: ["services/api/**"] } },
        { git: { tags: ">=1.0.0" } },
        { git: { merges: ["main"] } },
        { image: { repository: "shop/api", tags: ">=1.0.0" } },
      ],
      stages: [
        { id: "staging", kind: "deploy", dependsOn: [], environment: "staging" },
        { id: "smoke", kind: "check", dependsOn: ["staging"], condition: 'trigger.branch == "main"' },
        {
          id: "approve",
          kind: "approval",
          dependsOn: ["smoke"],
          environment: "production",
          message: "Ship to production?",
          links: [{ title: "Grafana", url: "https://grafana.example.test/d/api" }],
          timeoutMs: 2 * HOUR,
          // production sets forbidSelfApproval
          forbidAuthor: true,
        },
        {
          id: "production",
          kind: "deploy",
          dependsOn: ["approve"],
          environment: "production",
          timeoutMs: 10 * MINUTE,
          rollback: false,
        },
        {
          id: "notify",
          kind: "webhook",
          dependsOn: ["production"],
          url: "https://hooks.example.test/deployed",
        },
        {
          id: "dev",
          kind: "patch",
          dependsOn: [],
          environment: "dev",
          workload: "api",
          container: "app",
          image: "registry.example.test/shop/api:{{ version }}",
        },
        { id: "undo", kind: "rollback", dependsOn: ["dev"], environment: "dev", to: 3 },
        { id: "pause", kind: "wait", dependsOn: ["undo"], durationMs: 90 * MINUTE },
      ],
    });
  });

  it("takes the short forms and fills in defaults", () => {
    const definition = resolve(
      [
        "name: api",
        "containers: [{ name: app, image: shop/api }]",
        "pipeline:",
        "  stages:",
        "    - { id: staging, deploy: staging }",
        "    - { id: approve, approval: {} }",
        "    - { id: production, deploy: production }",
        "    - { id: undo, rollback: production, dependsOn: [] }",
        "    - { id: tell, webhook: 'http://127.0.0.1:8080/hook' }",
      ].join("\n"),
    );
    // triggers left out: the default ones
    assert.deepEqual(definition.triggers, [
      { git: { branches: ["main", "master"] } },
      { image: { repository: "shop/api" } },
    ]);
    assert.deepEqual(definition.stages, [
      { id: "staging", kind: "deploy", dependsOn: [], environment: "staging" },
      {
        id: "approve",
        kind: "approval",
        dependsOn: ["staging"],
        // the environment of the next deploy, which forbids self-approval
        environment: "production",
        timeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS,
        forbidAuthor: true,
      },
      { id: "production", kind: "deploy", dependsOn: ["approve"], environment: "production" },
      { id: "undo", kind: "rollback", dependsOn: [], environment: "production" },
      // a target without a port allows every port of its host
      { id: "tell", kind: "webhook", dependsOn: ["undo"], url: "http://127.0.0.1:8080/hook" },
    ]);
  });

  it("orders stages so each runs after what it depends on, keeping the written order otherwise", () => {
    assert.deepEqual(order(resolve(fixture("pipelines/inline-app.yaml"))), [
      "staging",
      "smoke",
      "approve",
      "production",
      "notify",
      "dev",
      "undo",
      "pause",
    ]);
    const stage = (id: string, dependsOn: string[]): StageDefinition => ({
      id,
      kind: "wait",
      dependsOn,
      durationMs: 1000,
    });
    const definition = {
      stages: [
        stage("notify", ["deploy"]),
        stage("build", []),
        stage("deploy", ["build", "test"]),
        stage("test", []),
      ],
    };
    assert.deepEqual(
      pipelineStageOrder(definition).map((s) => s.id),
      ["build", "test", "deploy", "notify"],
    );
    assert.throws(
      () => pipelineStageOrder({ stages: [stage("a", ["b"]), stage("b", ["a"]), stage("c", [])] }),
      (error) => error instanceof InputError && /a, b depend on each other in a cycle/.test(error.message),
    );
  });
});

describe("a pipeline template", () => {
  it("fills in its parameters, with the app's `with` over the template's defaults", () => {
    const definition = resolve(fixture("pipelines/template-app.yaml"));
    assert.equal(definition.name, "api");
    assert.equal(definition.source, "template:standard");
    assert.deepEqual(definition.triggers, [{ git: { branches: ["main"] } }, { git: { tags: ">=1.0.0" } }]);
    assert.deepEqual(definition.stages, [
      { id: "staging", kind: "deploy", dependsOn: [], environment: "staging", timeoutMs: 5 * MINUTE },
      { id: "smoke", kind: "check", dependsOn: ["staging"], condition: 'trigger.branch == "main"' },
      {
        id: "approve",
        kind: "approval",
        dependsOn: ["smoke"],
        environment: "production",
        message: "Ship to production?",
        timeoutMs: 2 * HOUR, // from `with`
        forbidAuthor: true,
      },
      { id: "production", kind: "deploy", dependsOn: ["approve"], environment: "production" },
      {
        id: "notify",
        kind: "webhook",
        dependsOn: ["production"],
        url: "https://hooks.example.test/deployed",
      },
    ]);
  });

  it("uses the defaults where the app sets nothing, and any parameter the app sets", () => {
    const app = (params: string) =>
      `name: api\ncontainers: [{ name: app, image: shop/api }]\npipeline: { template: standard${params} }\n`;
    const byDefault = resolve(app(""));
    const approval = byDefault.stages.find((stage) => stage.id === "approve");
    assert.equal(approval?.kind === "approval" && approval.timeoutMs, 24 * HOUR);

    const overridden = resolve(
      app(", with: { productionEnv: staging, branch: release, approvalTimeout: 1h30m }"),
    );
    assert.deepEqual(overridden.triggers[0], { git: { branches: ["release"] } });
    assert.deepEqual(
      overridden.stages.map((stage) => ("environment" in stage ? stage.environment : undefined)),
      ["staging", undefined, "staging", "staging", undefined],
    );
    const check = overridden.stages.find((stage) => stage.kind === "check");
    assert.equal(check?.kind === "check" && check.condition, 'trigger.branch == "release"');
    const quick = resolve(
      "name: api\ncontainers: [{ name: app, image: shop/api }]\npipeline: { template: quick, with: { environment: dev } }\n",
    );
    assert.deepEqual(quick.stages, [{ id: "deploy", kind: "deploy", dependsOn: [], environment: "dev" }]);
    assert.deepEqual(quick.triggers, [
      { git: { branches: ["main", "master"] } },
      { image: { repository: "shop/api" } },
    ]);
    const manualOnly = resolve(
      "name: api\ncontainers: [{ name: app, image: shop/api }]\npipeline: { triggers: [], stages: [{ id: a, deploy: dev }] }\n",
    );
    assert.deepEqual(manualOnly.triggers, []);
  });

  it("changes the pipeline of every app using it when the template changes", () => {
    const apps = ["api", "web"].map((name) =>
      loadAppSpec(
        `name: ${name}\ncontainers: [{ name: app, image: shop/${name} }]\npipeline: { template: standard }\n`,
        `${name}.yaml`,
      ),
    );
    const changed = PLATFORM.replace(
      "      - id: notify\n",
      "      - id: soak\n        wait: 30m\n      - id: notify\n",
    );
    assert.notEqual(changed, PLATFORM);
    for (const app of apps) {
      const before = resolvePipeline(app, `${app.name}.yaml`, platformConfig());
      const after = resolvePipeline(app, `${app.name}.yaml`, platformConfig(changed));
      assert.deepEqual(order(before), ["staging", "smoke", "approve", "production", "notify"]);
      assert.deepEqual(order(after), ["staging", "smoke", "approve", "production", "soak", "notify"]);
      assert.deepEqual(after.stages.find((stage) => stage.id === "notify")?.dependsOn, ["soak"]);
      assert.equal(after.name, app.name);
    }
  });

  it("keeps holes that are not parameters for the engine to fill", () => {
    const platform = [
      "environments: { dev: { namespace: dev } }",
      "pipelineTemplates:",
      "  patch:",
      "    parameters: { workload: api }",
      "    stages:",
      "      - id: dev",
      "        patch: { environment: dev, workload: '{{ params.workload }}', image: 'shop/{{ params.workload }}:{{version}}' }",
    ].join("\n");
    const definition = resolve(
      "name: api\ncontainers: [{ name: app, image: shop/api }]\npipeline: { template: patch }\n",
      platform,
    );
    assert.deepEqual(definition.stages[0], {
      id: "dev",
      kind: "patch",
      dependsOn: [],
      environment: "dev",
      workload: "api",
      image: "shop/api:{{ version }}",
    });
  });
});

describe("the default pipeline", () => {
  const app = loadAppSpec(
    [
      "name: shop",
      "args: { version: latest }",
      "containers:",
      "  - { name: web, image: 'registry.example.test/shop/web:{{ version }}' }",
      "  - { name: sidecar, image: 'nginx:1.27' }",
      "  - { name: worker, image: 'registry.example.test/shop/{{ version }}:1' }",
      "  - { name: again, image: '127.0.0.1:5000/shop/web:2' }",
      "environments:",
      "  production: { containers: { web: { image: 'registry.example.test/shop/web-prod:1' } } }",
    ].join("\n"),
    "railyard.yaml",
  );

  it("deploys to staging, then asks before production", () => {
    const platform = loadPlatformConfig(fixture("spec/design-platform.yaml"), "railyard.config.yaml");
    assert.deepEqual(resolvePipeline(app, "railyard.yaml", platform), {
      name: "shop",
      source: "default",
      triggers: [
        { git: { branches: ["main", "master"] } },
        { image: { repository: "shop/web" } },
        { image: { repository: "library/nginx" } },
        { image: { repository: "shop/web-prod" } },
      ],
      stages: [
        { id: "deploy-staging", kind: "deploy", dependsOn: [], environment: "staging" },
        {
          id: "approve-production",
          kind: "approval",
          dependsOn: ["deploy-staging"],
          environment: "production",
          message: "Deploy shop to production?",
          timeoutMs: 24 * HOUR,
        },
        {
          id: "deploy-production",
          kind: "deploy",
          dependsOn: ["approve-production"],
          environment: "production",
        },
      ],
    });
  });

  it("goes through three environments in the config's order", () => {
    const definition = resolvePipeline(app, "railyard.yaml", platformConfig());
    assert.equal(definition.source, "default");
    assert.deepEqual(order(definition), [
      "deploy-dev",
      "approve-staging",
      "deploy-staging",
      "approve-production",
      "deploy-production",
    ]);
    assert.deepEqual(
      definition.stages.map((stage) => stage.dependsOn),
      [[], ["deploy-dev"], ["approve-staging"], ["deploy-staging"], ["approve-production"]],
    );
    const approvals = definition.stages.filter((stage) => stage.kind === "approval");
    assert.deepEqual(
      approvals.map((stage) => stage.kind === "approval" && [stage.message, stage.forbidAuthor]),
      [
        ["Deploy shop to staging?", undefined],
        ["Deploy shop to production?", true],
      ],
    );
  });

  it("starts on images only when their repository is known before deploying", () => {
    assert.equal(imageRepository("registry.example.test/shop/api:{{ version }}"), "shop/api");
    assert.equal(imageRepository("registry.{{ env.domain }}/shop/api:1"), "shop/api");
    assert.equal(imageRepository("{{ registry }}/shop/api:1"), undefined);
    assert.equal(imageRepository("shop/api-{{ flavour }}:1"), undefined);
    assert.equal(imageRepository("not an image"), undefined);
    const manifests = loadAppSpec(
      "name: shop\nmanifests: { path: ./k8s, images: { web: 'registry.example.test/shop/web:{{ version }}' } }\nargs: { version: '1' }\n",
      "railyard.yaml",
    );
    assert.deepEqual(defaultTriggers(manifests), [
      { git: { branches: ["main", "master"] } },
      { image: { repository: "shop/web" } },
    ]);
  });
});

describe("resolvePipeline refuses", () => {
  interface Case {
    name: string;
    app: string;
    platform?: string;
    errors: string[];
  }
  const cases = parse(fixture("pipelines/bad-cases.yaml")) as Case[];
  for (const { name, app, platform, errors } of cases) {
    it(name, () => {
      assert.throws(
        () => {
          const { platform: config } = readPlatformConfig(platform ?? PLATFORM, "railyard.config.yaml");
          const { app: spec } = readAppSpec(app, "railyard.yaml");
          resolvePipeline(spec, "railyard.yaml", config);
        },
        (error) => {
          assert.ok(error instanceof SpecError, String(error));
          assert.deepEqual(error.message.split("\n"), errors);
          return true;
        },
      );
    });
  }

  it("a condition that is not in the condition language, with the compiler's reason", () => {
    const text = [
      "name: api",
      "containers: [{ name: app, image: shop/api }]",
      "pipeline:",
      "  stages:",
      "    - id: smoke",
      "      check: process.exit(1)",
      "    - id: fine",
      '      check: \'trigger.branch == "main" && args.version.startsWith("1.")\'',
    ].join("\n");
    assert.throws(
      () => resolve(text),
      (error) => {
        assert.ok(error instanceof SpecError);
        assert.equal(error.issues.length, 1);
        const [issue] = error.issues;
        assert.deepEqual(
          [issue?.file, issue?.line, issue?.col, issue?.path],
          ["railyard.yaml", 6, 14, "pipeline.stages[0].check"],
        );
        assert.match(issue?.message ?? "", /^condition "process\.exit\(1\)": unknown name "process"/);
        return true;
      },
    );
  });

  it("at the positions it is given, in the files it is told", () => {
    const { app } = readAppSpec(
      "name: api\ncontainers: [{ name: app, image: shop/api }]\npipeline: { template: standard, with: { productionEnv: prod } }\n",
      "railyard.yaml",
    );
    const platform = platformConfig();
    assert.throws(
      () =>
        resolvePipeline(app, "services/api/railyard.yaml", platform, {
          locateApp: () => ({ line: 7, col: 3 }),
          platformFile: "platform/railyard.config.yaml",
        }),
      (error) => {
        assert.ok(error instanceof SpecError);
        assert.deepEqual(
          error.issues.map((issue) => [issue.file, issue.line, issue.col, issue.path]),
          [["services/api/railyard.yaml", 7, 3, "pipeline.with.productionEnv"]],
        );
        return true;
      },
    );
  });
});

describe("webhook targets", () => {
  const targets = ["https://hooks.example.test", "http://127.0.0.1", "http://localhost:9000/"];
  const cases: [string, boolean][] = [
    ["https://hooks.example.test/deployed", true],
    ["https://HOOKS.example.test/x?y=1", true],
    ["https://hooks.example.test:8443/x", true],
    ["http://hooks.example.test/deployed", false],
    ["https://hooks.example.test.evil.example/x", false],
    ["https://user:secret@hooks.example.test/x", false],
    ["http://127.0.0.1:41234/hook", true],
    ["http://localhost:9000/hook", true],
    ["http://localhost:9001/hook", false],
    ["ftp://127.0.0.1/x", false],
    ["not a url", false],
  ];
  for (const [url, allowed] of cases) {
    it(`${allowed ? "allow" : "refuse"} ${url}`, () =>
      assert.equal(webhookTargetAllowed(url, targets), allowed));
  }
  it("refuse every URL when none is allowed", () => {
    assert.equal(webhookTargetAllowed("https://hooks.example.test/x", []), false);
  });
});

describe("durations", () => {
  it("read as people write them", () => {
    assert.equal(durationMs("30s"), 30_000);
    assert.equal(durationMs("10m"), 10 * MINUTE);
    assert.equal(durationMs("2h"), 2 * HOUR);
    assert.equal(durationMs("1h30m"), 90 * MINUTE);
    assert.equal(durationMs("7d"), 7 * 24 * HOUR);
    assert.equal(durationMs("90"), 90_000);
    for (const bad of ["", "10 minutes", "1.5h", "m", "30m1h", "-5s"])
      assert.equal(durationMs(bad), undefined, bad);
    assert.throws(
      () => parseDuration("soon"),
      (error) => error instanceof InputError && /"soon"/.test(error.message),
    );
  });
});
