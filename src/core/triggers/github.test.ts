import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError } from "../errors.js";
import { parseGithubEvent, verifyGithubSignature } from "./github.js";

const testdata = join(import.meta.dirname, "../../../testdata/triggers");
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(testdata, name), "utf8")) as Record<string, unknown>;

const repository = { url: "https://github.com/acme/shop.git", fullName: "acme/shop" };

/** Asserts an InputError whose message matches every pattern. */
function throwsInput(run: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("verifyGithubSignature", () => {
  // The example from GitHub's "Validating webhook deliveries".
  const secret = "It's a Secret to Everybody";
  const body = Buffer.from("Hello, World!");
  const valid = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("accepts GitHub's documented example", () => {
    assert.equal(verifyGithubSignature(body, valid, secret), true);
  });

  it("accepts a signature over raw bytes that are not UTF-8", () => {
    const raw = Buffer.from([0xff, 0x00, 0xfe, 0x7b]);
    const header = `sha256=${createHmac("sha256", "s3cret").update(raw).digest("hex")}`;
    assert.equal(verifyGithubSignature(raw, header, "s3cret"), true);
    assert.equal(
      verifyGithubSignature(raw, header.toUpperCase().replace("SHA256=", "sha256="), "s3cret"),
      true,
    );
  });

  it("rejects forged, missing and malformed headers without throwing", () => {
    const cases: [string, string | undefined][] = [
      ["one hex digit changed", valid.replace(/7$/, "8")],
      ["missing", undefined],
      ["empty", ""],
      ["no algorithm", valid.slice("sha256=".length)],
      ["sha1 header", "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0"],
      ["too short", "sha256=757107ea"],
      ["too long", `${valid}00`],
      ["not hex", `sha256=${"zz".repeat(32)}`],
      ["odd length", `${valid}0`],
    ];
    for (const [name, header] of cases)
      assert.equal(verifyGithubSignature(body, header, secret), false, name);
  });

  it("rejects another secret, another body and an empty secret", () => {
    assert.equal(verifyGithubSignature(body, valid, "another secret"), false);
    assert.equal(verifyGithubSignature(Buffer.from("Hello, World?"), valid, secret), false);
    const unsigned = `sha256=${createHmac("sha256", "").update(body).digest("hex")}`;
    assert.equal(verifyGithubSignature(body, unsigned, ""), false);
  });
});

describe("parseGithubEvent fixtures", () => {
  it("push to a branch: commit, before, union of changed paths, head commit author and message", () => {
    assert.deepEqual(parseGithubEvent("push", "d-1", fixture("github-push.json")), {
      kind: "event",
      event: {
        kind: "git-push",
        source: "github",
        deliveryId: "d-1",
        sender: "mia-k",
        repository,
        branch: "main",
        commit: "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b",
        before: "528a1996c1e2ffcc413b418c6e99ee4068aa18f3",
        changedPaths: [
          "docs/old-probe.md",
          "services/api/manifests/deployment.yaml",
          "services/api/manifests/probe.yaml",
          "services/api/railyard.yaml",
        ],
        author: "mia-k",
        message: "api: add readiness probe\n\nThe pod now waits for the database before taking traffic.",
      },
    });
  });

  it("push of an annotated tag: the tagged commit, not the tag object", () => {
    assert.deepEqual(parseGithubEvent("push", "d-2", fixture("github-push-tag.json")), {
      kind: "event",
      event: {
        kind: "git-tag",
        source: "github",
        deliveryId: "d-2",
        sender: "ravi-release",
        repository,
        tag: "v1.4.0",
        commit: "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b",
      },
    });
  });

  it("merged pull request: base branch, merge commit, number, PR author", () => {
    assert.deepEqual(parseGithubEvent("pull_request", undefined, fixture("github-pr-merged.json")), {
      kind: "event",
      event: {
        kind: "merge",
        source: "github",
        sender: "ravi-release",
        repository,
        baseBranch: "main",
        commit: "4536a4088f569704de0292399456c1415d46e7e4",
        number: 42,
        author: "mia-k",
        title: "api: add readiness probe",
      },
    });
  });

  it("ping", () => {
    assert.deepEqual(parseGithubEvent("ping", "d-3", fixture("github-ping.json")), {
      kind: "ping",
      zen: "Design for failure.",
    });
    assert.deepEqual(parseGithubEvent("ping", "d-3", { hook_id: 1 }), { kind: "ping" });
  });
});

describe("parseGithubEvent variations", () => {
  const push = (changes: Record<string, unknown>) => ({ ...fixture("github-push.json"), ...changes });
  const event = (result: ReturnType<typeof parseGithubEvent>) => {
    assert.equal(result.kind, "event");
    return result.kind === "event" ? result.event : undefined;
  };

  it("ignores deleted branches and tags", () => {
    const zero = "0".repeat(40);
    const deleted = push({ deleted: true, after: zero, head_commit: null, commits: [] });
    assert.deepEqual(parseGithubEvent("push", "d", deleted), {
      kind: "ignored",
      reason: "branch main was deleted",
    });
    const tag = { ...deleted, ref: "refs/tags/v1.0.0" };
    assert.deepEqual(parseGithubEvent("push", "d", tag), {
      kind: "ignored",
      reason: "tag v1.0.0 was deleted",
    });
  });

  it("changed paths are unknown for a new branch, a force push and a truncated commit list", () => {
    const created = event(parseGithubEvent("push", "d", push({ created: true, before: "0".repeat(40) })));
    assert.ok(created?.kind === "git-push");
    assert.equal(created.changedPaths, undefined);
    assert.equal(created.before, undefined);

    const forced = event(parseGithubEvent("push", "d", push({ forced: true })));
    assert.ok(forced?.kind === "git-push");
    assert.equal(forced.changedPaths, undefined);

    const one = (fixture("github-push.json").commits as unknown[])[0];
    const many = event(
      parseGithubEvent("push", "d", push({ commits: Array.from({ length: 2048 }, () => one) })),
    );
    assert.ok(many?.kind === "git-push");
    assert.equal(many.changedPaths, undefined);

    const fewer = event(
      parseGithubEvent("push", "d", push({ commits: Array.from({ length: 2047 }, () => one) })),
    );
    assert.ok(fewer?.kind === "git-push");
    assert.deepEqual(fewer.changedPaths, ["services/api/manifests/deployment.yaml"]);
  });

  it("an empty push touches nothing; a commit author without a GitHub account is named", () => {
    const head = {
      ...(fixture("github-push.json").head_commit as object),
      author: { name: "Build Robot", email: "robot@acme.example" },
    };
    const result = event(parseGithubEvent("push", "d", push({ commits: [], head_commit: head })));
    assert.ok(result?.kind === "git-push");
    assert.deepEqual(result.changedPaths, []);
    assert.equal(result.author, "Build Robot");
  });

  it("ignores events and actions that start nothing, with reasons", () => {
    const pr = fixture("github-pr-merged.json");
    const unmerged = {
      ...pr,
      pull_request: { ...(pr.pull_request as object), merged: false, merge_commit_sha: null },
    };
    const cases: [string, unknown, string][] = [
      ["issues", { action: "opened" }, "event issues is not used"],
      [
        "create",
        { ref_type: "tag", ref: "v1.4.0" },
        "create (tag) is not used: the push event for the same ref starts pipelines",
      ],
      ["pull_request", { ...pr, action: "opened" }, "pull_request action opened is not used"],
      ["pull_request", unmerged, "pull request was closed without merging"],
      [
        "push",
        push({ ref: "refs/notes/commits" }),
        "push to refs/notes/commits is neither a branch nor a tag",
      ],
    ];
    for (const [name, payload, reason] of cases) {
      assert.deepEqual(parseGithubEvent(name, "d", payload), { kind: "ignored", reason }, reason);
    }
  });
});

describe("parseGithubEvent malformed payloads", () => {
  it("names a missing field with its path", () => {
    const payload = fixture("github-push.json");
    delete (payload.repository as Record<string, unknown>).clone_url;
    throwsInput(
      () => parseGithubEvent("push", "d", payload),
      /^GitHub push payload: repository\.clone_url is missing$/,
    );
  });

  it("collects every bad field, wrong types included", () => {
    const payload = fixture("github-push.json");
    payload.after = 5;
    payload.forced = "no";
    (payload.commits as Record<string, unknown>[])[1]!.added = "probe.yaml";
    throwsInput(
      () => parseGithubEvent("push", "d", payload),
      /after must be a string, got 5/,
      /forced must be true or false, got the string "no"/,
      /commits\[1\]\.added must be an array, got the string "probe.yaml"/,
    );
  });

  it("rejects a commit id that is not a SHA", () => {
    throwsInput(
      () => parseGithubEvent("push", "d", { ...fixture("github-push.json"), after: "HEAD" }),
      /after must be a commit SHA/,
    );
  });

  it("rejects payloads that are not objects", () => {
    throwsInput(
      () => parseGithubEvent("push", "d", "ref=main"),
      /^GitHub push payload: must be an object, got the string "ref=main"$/,
    );
    throwsInput(() => parseGithubEvent("push", "d", [1, 2]), /must be an object, got an array/);
    throwsInput(
      () => parseGithubEvent("pull_request", "d", null),
      /^GitHub pull_request payload: must be an object, got null$/,
    );
    throwsInput(() => parseGithubEvent("ping", "d", 7), /^GitHub ping payload: must be an object, got 7$/);
  });

  it("a merged pull request needs its merge commit and base branch", () => {
    const payload = fixture("github-pr-merged.json");
    const pr = payload.pull_request as Record<string, unknown>;
    pr.merge_commit_sha = null;
    pr.base = {};
    throwsInput(
      () => parseGithubEvent("pull_request", "d", payload),
      /pull_request\.merge_commit_sha must be a string, got null/,
      /pull_request\.base\.ref is missing/,
    );
  });

  it("an error carries a hint", () => {
    try {
      parseGithubEvent("push", "d", {});
      assert.fail("expected an error");
    } catch (error) {
      assert.ok(error instanceof InputError);
      assert.match(error.hint ?? "", /application\/json/);
    }
  });
});
