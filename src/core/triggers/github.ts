/**
 * GitHub webhooks (`POST /hooks/github`): the `X-Hub-Signature-256` check and the events Railyard
 * uses — `push` (branches and tags), merged `pull_request`, and `ping` when a hook is created.
 *
 * A new tag arrives twice, as `push` (refs/tags/…) and as `create`. The push is used and `create`
 * ignored: push also reports deletions and moves, and one event per tag avoids double runs.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { GitRepository, WebhookResult } from "./events.js";
import { changedPathsOf, commitPaths, commitSha, compact, isZeroSha, parsePayload } from "./payload.js";

export type GithubResult = WebhookResult;

/**
 * GitHub lists at most this many commits in a push; a push that reaches it may have had more, so
 * its changed paths are unknown.
 */
export const GITHUB_MAX_PUSH_COMMITS = 2048;

const HINT =
  "Check that the GitHub webhook's content type is application/json and that X-GitHub-Event matches the body.";

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the raw body under the hook's secret.
 * Returns false for a missing, malformed or forged header, and for an empty secret (anyone could sign).
 */
export function verifyGithubSignature(
  rawBody: Buffer,
  signatureHeader: string | undefined,
  secret: string,
): boolean {
  if (secret === "" || signatureHeader === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signatureHeader.trim());
  if (match?.[1] === undefined) return false;
  const given = Buffer.from(match[1], "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  // Both are 32 bytes here; timingSafeEqual throws on a length mismatch, which the pattern rules out.
  return timingSafeEqual(given, expected);
}

const repository = z.looseObject({ clone_url: z.url(), full_name: z.string().min(1) });
const sender = z.looseObject({ login: z.string().min(1) });

const commit = z.looseObject({
  id: commitSha,
  message: z.string(),
  author: z.looseObject({ name: z.string(), username: z.string().optional() }),
  ...commitPaths,
});

const pushPayload = z.looseObject({
  ref: z.string().min(1),
  before: commitSha,
  after: commitSha,
  created: z.boolean(),
  deleted: z.boolean(),
  forced: z.boolean(),
  commits: z.array(commit),
  head_commit: commit.nullish(),
  repository,
  sender: sender.optional(),
});

const pullRequestAction = z.looseObject({
  action: z.string(),
  pull_request: z.looseObject({ merged: z.boolean().nullish() }),
});

const mergedPullRequest = z.looseObject({
  number: z.number().int().positive(),
  pull_request: z.looseObject({
    merge_commit_sha: commitSha,
    title: z.string().optional(),
    user: z.looseObject({ login: z.string() }).nullish(),
    base: z.looseObject({ ref: z.string().min(1) }),
  }),
  repository,
  sender: sender.optional(),
});

const pingPayload = z.looseObject({ zen: z.string().optional() });
const createPayload = z.looseObject({ ref_type: z.string() });

/**
 * Turns one GitHub delivery into a trigger event, a ping, or a reason it does not start anything.
 * Throws `InputError` naming the bad fields when a used event's payload is malformed.
 */
export function parseGithubEvent(
  eventName: string,
  deliveryId: string | undefined,
  payload: unknown,
): GithubResult {
  switch (eventName) {
    case "ping": {
      const ping = parsePayload(pingPayload, payload, "GitHub ping payload", HINT);
      return ping.zen === undefined ? { kind: "ping" } : { kind: "ping", zen: ping.zen };
    }
    case "push":
      return parsePush(payload, deliveryId);
    case "pull_request":
      return parsePullRequest(payload, deliveryId);
    case "create": {
      const create = parsePayload(createPayload, payload, "GitHub create payload", HINT);
      return {
        kind: "ignored",
        reason: `create (${create.ref_type}) is not used: the push event for the same ref starts pipelines`,
      };
    }
    default:
      return { kind: "ignored", reason: `event ${eventName} is not used` };
  }
}

function parsePush(payload: unknown, deliveryId: string | undefined): GithubResult {
  const push = parsePayload(pushPayload, payload, "GitHub push payload", HINT);
  const common = { source: "github" as const, deliveryId, sender: push.sender?.login };
  const repository = repositoryOf(push.repository);

  if (push.ref.startsWith("refs/tags/")) {
    const tag = push.ref.slice("refs/tags/".length);
    if (push.deleted || isZeroSha(push.after)) return { kind: "ignored", reason: `tag ${tag} was deleted` };
    // A moved (force-pushed) tag counts like a new one: it names a new commit. For an annotated tag
    // `after` is the tag object; head_commit is the commit it points to.
    const commit = push.head_commit?.id ?? push.after;
    return { kind: "event", event: compact({ kind: "git-tag", ...common, repository, tag, commit }) };
  }
  if (!push.ref.startsWith("refs/heads/")) {
    return { kind: "ignored", reason: `push to ${push.ref} is neither a branch nor a tag` };
  }
  const branch = push.ref.slice("refs/heads/".length);
  if (push.deleted || isZeroSha(push.after)) {
    return { kind: "ignored", reason: `branch ${branch} was deleted` };
  }

  const created = push.created || isZeroSha(push.before);
  // The commit list does not show every change when GitHub truncated it, when the branch is new
  // (commits already on another branch are left out) or after a force push (rewritten commits' changes
  // are not listed).
  const pathsKnown = !created && !push.forced && push.commits.length < GITHUB_MAX_PUSH_COMMITS;
  const head = push.head_commit ?? undefined;
  return {
    kind: "event",
    event: compact({
      kind: "git-push",
      ...common,
      repository,
      branch,
      commit: push.after,
      before: created ? undefined : push.before,
      changedPaths: pathsKnown ? changedPathsOf(push.commits) : undefined,
      author: head?.author.username ?? head?.author.name,
      message: head?.message,
    }),
  };
}

function parsePullRequest(payload: unknown, deliveryId: string | undefined): GithubResult {
  const subject = "GitHub pull_request payload";
  const { action, pull_request } = parsePayload(pullRequestAction, payload, subject, HINT);
  if (action !== "closed") return { kind: "ignored", reason: `pull_request action ${action} is not used` };
  if (pull_request.merged !== true) {
    return { kind: "ignored", reason: "pull request was closed without merging" };
  }
  const merged = parsePayload(mergedPullRequest, payload, subject, HINT);
  const pr = merged.pull_request;
  return {
    kind: "event",
    event: compact({
      kind: "merge",
      source: "github",
      deliveryId,
      sender: merged.sender?.login,
      repository: repositoryOf(merged.repository),
      baseBranch: pr.base.ref,
      commit: pr.merge_commit_sha,
      number: merged.number,
      author: pr.user?.login,
      title: pr.title,
    }),
  };
}

function repositoryOf(repo: { clone_url: string; full_name: string }): GitRepository {
  return { url: repo.clone_url, fullName: repo.full_name };
}
