import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConflictError, InputError, PrerequisiteError, RolloutError, UpstreamError } from "../core/errors.js";
import { exitCodeFor } from "./exit-codes.js";

describe("exit codes", () => {
  it("maps error kinds once: 1 invalid input, 2 rollout failed, 3 unreachable", () => {
    assert.equal(exitCodeFor(new InputError("x")), 1);
    assert.equal(exitCodeFor(new ConflictError("x")), 1);
    assert.equal(exitCodeFor(new PrerequisiteError("x")), 1);
    assert.equal(exitCodeFor(new RolloutError("x")), 2);
    assert.equal(exitCodeFor(new UpstreamError("x")), 3);
    assert.equal(exitCodeFor(new Error("unexpected")), 1);
  });
});
