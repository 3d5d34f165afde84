import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../errors.js";
import { interpolate, replaceHoles, templateVariables } from "./template.js";

const vars = {
  version: "1.4",
  replicas: 3,
  debug: false,
  env: { name: "staging", namespace: "shop-staging", domain: "staging.example.test" },
  app: { name: "shop" },
  git: { sha: "0123456789abcdef", shortSha: "0123456" },
};

describe("templateVariables", () => {
  it("lists the names a template uses, in order, each once", () => {
    assert.deepEqual(templateVariables("{{ version }}-{{env.name}}-{{ version }}"), ["version", "env.name"]);
    assert.deepEqual(templateVariables("no holes"), []);
  });

  it("refuses a hole that is not closed or is not a name", () => {
    assert.throws(() => templateVariables("app:{{ version"), {
      name: "InputError",
      message: '"app:{{ version" has "{{" without a closing "}}"',
    });
    assert.throws(() => templateVariables("{{ version | upper }}"), InputError);
    assert.throws(() => templateVariables("{{ }}"), InputError);
    assert.throws(() => templateVariables("{{ 1x }}"), InputError);
  });
});

describe("interpolate", () => {
  it("fills holes from args and nested built-in values, as strings", () => {
    assert.equal(interpolate("app:{{ version }}", vars, "image"), "app:1.4");
    assert.equal(interpolate("web.{{ env.domain }}", vars, "host"), "web.staging.example.test");
    assert.equal(interpolate("{{replicas}} {{ debug }} {{ git.shortSha }}", vars, "x"), "3 false 0123456");
    assert.equal(interpolate("{{ env.name }}", { "env.name": "flat" }, "x"), "flat");
  });

  it("leaves text without holes alone, with no escaping", () => {
    assert.equal(interpolate('{"a": {"b": 1}}', vars, "x"), '{"a": {"b": 1}}');
    assert.equal(interpolate("}} {", vars, "x"), "}} {");
  });

  it("names an unknown variable, the closest known one, and where it is used", () => {
    assert.throws(() => interpolate("app:{{ verison }}", vars, "containers[0].image"), {
      name: "InputError",
      message:
        'containers[0].image: "app:{{ verison }}" uses unknown arg "verison" (did you mean "version"? known: version, replicas, debug, env.name, env.namespace, env.domain, app.name, git.sha, git.shortSha)',
    });
    assert.throws(
      () => interpolate("{{ env.domian }}", vars, "host"),
      /unknown variable "env.domian" \(did you mean "env.domain"\?/,
    );
  });

  it("does not reach values that are not plain data", () => {
    assert.throws(() => interpolate("{{ constructor }}", vars, "x"), /unknown arg "constructor"/);
    assert.throws(() => interpolate("{{ env }}", vars, "x"), /unknown arg "env"/);
  });

  it("replaces every hole through replaceHoles", () => {
    assert.equal(
      replaceHoles("{{ a }}/{{ b.c }}", (name) => `<${name}>`),
      "<a>/<b.c>",
    );
  });
});
