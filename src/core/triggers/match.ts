/**
 * Decides whether a trigger event starts a pipeline: one `TriggerFilter` (pipeline/types.ts) against
 * one event, always with a sentence saying why, shown to people as is (`branch feature/x does not
 * match main, release/*`).
 */
import type { TriggerFilter } from "../pipeline/types.js";
import type {
  GitPushEvent,
  GitRepository,
  GitTagEvent,
  ImagePushEvent,
  MergeEvent,
  TriggerEvent,
} from "./events.js";
import { firstMatchingGlob, firstTouch, matchTag } from "./patterns.js";

export interface TriggerContext {
  /** Repo-relative paths of the app file and its manifests, e.g. `services/api/manifests/**`. */
  appPaths: readonly string[];
  /** The app's repository (clone URL or `owner/name`) when registered; git events from others never match. */
  repository?: string;
}

export interface TriggerMatch {
  matched: boolean;
  reason: string;
}

export function matchTrigger(
  filter: TriggerFilter,
  event: TriggerEvent,
  context: TriggerContext,
): TriggerMatch {
  switch (event.kind) {
    case "git-push":
      return inRepository(event.repository, context) ?? matchPush(filter, event, context);
    case "git-tag":
      return inRepository(event.repository, context) ?? matchGitTag(filter, event);
    case "merge":
      return inRepository(event.repository, context) ?? matchMerge(filter, event);
    case "image-push":
      return matchImage(filter, event);
    case "manual":
      return { matched: true, reason: `manual run by ${event.actor}` };
  }
}

/** The first filter that matches, or every filter's reason when none does. Manual runs always match. */
export function matchAny(
  filters: readonly TriggerFilter[],
  event: TriggerEvent,
  context: TriggerContext,
): TriggerMatch {
  if (event.kind === "manual") return matchTrigger({}, event, context);
  if (filters.length === 0) return { matched: false, reason: "the pipeline has no triggers" };
  const reasons: string[] = [];
  for (const [index, filter] of filters.entries()) {
    const result = matchTrigger(filter, event, context);
    if (result.matched) return result;
    reasons.push(filters.length === 1 ? result.reason : `trigger ${index + 1}: ${result.reason}`);
  }
  return { matched: false, reason: reasons.join("; ") };
}

/**
 * Pushes to any branch match when `branches` is omitted, unless the git filter names only tags or
 * merges: `git: { tags: ">=1.0.0" }` means "on release tags", not "on every push and on tags".
 */
function matchPush(filter: TriggerFilter, event: GitPushEvent, context: TriggerContext): TriggerMatch {
  const git = filter.git;
  if (git === undefined) return { matched: false, reason: "the trigger does not start on git pushes" };
  let branchReason: string;
  if (git.branches !== undefined) {
    const glob = firstMatchingGlob(event.branch, git.branches);
    if (glob === undefined) {
      const listed = git.branches.length === 0 ? "(no branches listed)" : git.branches.join(", ");
      return { matched: false, reason: `branch ${event.branch} does not match ${listed}` };
    }
    branchReason = `branch ${event.branch} matches ${glob}`;
  } else if (git.tags !== undefined || git.merges !== undefined) {
    const only = git.tags !== undefined ? "tags" : "merges";
    return {
      matched: false,
      reason: `the trigger starts on ${only}, not on pushes (list branches to add pushes)`,
    };
  } else {
    branchReason = `any branch matches, ${event.branch} included`;
  }

  const patterns = git.paths ?? context.appPaths;
  if (patterns.length === 0) return { matched: true, reason: `${branchReason}; no paths to check` };
  if (event.changedPaths === undefined) {
    return {
      matched: true,
      reason: `${branchReason}; changed paths unknown, so they may touch ${patterns.join(", ")}`,
    };
  }
  const touch = firstTouch(event.changedPaths, patterns);
  if (touch === undefined) {
    return { matched: false, reason: `no changed path touches ${patterns.join(", ")}` };
  }
  return { matched: true, reason: `${branchReason}; ${touch.path} is in ${touch.pattern}` };
}

function matchGitTag(filter: TriggerFilter, event: GitTagEvent): TriggerMatch {
  const tags = filter.git?.tags;
  if (tags === undefined) {
    return { matched: false, reason: `the trigger does not start on git tags (tag ${event.tag})` };
  }
  return matchTag(tags, event.tag);
}

function matchMerge(filter: TriggerFilter, event: MergeEvent): TriggerMatch {
  const merges = filter.git?.merges;
  const what = `merge of #${event.number} into ${event.baseBranch}`;
  if (merges === undefined) {
    return { matched: false, reason: `the trigger does not start on merges (${what})` };
  }
  const glob = firstMatchingGlob(event.baseBranch, merges);
  if (glob === undefined) {
    const listed = merges.length === 0 ? "(no branches listed)" : merges.join(", ");
    return { matched: false, reason: `${what} does not match ${listed}` };
  }
  return { matched: true, reason: `${what} matches ${glob}` };
}

function matchImage(filter: TriggerFilter, event: ImagePushEvent): TriggerMatch {
  const image = filter.image;
  const pushed = `${event.registryHost}/${event.repository}`;
  if (image === undefined) {
    return { matched: false, reason: `the trigger does not start on image pushes (${pushed})` };
  }
  const wanted = splitRegistryHost(image.repository);
  const hostMatches =
    wanted.host === undefined || wanted.host.toLowerCase() === event.registryHost.toLowerCase();
  if (!hostMatches || wanted.path !== event.repository) {
    return { matched: false, reason: `image ${pushed} is not ${image.repository}` };
  }
  if (image.tags === undefined) {
    return {
      matched: true,
      reason: `image ${image.repository} was pushed (${event.tag ?? event.digest}); any tag starts it`,
    };
  }
  if (event.tag === undefined) {
    return {
      matched: false,
      reason: `image ${pushed} was pushed by digest only (${event.digest}), without a tag to compare with ${image.tags}`,
    };
  }
  return matchTag(image.tags, event.tag);
}

/**
 * `localhost:5000/shop/api` → host and path; `shop/api` → path only. As in distribution/reference, a
 * first component is a host when it has a dot or a port or is `localhost`.
 */
function splitRegistryHost(repository: string): { host?: string; path: string } {
  const slash = repository.indexOf("/");
  const first = slash < 0 ? "" : repository.slice(0, slash);
  if (first !== "" && (first.includes(".") || first.includes(":") || first === "localhost")) {
    return { host: first, path: repository.slice(slash + 1) };
  }
  return { path: repository };
}

/** Undefined when the event is in the app's repository (or none is registered), else the mismatch. */
function inRepository(repository: GitRepository, context: TriggerContext): TriggerMatch | undefined {
  if (context.repository === undefined) return undefined;
  const wanted = normalizeRepository(context.repository);
  if (wanted === normalizeRepository(repository.url) || wanted === normalizeRepository(repository.fullName)) {
    return undefined;
  }
  return {
    matched: false,
    reason: `repository ${repository.fullName} is not the app's repository ${context.repository}`,
  };
}

/**
 * One spelling per repository: `https://github.com/Acme/Shop.git`, `git@github.com:acme/shop` and
 * `ssh://git@github.com/acme/shop` all become `github.com/acme/shop`; `acme/shop` stays as it is.
 * Lowercased, as GitHub and GitLab compare owner and project names without case.
 */
function normalizeRepository(text: string): string {
  const trimmed = text.trim().toLowerCase();
  let hostAndPath = trimmed;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(trimmed);
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(trimmed)) {
    try {
      const url = new URL(trimmed);
      hostAndPath = `${url.hostname}${url.pathname}`;
    } catch {
      // Not a URL after all: compare it as written.
    }
  } else if (scp?.[1] !== undefined && scp[2] !== undefined) {
    hostAndPath = `${scp[1]}/${scp[2]}`;
  }
  return hostAndPath
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .replace(/^\/+/, "");
}
