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
});
