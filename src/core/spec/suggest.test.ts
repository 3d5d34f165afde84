import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closest, editDistance, listNames, unknownNameHint } from "./suggest.js";

describe("suggestions for misspelled names", () => {
  it("count a swap of neighbouring letters as one edit", () => {
    assert.equal(editDistance("verison", "version"), 1);
    assert.equal(editDistance("contaners", "containers"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("same", "same"), 0);
  });

  it("suggest a close name, ignoring case, and nothing when every name is far", () => {
    assert.equal(closest("contaners", ["name", "containers", "manifests"]), "containers");
    assert.equal(closest("Replicas", ["replicas"]), "replicas");
    assert.equal(closest("tag", ["tls", "port"]), undefined);
    assert.equal(closest("x", []), undefined);
  });

  it("make a hint naming the guess and the known names", () => {
    assert.equal(unknownNameHint("verison", ["version"]), 'did you mean "version"? known: version');
    assert.equal(unknownNameHint("zzz", ["version", "port"]), "known: version, port");
    assert.equal(unknownNameHint("zzz", []), "known: none");
    assert.equal(listNames(["a", "b", "c"], 2), "a, b, … (1 more)");
  });
});
