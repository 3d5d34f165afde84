/**
 * Normalized trigger events: what a webhook (GitHub, GitLab, a registry) or a person (API, CLI) says
 * happened, in one shape the pipeline matcher and the event store understand.
 *
 * A payload is a hint, never the truth: the server later fetches the repository at `commit` and
 * resolves image digests itself, so nothing here is trusted beyond choosing what to look at.
 */

export const TRIGGER_SOURCES = ["github", "gitlab", "registry", "api", "cli", "ui"] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

export const TRIGGER_EVENT_KINDS = ["git-push", "git-tag", "merge", "image-push", "manual"] as const;
export type TriggerEventKind = (typeof TRIGGER_EVENT_KINDS)[number];

interface EventBase<S extends TriggerSource> {
  source: S;
  /** The sender's id for this delivery (X-GitHub-Delivery, the registry event id); used to drop repeats. */
  deliveryId?: string;
  /** Login or user name of whoever caused the event. */
  sender?: string;
}

export interface GitRepository {
  /** Clone URL over HTTP(S). */
  url: string;
  /** `owner/name`, or the GitLab `group/subgroup/name` path. */
  fullName: string;
}

export interface GitPushEvent extends EventBase<"github" | "gitlab"> {
  kind: "git-push";
  repository: GitRepository;
  branch: string;
  /** The branch head after the push. */
  commit: string;
  /** The branch head before the push; absent when the branch was created. */
  before?: string;
  /**
   * Paths added, modified or removed by the pushed commits. Undefined when the payload cannot tell
   * (truncated commit list, new branch, force push): the matcher treats that as "may have changed".
   */
  changedPaths?: string[];
  /** Author of the head commit (username, else name). */
  author?: string;
  /** Message of the head commit. */
  message?: string;
}

export interface GitTagEvent extends EventBase<"github" | "gitlab"> {
  kind: "git-tag";
  repository: GitRepository;
  tag: string;
  /** The commit the tag points to (not the annotated tag object). */
  commit: string;
}

export interface MergeEvent extends EventBase<"github" | "gitlab"> {
  kind: "merge";
  repository: GitRepository;
  /** The branch merged into. */
  baseBranch: string;
  /** The merge commit on the base branch. */
  commit: string;
  /** Pull request number (GitHub) or merge request iid (GitLab). */
  number: number;
  /** Who opened the pull request, when the payload names them. */
  author?: string;
  title?: string;
}

export interface ImagePushEvent extends EventBase<"registry"> {
  kind: "image-push";
  /** The registry as the pusher addressed it (`request.host`), e.g. `localhost:5000`. */
  registryHost: string;
  /** Repository path inside the registry, e.g. `shop/api`. */
  repository: string;
  /** Absent when the manifest was pushed by digest only. */
  tag?: string;
  digest: string;
  mediaType: string;
  actor?: string;
}

export interface ManualEvent extends EventBase<"api" | "cli" | "ui"> {
  kind: "manual";
  actor: string;
  args: Record<string, string>;
}

export type TriggerEvent = GitPushEvent | GitTagEvent | MergeEvent | ImagePushEvent | ManualEvent;

/** What a git host's webhook amounts to: an event to store, a ping to answer, or nothing to do. */
export type WebhookResult =
  | { kind: "event"; event: TriggerEvent }
  | { kind: "ping"; zen?: string }
  | { kind: "ignored"; reason: string };
