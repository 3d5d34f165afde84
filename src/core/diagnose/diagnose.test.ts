import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { DIAGNOSIS_REASONS, diagnose, type DiagnosisInput, type DiagnosisReason } from "./diagnose.js";

/** One row of a table in testdata/diagnose: live objects as the API returns them, and what to say. */
interface Case {
  name: string;
  input: Omit<DiagnosisInput, "now"> & { now: string };
  /** null: nothing is wrong yet. */
  expect: Expectation | null;
}

interface Expectation {
  reason: DiagnosisReason;
  certain: boolean;
  summaryIncludes: string[];
  summaryExcludes?: string[];
  actionIncludes?: string[];
  /** The affected pods, exactly, sorted. */
  pods?: string[];
  logTailIncludes?: string[];
}

const tablesDir = join(import.meta.dirname, "../../../testdata/diagnose");
const tables = readdirSync(tablesDir)
  .filter((file) => file.endsWith(".yaml"))
  .sort()
  .map((file) => ({ file, cases: parse(readFileSync(join(tablesDir, file), "utf8")) as Case[] }));

for (const { file, cases } of tables) {
  describe(`diagnose: ${file}`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const got = diagnose({ ...c.input, now: new Date(c.input.now) });
        if (c.expect === null) {
          assert.equal(got, undefined, `expected no diagnosis, got: ${got?.summary}`);
          return;
        }
        assert.ok(got, "expected a diagnosis, got none");
        const want = c.expect;
        assert.equal(got.reason, want.reason, got.summary);
        assert.equal(got.certain, want.certain, `certain: ${got.summary}`);
        for (const part of want.summaryIncludes)
          assert.ok(got.summary.includes(part), `summary lacks "${part}": ${got.summary}`);
        for (const part of want.summaryExcludes ?? [])
          assert.ok(!got.summary.includes(part), `summary has "${part}": ${got.summary}`);
        for (const part of want.actionIncludes ?? [])
          assert.ok(got.action.includes(part), `action lacks "${part}": ${got.action}`);
        if (want.pods) assert.deepEqual(got.pods, want.pods);
        for (const part of want.logTailIncludes ?? [])
          assert.ok(got.logTail?.includes(part), `logTail lacks "${part}"`);
        assertOneSentence(got.summary, c.input.deployment.metadata);
        assert.match(got.action, /^[A-Z].*\.$/, `action is a sentence: ${got.action}`);
      });
    }
  });
}

/** The convention: `Deployment ns/name: …`, one line, one full stop at the end. */
function assertOneSentence(summary: string, meta: { namespace?: string; name?: string }): void {
  assert.ok(summary.startsWith(`Deployment ${meta.namespace}/${meta.name}: `), summary);
  assert.doesNotMatch(summary, /\n/, "one line");
  assert.match(summary, /[^.]\.$/, "ends with one full stop");
  assert.doesNotMatch(summary, /\.\s+[A-Z][a-z]/, `one sentence: ${summary}`);
}

describe("diagnose: the tables", () => {
  it("cover every reason, with unique case names and known reasons", () => {
    const all = tables.flatMap((t) => t.cases);
    const names = all.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, "case names are unique");
    const seen = new Set(all.flatMap((c) => (c.expect ? [c.expect.reason] : [])));
    for (const reason of seen) assert.ok(DIAGNOSIS_REASONS.includes(reason), `unknown reason ${reason}`);
    assert.deepEqual(
      DIAGNOSIS_REASONS.filter((r) => !seen.has(r)),
      [],
      "reasons without a case",
    );
  });
});
