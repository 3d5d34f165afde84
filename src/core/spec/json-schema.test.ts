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

  it("are plain JSON", () => {
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(appJsonSchema())));
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(platformJsonSchema())));
  });
});
