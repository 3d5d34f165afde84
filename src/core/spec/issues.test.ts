import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../errors.js";
import { formatIssue, formatPath, SpecError, type SpecIssue } from "./issues.js";

const issue = (line: number, message: string, extra: Partial<SpecIssue> = {}): SpecIssue => ({
  file: "railyard.yaml",
  line,
  col: 5,
  path: "name",
  message,
  ...extra,
});

describe("issue paths", () => {
  it("are written like containers[0].env[2].name, quoting keys that are not plain words", () => {
    assert.equal(formatPath(["containers", 0, "env", 2, "name"]), "containers[0].env[2].name");
    assert.equal(formatPath(["config", "asset-host"]), "config.asset-host");
    assert.equal(formatPath(["podLabels", "app.kubernetes.io/name"]), 'podLabels["app.kubernetes.io/name"]');
    assert.equal(formatPath([]), "");
  });
});

describe("an issue", () => {
  it("reads file:line:col: path: message (hint)", () => {
    assert.equal(
      formatIssue({
        file: "railyard.yaml",
        line: 12,
        col: 7,
        path: "containers[0].image",
        message: '"app:{{ verison }}" uses unknown arg "verison"',
        hint: 'did you mean "version"? known: version',
      }),
      'railyard.yaml:12:7: containers[0].image: "app:{{ verison }}" uses unknown arg "verison" (did you mean "version"? known: version)',
    );
  });

  it("leaves out the position of a whole-file issue and an empty path", () => {
    assert.equal(
      formatIssue({ file: "big.yaml", line: 0, col: 0, path: "", message: "file is 300000 bytes" }),
      "big.yaml: file is 300000 bytes",
    );
  });
});

describe("SpecError", () => {
  it("is an InputError listing every issue, one per line, in file order", () => {
    const error = new SpecError([
      issue(9, "second"),
      issue(2, "first"),
      issue(0, "whole file", { path: "" }),
    ]);
    assert.ok(error instanceof InputError);
    assert.deepEqual(error.message.split("\n"), [
      "railyard.yaml: whole file",
      "railyard.yaml:2:5: name: first",
      "railyard.yaml:9:5: name: second",
    ]);
    assert.deepEqual(
      error.issues.map((i) => i.message),
      ["whole file", "first", "second"],
    );
  });

  it("reports an issue found by two rules once", () => {
    const error = new SpecError([issue(3, "duplicate"), issue(3, "duplicate")]);
    assert.equal(error.issues.length, 1);
  });
});
