import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openApiDocument } from "./openapi.js";

describe("the OpenAPI document", () => {
  const document = JSON.parse(JSON.stringify(openApiDocument("1.2.3"))) as {
    info: { version: string };
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
          responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
        }
      >
    >;
  };

  it("builds, and names every route the web UI reads", () => {
    assert.equal(document.info.version, "1.2.3");
    for (const path of [
      "/api/v1/apps",
      "/api/v1/apps/{app}/environments/{env}/history",
      "/api/v1/apps/{app}/environments/{env}/revisions/{revision}",
      "/api/v1/apps/{app}/environments/{env}/diff",
      "/api/v1/apps/{app}/environments/{env}/resources",
      "/api/v1/apps/{app}/environments/{env}/pods/{pod}/logs",
    ]) {
      assert.ok(document.paths[path]?.get, path);
    }
  });

  it("takes parameters from the schemas that validate them", () => {
    const param = (path: string, name: string) =>
      document.paths[path]!.get!.parameters!.find((p) => p.name === name);
    const apps = "/api/v1/apps";
    assert.deepEqual(param(apps, "status")?.schema, { type: "string", enum: ["failed", "active"] });
    assert.equal(param(apps, "limit")?.required, false);
    const logs = "/api/v1/apps/{app}/environments/{env}/pods/{pod}/logs";
    assert.deepEqual(
      document.paths[logs]!.get!.parameters!.map((p) => `${p.in}:${p.name}${p.required ? "!" : ""}`),
      ["path:app!", "path:env!", "path:pod!", "query:container", "query:follow", "query:tailLines"],
    );
    assert.equal(param(logs, "tailLines")?.schema.maximum, 5000);
    const diff = "/api/v1/apps/{app}/environments/{env}/diff";
    assert.equal(param(diff, "from")?.required, true);
    assert.equal(param(diff, "to")?.required, true);
    const revision = "/api/v1/apps/{app}/environments/{env}/revisions/{revision}";
    assert.equal(param(revision, "revision")?.schema.type, "integer");
  });

  it("describes what the new views answer", () => {
    const answer = (path: string) =>
      document.paths[path]!.get!.responses["200"]!.content!["application/json"]!.schema as {
        properties: Record<string, unknown>;
      };
    assert.ok(answer("/api/v1/apps/{app}/environments/{env}/revisions/{revision}").properties.manifest);
    assert.ok(answer("/api/v1/apps/{app}/environments/{env}/diff").properties.objects);
    assert.ok(answer("/api/v1/apps/{app}/environments/{env}/resources").properties.deployments);
    assert.ok(answer("/api/v1/apps").properties.next);
  });
});
