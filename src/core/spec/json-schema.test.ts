import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appJsonSchema, platformJsonSchema } from "./json-schema.js";

type Schema = {
  $schema?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  pattern?: string;
  default?: unknown;
  anyOf?: Schema[];
};

describe("the JSON Schemas", () => {
  it("describe the app file for editors: draft 2020-12, titled, closed to unknown fields", () => {
    const schema = appJsonSchema() as Schema;
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(schema.title, "Railyard app file");
    assert.deepEqual(schema.required, ["name"]);
    assert.equal(schema.additionalProperties, false);
    assert.match(schema.properties?.name?.description ?? "", /App name/);
    assert.equal(schema.properties?.replicas?.default, 1);

    const container = schema.properties?.containers?.items;
    assert.equal(container?.additionalProperties, false);
    assert.deepEqual(container?.required, ["name", "image"]);
    assert.match(container?.properties?.image?.description ?? "", /\{\{ version \}\}|\{\{ arg \}\}/);
    assert.equal(schema.properties?.args?.propertyNames?.pattern, "^[A-Za-z_][A-Za-z0-9_]*$");
  });

  it("describe the platform config, with secrets only as references", () => {
    const schema = platformJsonSchema() as Schema;
    assert.equal(schema.title, "Railyard platform config");
    assert.deepEqual(schema.required, ["environments"]);
    const environment = schema.properties?.environments?.additionalProperties as Schema;
    assert.deepEqual(environment.required, ["namespace"]);
    const secret = environment.properties?.secrets?.additionalProperties as Schema;
    assert.deepEqual(Object.keys(secret.properties ?? {}), ["fromEnv", "fromFile"]);
    assert.equal(secret.additionalProperties, false);
  });

  it("describe the app's pipeline: a template reference or triggers and stages, each stage closed", () => {
    const pipeline = (appJsonSchema() as Schema).properties?.pipeline;
    assert.equal(pipeline?.additionalProperties, false);
    assert.deepEqual(Object.keys(pipeline?.properties ?? {}), ["template", "with", "triggers", "stages"]);
    assert.match(pipeline?.description ?? "", /template/);
    const stage = pipeline?.properties?.stages?.items;
    assert.equal(stage?.additionalProperties, false);
    assert.deepEqual(stage?.required, ["id"]);
    assert.deepEqual(Object.keys(stage?.properties ?? {}), [
      "id",
      "dependsOn",
      "deploy",
      "approval",
      "check",
      "patch",
      "rollback",
      "wait",
      "webhook",
    ]);
    for (const [name, field] of Object.entries(stage?.properties ?? {})) {
      assert.ok(field.description, `stages[].${name} has a description`);
    }
    // deploy: staging, or deploy: { environment, timeout, rollback }
    assert.deepEqual(
      stage?.properties?.deploy?.anyOf?.map((branch) => branch.type),
      ["string", "object"],
    );
    const trigger = pipeline?.properties?.triggers?.items;
    assert.deepEqual(Object.keys(trigger?.properties ?? {}), ["git", "image"]);
    assert.equal(trigger?.properties?.image?.additionalProperties, false);
  });

  it("describe the platform's pipeline templates, repositories, apps and webhooks", () => {
    const schema = platformJsonSchema() as Schema;
    assert.deepEqual(Object.keys(schema.properties ?? {}), [
      "environments",
      "registries",
      "pipelineTemplates",
      "repositories",
      "apps",
      "webhooks",
    ]);
    assert.deepEqual(schema.required, ["environments"]);
    const template = schema.properties?.pipelineTemplates?.additionalProperties as Schema;
    assert.deepEqual(template.required, ["stages"]);
    assert.equal(template.additionalProperties, false);
    assert.match(template.properties?.parameters?.description ?? "", /\{\{ params\.NAME \}\}/);
    const repository = schema.properties?.repositories?.additionalProperties as Schema;
    assert.deepEqual(Object.keys(repository.properties?.password?.properties ?? {}), ["fromEnv", "fromFile"]);
    const app = schema.properties?.apps?.additionalProperties as Schema;
    assert.deepEqual(app.required, ["repository", "path"]);
    const webhooks = schema.properties?.webhooks;
    assert.deepEqual(Object.keys(webhooks?.properties ?? {}), [
      "github",
      "gitlab",
      "registry",
      "allowedTargets",
    ]);
    const environment = schema.properties?.environments?.additionalProperties as Schema;
    assert.equal(environment.properties?.forbidSelfApproval?.type, "boolean");
  });

  it("are plain JSON", () => {
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(appJsonSchema())));
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(platformJsonSchema())));
  });
});
