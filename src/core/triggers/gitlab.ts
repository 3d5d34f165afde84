/**
 * GitLab webhooks (`POST /hooks/gitlab`): the `X-Gitlab-Token` check and the Push, Tag Push and
 * Merge Request hooks. GitLab sends tags only as Tag Push Hook, so there is no double delivery.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { GitRepository, WebhookResult } from "./events.js";
import {
  changedPathsOf,
  commitPaths,
  commitSha,
  compact,
  isZeroSha,
  parsePayload,
  payloadError,
} from "./payload.js";

/** GitLab has no ping event; a test delivery from the UI is an ordinary Push Hook. */
export type GitlabResult = Exclude<WebhookResult, { kind: "ping" }>;

const HINT = "Check that X-Gitlab-Event matches the body and that the hook is a project webhook.";

/**
 * Compares `X-Gitlab-Token` with the configured token in constant time: both are hashed first, so
 * neither the content nor the length of the expected token leaks through timing. An empty expected
 * token never matches.
 */
export function verifyGitlabToken(header: string | undefined, expected: string): boolean {
  if (header === undefined || expected === "") return false;
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(header), digest(expected));
}

const project = z.looseObject({ git_http_url: z.url(), path_with_namespace: z.string().min(1) });

const commit = z.looseObject({
  id: commitSha,
  message: z.string().optional(),
  author: z.looseObject({ name: z.string().optional() }).optional(),
  ...commitPaths,
});

const pushPayload = z.looseObject({
  object_kind: z.literal("push"),
  ref: z.string().min(1),
  before: commitSha,
  after: commitSha,
  checkout_sha: commitSha.nullish(),
  user_username: z.string().optional(),
  commits: z.array(commit),
  total_commits_count: z.number().int().nonnegative(),
  project,
});

const tagPushPayload = z.looseObject({
  object_kind: z.literal("tag_push"),
  ref: z.string().startsWith("refs/tags/", { error: "must start with refs/tags/" }),
  after: commitSha,
  checkout_sha: commitSha.nullish(),
  user_username: z.string().optional(),
  project,
});

const mergeRequestAction = z.looseObject({
  object_kind: z.literal("merge_request"),
  object_attributes: z.looseObject({ action: z.string().optional() }),
});

const mergedMergeRequest = z.looseObject({
  user: z.looseObject({ username: z.string() }).optional(),
  project,
  object_attributes: z.looseObject({
    iid: z.number().int().positive(),
    target_branch: z.string().min(1),
    merge_commit_sha: commitSha.nullish(),
    last_commit: z.looseObject({ id: commitSha }).optional(),
    title: z.string().optional(),
  }),
});

/**
 * Turns one GitLab delivery (`X-Gitlab-Event` plus body) into a trigger event or a reason it does not
 * start anything. `deliveryId` is the optional `X-Gitlab-Event-UUID`. Throws `InputError` naming the
 * bad fields when a used event's payload is malformed.
 */
export function parseGitlabEvent(eventHeader: string, payload: unknown, deliveryId?: string): GitlabResult {
  switch (eventHeader) {
    case "Push Hook":
      return parsePush(payload, deliveryId);
    case "Tag Push Hook":
      return parseTagPush(payload, deliveryId);
    case "Merge Request Hook":
      return parseMergeRequest(payload, deliveryId);
    default:
      return { kind: "ignored", reason: `event ${eventHeader} is not used` };
  }
}

function parsePush(payload: unknown, deliveryId: string | undefined): GitlabResult {
  const push = parsePayload(pushPayload, payload, "GitLab Push Hook payload", HINT);
  if (!push.ref.startsWith("refs/heads/")) {
    return { kind: "ignored", reason: `push to ${push.ref} is not a branch` };
  }
  const branch = push.ref.slice("refs/heads/".length);
  if (isZeroSha(push.after)) return { kind: "ignored", reason: `branch ${branch} was deleted` };

  const commit = push.checkout_sha ?? push.after;
  const created = isZeroSha(push.before);
  // GitLab lists at most 20 commits (total_commits_count has the real number), and a new branch's
  // list leaves out commits already elsewhere; then the changed paths are unknown.
  const pathsKnown = !created && push.total_commits_count <= push.commits.length;
  const head = push.commits.find((c) => c.id === commit);
  return {
    kind: "event",
    event: compact({
      kind: "git-push",
      source: "gitlab",
      deliveryId,
      sender: push.user_username,
      repository: repositoryOf(push.project),
      branch,
      commit,
      before: created ? undefined : push.before,
      changedPaths: pathsKnown ? changedPathsOf(push.commits) : undefined,
      // GitLab commit authors carry a name and email, no username.
      author: head?.author?.name,
      message: head?.message,
    }),
  };
}

function parseTagPush(payload: unknown, deliveryId: string | undefined): GitlabResult {
  const push = parsePayload(tagPushPayload, payload, "GitLab Tag Push Hook payload", HINT);
  const tag = push.ref.slice("refs/tags/".length);
  if (isZeroSha(push.after)) return { kind: "ignored", reason: `tag ${tag} was deleted` };
  return {
    kind: "event",
    event: compact({
      kind: "git-tag",
      source: "gitlab",
      deliveryId,
      sender: push.user_username,
      repository: repositoryOf(push.project),
      tag,
      // checkout_sha is the tagged commit; `after` would be the tag object of an annotated tag.
      commit: push.checkout_sha ?? push.after,
    }),
  };
}

function parseMergeRequest(payload: unknown, deliveryId: string | undefined): GitlabResult {
  const subject = "GitLab Merge Request Hook payload";
  const { object_attributes } = parsePayload(mergeRequestAction, payload, subject, HINT);
  const action = object_attributes.action;
  if (action !== "merge") {
    return { kind: "ignored", reason: `merge request action ${action ?? "(none)"} is not used` };
  }
  const merged = parsePayload(mergedMergeRequest, payload, subject, HINT);
  const attributes = merged.object_attributes;
  // A fast-forward merge makes no merge commit: the target branch then points at the source head.
  const commit = attributes.merge_commit_sha ?? attributes.last_commit?.id;
  if (commit === undefined) {
    throw payloadError(
      subject,
      ["object_attributes.merge_commit_sha is missing (and no last_commit.id)"],
      HINT,
    );
  }
  return {
    kind: "event",
    event: compact({
      kind: "merge",
      source: "gitlab",
      deliveryId,
      // `user` is whoever merged; the payload names the author only by numeric id (author_id).
      sender: merged.user?.username,
      repository: repositoryOf(merged.project),
      baseBranch: attributes.target_branch,
      commit,
      number: attributes.iid,
      title: attributes.title,
    }),
  };
}

function repositoryOf(project: { git_http_url: string; path_with_namespace: string }): GitRepository {
  return { url: project.git_http_url, fullName: project.path_with_namespace };
}
