/**
 * Pipelines: what an app's delivery looks like (stages in a graph) and the closed vocabularies of an
 * execution's life. Definitions come from the app file, a platform template or the default; the
 * engine (`engine.ts`) only ever sees a resolved `PipelineDefinition`.
 */

export const STAGE_KINDS = ["deploy", "approval", "check", "patch", "rollback", "wait", "webhook"] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

interface StageBase {
  /** Unique within the pipeline; other stages name it in `dependsOn`. */
  id: string;
  kind: StageKind;
  /** Stages that must have succeeded (or been skipped) first; none = starts at once. */
  dependsOn: string[];
}

/** Deploys the app to an environment with the deploy core: wait, diagnosis, automatic rollback. */
export interface DeployStage extends StageBase {
  kind: "deploy";
  environment: string;
  timeoutMs?: number;
  /** Roll back automatically when the rollout fails (default true). */
  rollback?: boolean;
}

/** A person decides. Who may approve: the `approve:<environment>` role (or admin). */
export interface ApprovalStage extends StageBase {
  kind: "approval";
  /** The environment whose approvers decide; defaults to that of the next deploy stage. */
  environment?: string;
  message?: string;
  links?: { title: string; url: string }[];
  /** No decision within this time rejects the stage. */
  timeoutMs: number;
  /** Refuse an approval from the author of the change (trigger.author). */
  forbidAuthor?: boolean;
}

/** A condition over the trigger and the execution context, in the safe expression language. */
export interface CheckStage extends StageBase {
  kind: "check";
  condition: string;
}

/** Sets the image of one workload's container in an environment (the quick dev-namespace flow). */
export interface PatchStage extends StageBase {
  kind: "patch";
  environment: string;
  /** Deployment name. */
  workload: string;
  container?: string;
  /** Image reference; `{{ }}` templates over the execution's args. */
  image: string;
}

/** Rolls an environment back to its last good revision (or `to`). */
export interface RollbackStage extends StageBase {
  kind: "rollback";
  environment: string;
  to?: number;
}

export interface WaitStage extends StageBase {
  kind: "wait";
  durationMs: number;
}

/** Notifies a URL (POST, JSON body describing the execution); scheme and host must be allow-listed. */
export interface WebhookStage extends StageBase {
  kind: "webhook";
  url: string;
}

export type StageDefinition =
  DeployStage | ApprovalStage | CheckStage | PatchStage | RollbackStage | WaitStage | WebhookStage;

/** What starts a pipeline, besides a manual run (always allowed to those who may deploy). */
export interface TriggerFilter {
  git?: {
    /** Branch globs (`main`, `release/*`); a push to another branch does not start the pipeline. */
    branches?: string[];
    /** Tags: a semver range (`>=1.0.0`) or a glob (`v*`). */
    tags?: string;
    /** Only when a changed path matches one of these globs (default: the app file and its manifests). */
    paths?: string[];
    /** Start on merged pull/merge requests into these branches. */
    merges?: string[];
  };
  image?: {
    /** Repository path in the registry, e.g. `shop/api`. */
    repository: string;
    /** Tags: a semver range or a glob; default any tag. */
    tags?: string;
  };
}

export interface PipelineDefinition {
  name: string;
  /** Where it came from: `app`, `template:<name>` or `default`. */
  source: string;
  triggers: TriggerFilter[];
  stages: StageDefinition[];
  /** A newer execution of this pipeline replaces older ones still queued behind a running one. */
  supersedeQueued?: boolean;
}

/** Execution status, worst-last. */
export const EXECUTION_STATUSES = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "superseded",
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const FINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "succeeded",
  "failed",
  "cancelled",
  "superseded",
];

export const STAGE_STATUSES = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];
export const FINAL_STAGE_STATUSES: readonly StageStatus[] = ["succeeded", "failed", "skipped", "cancelled"];
