import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { performance } from "node:perf_hooks";
import { InputError } from "../errors.js";
import { compileCondition, evaluateCondition, ExpressionError, type ConditionContext } from "./condition.js";

const context: ConditionContext = {
  trigger: {
    branch: "main",
    changedPaths: ["api/handler.ts", "docs/readme.md"],
    pr: { number: 42 },
    ratio: 0.5,
  },
  execution: { id: "e-1", startedAt: "2025-03-01T10:00:00Z" },
  args: { version: "1.4.2" },
  app: { name: "shop" },
  stages: { build: { status: "succeeded" } },
};

function refusal(source: string, ctx: ConditionContext = context): ExpressionError {
  try {
    evaluateCondition(source, ctx);
  } catch (error) {
    assert.ok(error instanceof ExpressionError, `expected an ExpressionError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected condition ${source} to be refused`);
}

describe("evaluateCondition", () => {
  const cases: [source: string, ctx: ConditionContext, expected: boolean][] = [
    ['trigger.branch == "main"', context, true],
    ['trigger.branch == "main"', { trigger: { branch: "dev" } }, false],
    ['trigger.branch == "main" && args.version.startsWith("1.")', context, true],
    [
      'trigger.branch == "main" && args.version.startsWith("1.")',
      { ...context, args: { version: "2.0.0" } },
      false,
    ],
    ['"api" in trigger.changedPaths.map(p, p.split("/")[0])', context, true],
    ['"web" in trigger.changedPaths.map(p, p.split("/")[0])', context, false],
    ['trigger.changedPaths.exists(p, p.startsWith("docs/"))', context, true],
    ['trigger.changedPaths.all(p, p.endsWith(".ts"))', context, false],
    ["size(stages) > 0", context, true],
    ["size(stages) > 0", { stages: {} }, false],
    ["size(args) == 0", {}, true], // a root left out is an empty map
    ["has(trigger.tag)", context, false],
    ["has(trigger.pr)", context, true],
    ['has(trigger.tag) && trigger.tag == "v1"', context, false],
    ["trigger.pr.number == 42", context, true],
    ["trigger.pr.number + 1 == 43", context, true], // JS 42 is a CEL int, not a double
    ["trigger.pr.number % 2 == 1", context, false],
    ["trigger.ratio < 1 && trigger.ratio == 0.5", context, true],
    ['stages.build.status == "succeeded"', context, true],
    ["[1, 2].all(x, [1, 2].exists(y, x == y))", context, true], // 2 deep is allowed
    ['timestamp(execution.startedAt) > timestamp("2025-01-01T00:00:00Z")', context, true],
    ['"constructor" in trigger', context, false], // no prototype behind the data
  ];
  for (const [source, ctx, expected] of cases) {
    it(`${source} → ${expected}`, () => {
      assert.equal(evaluateCondition(source, ctx), expected);
    });
  }

  it("compiles once and evaluates against many contexts", () => {
    const condition = compileCondition('trigger.branch.startsWith("release/")');
    assert.equal(condition.source, 'trigger.branch.startsWith("release/")');
    assert.equal(condition.evaluate({ trigger: { branch: "release/1.4" } }), true);
    assert.equal(condition.evaluate({ trigger: { branch: "main" } }), false);
  });
});

describe("compileCondition refuses", () => {
  const threeDeep = "[1,2].all(x, [1,2].all(y, [1,2].all(z, true)))";
  const tooLong = `trigger.branch == "${"a".repeat(1_980)}"`;
  const tooDeep = `${Array.from({ length: 60 }, () => "1").join(" + ")} == 60`;
  const cases: [source: string, reason: RegExp][] = [
    ["process.exit(1)", /unknown name "process" \(known: trigger, execution, args, app, stages\)/],
    ["process.exit(1)", /unknown method "exit"/], // all problems are reported at once
    ['require("fs")', /unknown function "require"/],
    ["trigger.constructor", /member "constructor" is not allowed/],
    ['trigger["constructor"]', /member "constructor" is not allowed/],
    ['"".constructor', /member "constructor" is not allowed/],
    ["trigger.__proto__", /member "__proto__" is not allowed/],
    ['trigger["__proto__"]', /member "__proto__" is not allowed/],
    ["trigger.pr.prototype", /member "prototype" is not allowed/],
    ["globalThis", /unknown name "globalThis"/],
    ["this", /unknown name "this"/],
    ["cel.bind(x, 1, x == 1)", /unknown name "cel"/],
    ["trigger.changedPaths.exists(p, q == 1)", /unknown name "q" \(known: .*stages, p\)/],
    [threeDeep, /nests all\/exists\/exists_one\/map\/filter more than 2 deep/],
    [tooLong, /is 2000 characters long \(limit 1000\)/],
    [tooDeep, /nests more than 50 levels deep/],
    ["trigger.branch == ", /Unexpected token: EOF at column 19/],
    ['trigger.branch == "main" &&\n  args.version = "1"', /at line 2, column 16/],
    ['sha256(trigger.branch) == "ab"', /unknown function "sha256" \(allowed: has, size/],
    ['trigger.branch.matches("^main$")', /unknown method "matches"/],
    ['"main"', /evaluates to a string, not true\/false/],
    ['1 + "a" == 2', /no matching overload|no such overload/],
  ];
  for (const [source, reason] of cases) {
    it(`${source.length > 60 ? `${source.slice(0, 57)}...` : JSON.stringify(source)} (${reason.source.slice(0, 40)})`, () => {
      assert.throws(
        () => compileCondition(source),
        (error) => {
          assert.ok(error instanceof ExpressionError && error instanceof InputError);
          assert.match(error.message, /^condition /);
          assert.match(error.message, reason);
          return true;
        },
      );
    });
  }
});

describe("evaluate refuses", () => {
  it("a result that is not true or false", () => {
    assert.match(refusal("trigger.branch").message, /evaluates to a string, not true\/false$/);
    assert.match(refusal("trigger.pr.number").message, /evaluates to an int, not true\/false$/);
  });

  it("a missing field, naming it and how to test for it", () => {
    const error = refusal("trigger.tag == 'v1'");
    assert.equal(error.message, `condition "trigger.tag == 'v1'": no field "tag" in trigger`);
    assert.match(error.hint ?? "", /has\(trigger\.tag\)/);
    assert.match(refusal('trigger.pr.title == "x"').message, /no field "title" in trigger\.pr$/);
    assert.match(refusal('stages["deploy"].status == "ok"').message, /no key "deploy" in stages$/);
  });

  it("a computed key that would reach a prototype finds nothing", () => {
    assert.match(
      refusal('trigger["con" + "structor"] == 1').message,
      /no key "con" \+ "structor" in trigger$/,
    );
  });

  it("an oversized context", () => {
    const big = { trigger: { branch: "main", blob: "x".repeat(300 * 1024) } };
    assert.match(
      refusal('trigger.branch == "main"', big).message,
      /context is 301 KiB of JSON \(limit 256 KiB\)/,
    );
  });

  it("a value of the wrong type", () => {
    assert.match(refusal("trigger.branch > 1").message, /no such overload: dyn<string> > int at column 1$/);
  });

  it("an evaluation slower than 100 ms, after the fact", () => {
    let now = 0;
    const clock = mock.method(performance, "now", () => (now += 150));
    try {
      assert.match(refusal('trigger.branch == "main"').message, /took 150 ms to evaluate \(limit 100 ms\)/);
    } finally {
      clock.mock.restore();
    }
  });
});
