/** Shapes of the server's answers the UI reads (see /api/openapi.json). */
import type { PodView, ResourceTree } from "../../../src/core/health/tree.js";
import type { ExecutionStatus, StageDefinition, StageStatus } from "../../../src/core/pipeline/types.js";
import type { ReleaseRecord, RevisionComparison } from "../../../src/core/release/types.js";

export type { ExecutionStatus, PodView, ResourceTree, StageStatus };

/** A revision as the history lists it: the record without its objects. */
export type Revision = Omit<ReleaseRecord, "objects">;
export type RevisionDiff = RevisionComparison;

export interface Whoami {
  name: string;
  roles: string[];
}

export interface Environment {
  name: string;
  namespace: string;
  domain: string | null;
}

export interface DeployedHere {
  revision: number | null;
  status: string;
  images: { container: string; deployed: string; digest?: string }[];
  version: string | null;
  message: string | null;
  execution: string | null;
  actor: string;
  at: string;
}

export interface AppSummary {
  name: string;
  repository: string;
  path: string;
  branch: string;
  environments: Record<string, DeployedHere>;
  latestExecution: {
    id: string;
    status: ExecutionStatus;
    message: string | null;
    pipeline: string;
    at: string;
  } | null;
}

export interface Page<T, C = string | number> {
  items: T[];
  next: C | null;
}

export type StageView = StageDefinition & {
  status: StageStatus;
  message: string | null;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  output: Record<string, unknown>;
};

export interface Execution {
  id: string;
  seq: number;
  app: string;
  pipeline: string;
  status: ExecutionStatus;
  message: string | null;
  actor: string;
  /** What started it (a push, a tag, an image, a person), as the trigger said; untrusted text. */
  trigger: Record<string, unknown> & {
    kind?: string;
    source?: string;
    message?: string;
    author?: string;
    commit?: string;
  };
  args: Record<string, string>;
  /** Where the pipeline was read from: the app file in its repository at a commit. */
  source: { repository?: string; url?: string; commit?: string; path?: string };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  stages?: StageView[];
}

export interface PipelineInfo {
  commit: string;
  pipeline: { name: string; stages: StageDefinition[] };
}

export interface RevisionManifest extends Revision {
  manifest: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  source: string;
  action: string;
  outcome: string;
  app: string | null;
  environment: string | null;
  execution_id: string | null;
  revision_before: number | null;
  revision_after: number | null;
  detail: Record<string, unknown>;
}
