import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { parseYamlDocument } from "./yaml.js";

const fixtures = join(import.meta.dirname, "..", "..", "..", "testdata", "spec");

describe("the fast YAML path", () => {
  it("reads every fixture to the same value as the full parser", () => {
    const files = readdirSync(fixtures).filter((f) => f.endsWith(".yaml") && !f.includes("cases"));
    assert.ok(files.length > 0);
    for (const file of files) {
      const text = readFileSync(join(fixtures, file), "utf8");
      const docs = parseAllDocuments(text, { version: "1.2", schema: "core", merge: false });
      if (!Array.isArray(docs) || docs.length !== 1 || docs[0]!.errors.length > 0) continue;
      let parsed;
      try {
        parsed = parseYamlDocument(text, file);
      } catch {
        continue; // refused fixtures are covered by the case tables
      }
      assert.deepEqual(parsed.value, docs[0]!.toJS(), file);
    }
  });

  it("still gives positions, parsing fully only when asked", () => {
    const parsed = parseYamlDocument(
      "name: api\ncontainers:\n  - name: app\n    image: x\n",
      "railyard.yaml",
    );
    assert.deepEqual(parsed.locate(["containers", 0, "image"]), { line: 4, col: 12 });
  });

  it("leaves anchors, tags and merge keys to the full parser's checks", () => {
    assert.throws(() => parseYamlDocument("a: !!js/function x\n", "f.yaml"), /tag/);
    assert.throws(() => parseYamlDocument("a: 1\na: 2\n", "f.yaml"), /duplicate key/);
    assert.throws(() => parseYamlDocument("a: 1\n---\nb: 2\n", "f.yaml"), /documents/);
  });
});
