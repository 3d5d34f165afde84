import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DNS_LABEL, hostNameProblem, LABEL_KEY, LABEL_VALUE, PORT_NAME, REGISTRY_HOST } from "./names.js";

describe("Kubernetes name syntaxes", () => {
  it("DNS labels: lowercase alphanumerics and '-', at most 63", () => {
    for (const good of ["my-app", "a", "a1", "x".repeat(63)]) assert.ok(DNS_LABEL.test(good), good);
    for (const bad of ["My-App", "-a", "a-", "a_b", "a.b", "x".repeat(64), ""])
      assert.ok(!DNS_LABEL.test(bad), bad);
  });

  it("host names, with an optional leading wildcard", () => {
    assert.equal(hostNameProblem("app.example.io"), undefined);
    assert.equal(hostNameProblem("*.example.io"), undefined);
    assert.equal(hostNameProblem("App.example.io"), "must be lowercase");
    assert.match(hostNameProblem("app_1.example.io") ?? "", /must be a DNS name/);
    assert.match(hostNameProblem("a..b") ?? "", /must be a DNS name/);
    assert.match(hostNameProblem(`${"a".repeat(64)}.io`) ?? "", /must be a DNS name/);
  });

  it("label keys and values", () => {
    for (const good of ["team", "app.kubernetes.io/name", "example.io/My_Key.1"])
      assert.ok(LABEL_KEY.test(good), good);
    for (const bad of ["bad key", "/name", "Example.io/x", "a/b/c", `${"x".repeat(64)}`]) {
      assert.ok(!LABEL_KEY.test(bad), bad);
    }
    assert.ok(LABEL_VALUE.test(""));
    assert.ok(LABEL_VALUE.test("v1.2_3-b"));
    assert.ok(!LABEL_VALUE.test("not a value"));
  });

  it("port names: IANA service names", () => {
    for (const good of ["http", "metrics", "h2c", "grpc-web"]) assert.ok(PORT_NAME.test(good), good);
    for (const bad of ["HTTP", "8080", "a--b", "-http", "much-too-long-name"])
      assert.ok(!PORT_NAME.test(bad), bad);
  });

  it("registry hosts, with a port", () => {
    for (const good of ["registry.example.io", "127.0.0.1:5000", "localhost:5000"]) {
      assert.ok(REGISTRY_HOST.test(good), good);
    }
    assert.ok(!REGISTRY_HOST.test("bad host!"));
  });
});
