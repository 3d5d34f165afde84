import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError } from "../errors.js";
import { parseGitlabEvent, verifyGitlabToken } from "./gitlab.js";

const testdata = join(import.meta.dirname, "../../../testdata/triggers");
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(testdata, name), "utf8")) as Record<string, unknown>;

const repository = { url: "https://gitlab.acme.example/commerce/shop.git", fullName: "commerce/shop" };

function throwsInput(run: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("verifyGitlabToken", () => {
  it("accepts the configured token only", () => {
    assert.equal(verifyGitlabToken("glwt-4f1c9a", "glwt-4f1c9a"), true);
    assert.equal(verifyGitlabToken("glwt-4f1c9b", "glwt-4f1c9a"), false);
    assert.equal(verifyGitlabToken("glwt-4f1c9a ", "glwt-4f1c9a"), false);
    assert.equal(verifyGitlabToken("glwt", "glwt-4f1c9a"), false);
    assert.equal(verifyGitlabToken("glwt-4f1c9a-and-more", "glwt-4f1c9a"), false);
  });

  it("rejects a missing header and never matches an empty expected token", () => {
    assert.equal(verifyGitlabToken(undefined, "glwt-4f1c9a"), false);
    assert.equal(verifyGitlabToken("", "glwt-4f1c9a"), false);
    assert.equal(verifyGitlabToken("", ""), false);
  });
});

describe("parseGitlabEvent fixtures", () => {
  it("Push Hook: checkout_sha, before, changed paths, head commit author name", () => {
    assert.deepEqual(parseGitlabEvent("Push Hook", fixture("gitlab-push.json"), "uuid-1"), {
      kind: "event",
      event: {
        kind: "git-push",
        source: "gitlab",
        deliveryId: "uuid-1",
        sender: "mia.k",
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
        author: "Mia Kovač",
        message: "api: add readiness probe\n\nThe pod now waits for the database before taking traffic.\n",
      },
    });
  });

  it("Tag Push Hook: the tagged commit (checkout_sha), not the tag object", () => {
    assert.deepEqual(parseGitlabEvent("Tag Push Hook", fixture("gitlab-tag-push.json")), {
      kind: "event",
      event: {
        kind: "git-tag",
        source: "gitlab",
        sender: "ravi",
        repository,
        tag: "v1.4.0",
        commit: "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b",
      },
    });
  });

  it("Merge Request Hook with action merge: target branch, merge commit, iid; `user` is who merged", () => {
    assert.deepEqual(parseGitlabEvent("Merge Request Hook", fixture("gitlab-merge-request.json")), {
      kind: "event",
      event: {
        kind: "merge",
        source: "gitlab",
        sender: "ravi",
        repository,
        baseBranch: "main",
        commit: "4536a4088f569704de0292399456c1415d46e7e4",
        number: 17,
        title: "api: add readiness probe",
      },
    });
  });
});

describe("parseGitlabEvent variations", () => {
  const push = (changes: Record<string, unknown>) => ({ ...fixture("gitlab-push.json"), ...changes });
  const gitPush = (payload: unknown) => {
    const result = parseGitlabEvent("Push Hook", payload);
    assert.ok(result.kind === "event" && result.event.kind === "git-push", JSON.stringify(result));
    return result.event;
  };

  it("changed paths are unknown when GitLab truncated the commit list or the branch is new", () => {
    assert.equal(gitPush(push({ total_commits_count: 21 })).changedPaths, undefined);
    const created = gitPush(push({ before: "0".repeat(40) }));
    assert.equal(created.changedPaths, undefined);
    assert.equal(created.before, undefined);
    assert.equal(gitPush(push({ total_commits_count: 2 })).changedPaths?.length, 4);
  });

  it("falls back to `after` without checkout_sha, and finds the head commit in any order", () => {
    const commits = [...(fixture("gitlab-push.json").commits as unknown[])].reverse();
    const event = gitPush(push({ checkout_sha: null, commits }));
    assert.equal(event.commit, "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b");
    assert.equal(event.message?.startsWith("api: add readiness probe"), true);
  });

  it("ignores deletions, other actions and other events", () => {
    const zero = "0".repeat(40);
    const mr = fixture("gitlab-merge-request.json");
    const attributes = mr.object_attributes as Record<string, unknown>;
    const cases: [string, unknown, string][] = [
      ["Push Hook", push({ after: zero, checkout_sha: null, commits: [] }), "branch main was deleted"],
      [
        "Tag Push Hook",
        { ...fixture("gitlab-tag-push.json"), after: zero, checkout_sha: null },
        "tag v1.4.0 was deleted",
      ],
      [
        "Merge Request Hook",
        { ...mr, object_attributes: { ...attributes, action: "open" } },
        "merge request action open is not used",
      ],
      [
        "Merge Request Hook",
        { ...mr, object_attributes: { ...attributes, action: undefined } },
        "merge request action (none) is not used",
      ],
      ["Pipeline Hook", { object_kind: "pipeline" }, "event Pipeline Hook is not used"],
      [
        "Push Hook",
        push({ ref: "refs/merge-requests/17/head" }),
        "push to refs/merge-requests/17/head is not a branch",
      ],
    ];
    for (const [header, payload, reason] of cases) {
      assert.deepEqual(parseGitlabEvent(header, payload), { kind: "ignored", reason }, reason);
    }
  });

  it("a fast-forward merge (no merge commit) uses the source head", () => {
    const mr = fixture("gitlab-merge-request.json");
    const attributes = { ...(mr.object_attributes as object), merge_commit_sha: null };
    const result = parseGitlabEvent("Merge Request Hook", { ...mr, object_attributes: attributes });
    assert.ok(result.kind === "event" && result.event.kind === "merge");
    assert.equal(result.event.commit, "0c1df8f6fae6f6bb23e385a7606a912f499ebc8b");
  });
});

describe("parseGitlabEvent malformed payloads", () => {
  it("names missing fields with their paths", () => {
    const payload = fixture("gitlab-push.json");
    delete (payload.project as Record<string, unknown>).git_http_url;
    delete payload.total_commits_count;
    throwsInput(
      () => parseGitlabEvent("Push Hook", payload),
      /^GitLab Push Hook payload: /,
      /project\.git_http_url is missing/,
      /total_commits_count is missing/,
    );
  });

  it("rejects wrong types and a body of another kind than the header", () => {
    throwsInput(
      () => parseGitlabEvent("Push Hook", { ...fixture("gitlab-push.json"), commits: {} }),
      /commits must be an array, got an object/,
    );
    throwsInput(
      () => parseGitlabEvent("Push Hook", fixture("gitlab-tag-push.json")),
      /object_kind must be "push", got the string "tag_push"/,
    );
    throwsInput(
      () => parseGitlabEvent("Tag Push Hook", { ...fixture("gitlab-tag-push.json"), ref: "v1.4.0" }),
      /ref must start with refs\/tags\//,
    );
  });

  it("a merge needs a target branch, an iid and a commit", () => {
    const mr = fixture("gitlab-merge-request.json");
    const attributes = { ...(mr.object_attributes as Record<string, unknown>), iid: "17", target_branch: "" };
    throwsInput(
      () => parseGitlabEvent("Merge Request Hook", { ...mr, object_attributes: attributes }),
      /object_attributes\.iid must be a number, got the string "17"/,
      /object_attributes\.target_branch must not be empty/,
    );
    const noCommit = {
      ...(mr.object_attributes as Record<string, unknown>),
      merge_commit_sha: null,
      last_commit: undefined,
    };
    throwsInput(
      () => parseGitlabEvent("Merge Request Hook", { ...mr, object_attributes: noCommit }),
      /object_attributes\.merge_commit_sha is missing/,
    );
  });

  it("rejects payloads that are not objects", () => {
    throwsInput(
      () => parseGitlabEvent("Push Hook", []),
      /^GitLab Push Hook payload: must be an object, got an array$/,
    );
    throwsInput(
      () => parseGitlabEvent("Merge Request Hook", "merged"),
      /must be an object, got the string "merged"/,
    );
  });
});
