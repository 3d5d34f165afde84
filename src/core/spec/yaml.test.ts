import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpecError } from "./issues.js";
import { DEFAULT_MAX_BYTES, MAX_ALIASES, parseYamlDocument, parseYamlDocuments } from "./yaml.js";

/** The lines of the SpecError `run` throws. */
function errorLines(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SpecError, String(error));
    return error.message.split("\n");
  }
  assert.fail("expected a SpecError");
}

/** Billion laughs: nine levels of nine aliases each, 9^9 strings once expanded. */
function billionLaughs(): string {
  let text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  let previous = "a";
  for (const name of "bcdefghi") {
    text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]\n`;
    previous = name;
  }
  return text;
}

describe("parseYamlDocument", () => {
  it("returns plain data, YAML 1.2 core: yes/no and 0777 stay what they look like", () => {
    const { value } = parseYamlDocument("a: yes\nb: 0777\nc: 0o17\nd: ~\ne: [1, 1.5, true]\n", "f.yaml");
    assert.deepEqual(value, { a: "yes", b: 777, c: 15, d: null, e: [1, 1.5, true] });
  });

  it("locates a path's value or key, 1-based, falling back to the nearest parent that exists", () => {
    const text = "name: my-app\ncontainers:\n  - name: app\n    image: app:1\n    env:\n      - name: A\n";
    const { locate } = parseYamlDocument(text, "f.yaml");
    assert.deepEqual(locate(["name"]), { line: 1, col: 7 });
    assert.deepEqual(locate(["name"], "key"), { line: 1, col: 1 });
    assert.deepEqual(locate(["containers", 0, "image"]), { line: 4, col: 12 });
    assert.deepEqual(locate(["containers", 0, "env", 0, "name"]), { line: 6, col: 15 });
    assert.deepEqual(locate(["containers", 0, "ports", 3]), { line: 3, col: 5 });
    assert.deepEqual(locate(["containers", 5]), { line: 3, col: 3 });
    assert.deepEqual(locate([]), { line: 1, col: 1 });
  });

  it("points an empty value at its key", () => {
    const { locate } = parseYamlDocument("name:\nreplicas: 2\n", "f.yaml");
    assert.deepEqual(locate(["name"]), { line: 1, col: 1 });
  });

  it("reads an empty file as null", () => {
    assert.equal(parseYamlDocument("", "f.yaml").value, null);
    assert.equal(parseYamlDocument("# only a comment\n", "f.yaml").value, null);
  });

  it("refuses duplicate keys, naming both places", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yaml")),
      [
        'f.yaml:4:3: b.c: duplicate key "c" (first at line 3)',
        'f.yaml:5:1: a: duplicate key "a" (first at line 1)',
      ],
    );
  });

  it("refuses tags that could mean code or objects, at the tag", () => {
    const text =
      "a: !!js/function 'function () {}'\nb: !foo {c: 1}\nc: !!binary aGk=\nd: !!str 5\ne: !!int '7'\n";
    const hint =
      "(only plain YAML values are accepted: strings, numbers, booleans, null, lists and mappings)";
    assert.deepEqual(
      errorLines(() => parseYamlDocument(text, "f.yaml")),
      [
        `f.yaml:1:4: tag "!!js/function" is not allowed ${hint}`,
        `f.yaml:2:4: tag "!foo" is not allowed ${hint}`,
        `f.yaml:3:4: tag "!!binary" is not allowed ${hint}`,
      ],
    );
    assert.deepEqual(parseYamlDocument("d: !!str 5\ne: !!int '7'\n", "f.yaml").value, { d: "5", e: 7 });
  });

  it("refuses tags declared with %TAG", () => {
    const lines = errorLines(() =>
      parseYamlDocument("%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n", "f.yaml"),
    );
    assert.match(lines[0] ?? "", /^f\.yaml:3:4: tag "!e!thing" is not allowed/);
  });

  it("stops a billion-laughs alias bomb at once, at the alias over the limit", { timeout: 10_000 }, () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument(billionLaughs(), "bomb.yaml")),
      [
        `bomb.yaml:7:28: g[5]: more than ${MAX_ALIASES} aliases (write the values out instead of repeating *aliases)`,
      ],
    );
  });

  it("stops few aliases that still expand to too much", { timeout: 10_000 }, () => {
    let text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
    let previous = "a";
    for (const name of "bcdef") {
      text += `${name}: &${name} [${Array(8).fill(`*${previous}`).join(", ")}]\n`;
      previous = name;
    }
    assert.deepEqual(
      errorLines(() => parseYamlDocument(text, "f.yaml")),
      [
        'f.yaml:2:8: aliases expand to too much data (a "YAML bomb") (write the values out instead of repeating *aliases)',
      ],
    );
  });

  it("allows a few aliases", () => {
    const { value } = parseYamlDocument("base: &b {cpu: 1m}\nx: *b\ny: *b\n", "f.yaml");
    assert.deepEqual(value, { base: { cpu: "1m" }, x: { cpu: "1m" }, y: { cpu: "1m" } });
  });

  it("refuses an alias with no anchor before it", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("y: *x\nx: &x 1\n", "f.yaml")),
      ['f.yaml:1:4: y: alias "*x" has no anchor "&x" before it'],
    );
  });

  it("does not merge << keys, and says so", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("x: &x {a: 1}\ny:\n  <<: *x\n  b: 2\n", "f.yaml")),
      ['f.yaml:3:3: y["<<"]: merge keys (<<) are not supported (write the keys out)'],
    );
  });

  it("refuses a file over the size cap before parsing it", () => {
    const big = `a: "${"x".repeat(DEFAULT_MAX_BYTES)}"\n`;
    assert.deepEqual(
      errorLines(() => parseYamlDocument(big, "railyard.yaml")),
      [`railyard.yaml: file is ${DEFAULT_MAX_BYTES + 6} bytes, larger than the 256 KiB limit`],
    );
    assert.deepEqual(
      errorLines(() => parseYamlDocument("a: é\n", "f.yaml", { maxBytes: 5 })),
      ["f.yaml: file is 6 bytes, larger than the 5 bytes limit"],
    );
  });

  it("refuses more than one document", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("a: 1\n---\nb: 2\n---\nc: 3\n", "f.yaml")),
      ['f.yaml:2:1: holds 3 YAML documents, expected one (remove the "---" separator and keep one document)'],
    );
  });

  it("reports syntax errors with their position", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("a:\n\t- b\n", "f.yaml")),
      ["f.yaml:2:1: tabs are not allowed as indentation"],
    );
  });

  it("refuses nesting deeper than any configuration needs", () => {
    const deep = `a: ${"[".repeat(100)}${"]".repeat(100)}\n`;
    assert.deepEqual(
      errorLines(() => parseYamlDocument(deep, "f.yaml")),
      ["f.yaml:1:68: nested too deeply (more than 64 levels)"],
    );
  });

  it("refuses keys that are lists or mappings", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocument("? [a]\n: 1\n", "f.yaml")),
      ["f.yaml:1:3: a mapping key must be a plain value, not a list or mapping"],
    );
  });

  it("reads a file of many keys under the cap", { timeout: 30_000 }, () => {
    let text = "";
    for (let i = 0; text.length < DEFAULT_MAX_BYTES - 20; i++) text += `k${i}: ${i}\n`;
    const { value } = parseYamlDocument(text, "f.yaml");
    assert.equal((value as Record<string, number>).k100, 100);
  });
});

describe("parseYamlDocuments", () => {
  it("reads every document of a manifest file and skips empty ones", () => {
    const text = "---\nkind: ConfigMap\n---\n# nothing\n---\nkind: Service\n---\n";
    assert.deepEqual(parseYamlDocuments(text, "m.yaml"), [{ kind: "ConfigMap" }, { kind: "Service" }]);
  });

  it("applies the same safety to every document", () => {
    assert.deepEqual(
      errorLines(() => parseYamlDocuments("a: 1\n---\nb: !!js/undefined x\n", "m.yaml")),
      [
        'm.yaml:3:4: tag "!!js/undefined" is not allowed (only plain YAML values are accepted: strings, numbers, booleans, null, lists and mappings)',
      ],
    );
    assert.deepEqual(
      errorLines(() => parseYamlDocuments(`x: "${"x".repeat(10)}"`, "m.yaml", { maxBytes: 8 })),
      ["m.yaml: file is 15 bytes, larger than the 8 bytes limit"],
    );
    assert.equal(errorLines(() => parseYamlDocuments(`---\n${billionLaughs()}`, "m.yaml")).length, 1);
  });
});
