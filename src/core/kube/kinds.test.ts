import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyOrder, isClusterScoped, kindTier, objectKey } from "./kinds.js";

const object = (kind: string, apiVersion = "v1") => ({
  apiVersion,
  kind,
  metadata: { name: kind.toLowerCase() },
});

describe("kinds", () => {
  it("orders what others refer to before workloads, and routes after them", () => {
    const ordered = applyOrder([
      object("Ingress", "networking.k8s.io/v1"),
      object("Deployment", "apps/v1"),
      object("Widget", "example.test/v1"),
      object("ConfigMap"),
      object("Namespace"),
    ]).map((o) => o.kind);
    assert.deepEqual(ordered, ["Namespace", "ConfigMap", "Deployment", "Ingress", "Widget"]);
  });

  it("puts independent kinds in one tier", () => {
    assert.equal(kindTier("Secret"), kindTier("Service"));
    assert.ok(kindTier("Service") < kindTier("Deployment"));
    assert.equal(kindTier("Deployment"), kindTier("Ingress"), "a route does not wait for its workload");
    assert.ok(kindTier("CustomResourceDefinition") < kindTier("Deployment"));
  });

  it("names objects by group, kind, namespace and name", () => {
    assert.equal(
      objectKey({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "api", namespace: "shop" } }),
      "apps/Deployment/shop/api",
    );
    assert.equal(isClusterScoped("Namespace"), true);
    assert.equal(isClusterScoped("Deployment"), false);
  });
});
