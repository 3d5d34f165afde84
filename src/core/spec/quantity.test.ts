import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QUANTITY, quantityValue } from "./quantity.js";

describe("resource quantities", () => {
  it("accept the Kubernetes syntax and nothing else", () => {
    for (const good of ["1m", "100m", "0.5", "2", "128Mi", "1Gi", "500M", "1e3", "1E", ".5"]) {
      assert.ok(QUANTITY.test(good), good);
    }
    for (const bad of ["", "lots", "1.5.5", "10x", "-1", "1 Gi", "Mi"]) assert.ok(!QUANTITY.test(bad), bad);
  });

  it("compare by value across units", () => {
    assert.equal(quantityValue("1500m"), 1.5);
    assert.equal(quantityValue(2), 2);
    assert.equal(quantityValue("1Gi"), 2 ** 30);
    assert.equal(quantityValue("1e3"), 1000);
    assert.equal(quantityValue("1k"), 1000);
    assert.equal(quantityValue("nope"), undefined);
  });
});
