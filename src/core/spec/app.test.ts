import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { appLocations, loadAppSpec, readAppSpec } from "./app.js";
import { SpecError } from "./issues.js";

const testdata = join(import.meta.dirname, "../../../testdata/spec");
const fixture = (name: string) => readFileSync(join(testdata, name), "utf8");

interface Case {
  name: string;
  file: string;
  errors: string[];
}

describe("the app file", () => {
  it("validates the DESIGN.md example unchanged, with defaults filled in", () => {
    const app = loadAppSpec(fixture("design-app.yaml"), "railyard.yaml");
    assert.deepEqual(app, {
      manifestVersion: "1.1",
      name: "my-app",
      args: { version: "latest" },
      replicas: 1,
      endpoints: { exposes: [{ name: "app", host: "app.example.io", path: "/" }] },
      containers: [
        {
          name: "app",
          image: "app:{{ version }}",
          resources: { requests: { cpu: "1m" } },
          env: [{ name: "NODE_ENV", value: "production" }],
        },
      ],
    });
  });

  it("validates every field used together", () => {
    const app = loadAppSpec(fixture("full-app.yaml"), "railyard.yaml");
    assert.equal(app.containers?.[0]?.ports?.length, 3);
    assert.equal(app.metrics?.path, "/metrics");
    assert.equal(app.environments?.production?.replicas, 5);
    assert.deepEqual(app.containers?.[0]?.env?.[2], { name: "ASSET_HOST", config: "asset-host" });
  });

  it("validates an app that adopts a folder of manifests", () => {
    const app = loadAppSpec(fixture("manifests-app.yaml"), "railyard.yaml");
    assert.deepEqual(app.manifests, {
      path: "./k8s",
      kustomize: true,
      images: { web: "registry.example.io/shop/web:{{ version }}" },
    });
    assert.equal(app.containers, undefined);
  });

  const cases = parse(fixture("app-cases.yaml")) as Case[];
  for (const { name, file, errors } of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => loadAppSpec(file, "railyard.yaml"),
        (error) => {
          assert.ok(error instanceof SpecError, String(error));
          assert.deepEqual(error.message.split("\n"), errors);
          return true;
        },
      );
    });
  }

  it("reports schema and semantic problems together, sorted by line, in one SpecError", () => {
    const text = [
      "name: my-app", // 1
      "replicas: -1", // 2
      "args: { version: latest }", // 3
      "containers:", // 4
      "  - name: app", // 5
      '    image: "app:{{ verison }}"', // 6
      "    imagePullPolicy: Always", // 7
      "  - name: app", // 8
      "    image: worker", // 9
    ].join("\n");
    assert.throws(
      () => loadAppSpec(text, "railyard.yaml"),
      (error) => {
        assert.ok(error instanceof SpecError);
        assert.deepEqual(
          error.issues.map((issue) => [issue.line, issue.col, issue.path]),
          [
            [2, 11, "replicas"],
            [6, 12, "containers[0].image"],
            [7, 5, "containers[0].imagePullPolicy"],
            [8, 11, "containers[1].name"],
          ],
        );
        assert.equal(
          error.message.split("\n")[1],
          'railyard.yaml:6:12: containers[0].image: "app:{{ verison }}" uses unknown arg "verison" (did you mean "version"? known: version)',
        );
        return true;
      },
    );
  });

  it("remembers where a loaded app's fields are written", () => {
    const { app, locate } = readAppSpec(fixture("design-app.yaml"), "railyard.yaml");
    assert.equal(appLocations(app), locate);
    assert.deepEqual(locate(["containers", 0, "env", 0, "value"]), { line: 18, col: 16 });
  });

  describe("pipeline section", () => {
    const app = (pipeline: string[]) =>
      ["name: api", "containers: [{ name: app, image: shop/api }]", "pipeline:", ...pipeline].join("\n");
    const refusal = (pipeline: string[]) => {
      try {
        loadAppSpec(app(pipeline), "railyard.yaml");
      } catch (error) {
        assert.ok(error instanceof SpecError, String(error));
        return error.message.split("\n");
      }
      assert.fail("the app was accepted");
    };

    it("takes a template reference or triggers and stages, as written", () => {
      const byTemplate = loadAppSpec(
        app(["  template: standard", "  with: { approvalTimeout: 2h, replicas: 3 }"]),
        "railyard.yaml",
      );
      assert.deepEqual(byTemplate.pipeline, {
        template: "standard",
        with: { approvalTimeout: "2h", replicas: 3 },
      });
      const inline = loadAppSpec(fixture("../pipelines/inline-app.yaml"), "railyard.yaml");
      assert.equal(inline.pipeline?.stages?.length, 8);
      assert.deepEqual(inline.pipeline?.stages?.[0], { id: "staging", deploy: "staging" });
      assert.deepEqual(inline.pipeline?.triggers?.[3], {
        image: { repository: "shop/api", tags: ">=1.0.0" },
      });
      assert.equal(loadAppSpec(fixture("design-app.yaml"), "railyard.yaml").pipeline, undefined);
    });

    it("refuses unknown fields in a stage, with the field they most likely meant", () => {
      assert.deepEqual(
        refusal([
          "  stages:", // 4
          "    - id: approve", // 5
          "      approval: { mesage: Ship? }", // 6
          "      dependOn: []", // 7
        ]),
        [
          'railyard.yaml:6:19: pipeline.stages[0].approval.mesage: unknown field "mesage" (did you mean "message"?)',
          'railyard.yaml:7:7: pipeline.stages[0].dependOn: unknown field "dependOn" (did you mean "dependsOn"?)',
        ],
      );
    });

    it("refuses a stage with two kinds, or none", () => {
      assert.deepEqual(
        refusal([
          "  stages:", // 4
          "    - id: staging", // 5
          "      deploy: staging", // 6
          "      approval: {}", // 7
          "    - id: empty", // 8
        ]),
        [
          "railyard.yaml:7:7: pipeline.stages[0].approval: has deploy and approval; use only one of deploy, approval, check, patch, rollback, wait, webhook",
          "railyard.yaml:8:7: pipeline.stages[1]: needs one of deploy, approval, check, patch, rollback, wait, webhook",
        ],
      );
    });

    it("refuses ids, durations and short forms that are not", () => {
      assert.deepEqual(
        refusal([
          "  stages:", // 4
          "    - id: Deploy_1", // 5
          "      deploy: 42", // 6
          "    - id: pause", // 7
          "      wait: 10", // 8
          "    - id: notify", // 9
          "      webhook: { url: 'https://hooks.example.test', retries: 3 }", // 10
        ]),
        [
          "railyard.yaml:5:11: pipeline.stages[0].id: must be a stage id: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 80 characters",
          "railyard.yaml:6:15: pipeline.stages[0].deploy: expected an environment name or { environment, timeout, rollback }",
          "railyard.yaml:8:13: pipeline.stages[1].wait: expected a duration like 30s, 10m, 2h or 1h30m",
          'railyard.yaml:10:53: pipeline.stages[2].webhook.retries: unknown field "retries" (allowed: url)',
        ],
      );
      assert.deepEqual(
        refusal([
          "  stages:", // 4
          "    - id: pause", // 5
          "      wait: '10'", // 6
          "    - id: approve", // 7
          "      approval: {}", // 8
        ]),
        ["railyard.yaml:6:13: pipeline.stages[0].wait: needs a unit: 10s, 10m or 10h"],
      );
    });

    it("takes either a template or its own stages, and `with` only with a template", () => {
      assert.deepEqual(refusal(["  template: standard", "  stages: [{ id: a, wait: 1m }]"]), [
        "railyard.yaml:5:3: pipeline.stages: comes from the template; a pipeline has either template or its own stages",
      ]);
      assert.deepEqual(refusal(["  with: { a: b }", "  stages: [{ id: a, wait: 1m }]"]), [
        "railyard.yaml:4:3: pipeline.with: sets template parameters, and no template is named",
      ]);
      assert.deepEqual(refusal(["  triggers: [{ git: { branches: [main] } }]"]), [
        "railyard.yaml:4:3: pipeline: needs template or stages",
      ]);
    });
  });
});
