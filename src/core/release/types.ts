/**
 * The shapes of release records and revision comparisons, without the code that makes them: the
 * web UI reads these types too, so this module imports nothing that runs only in Node.
 */
import type { KubeObject } from "../kube/objects.js";

export const RELEASE_STATUSES = ["deploying", "succeeded", "failed"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export interface ReleaseImage {
  container: string;
  /** The reference as rendered from the app file, e.g. `registry.local/api:1.4`. */
  reference: string;
  /** The digest it resolved to when the image policy pins digests. */
  digest?: string;
  /** What the workload runs: the pinned reference, or the tag when not pinned. */
  deployed: string;
}

/** One deploy of an app to an environment: revision N, kept in the target cluster as a Secret. */
export interface ReleaseRecord {
  app: string;
  environment: string;
  namespace: string;
  revision: number;
  status: ReleaseStatus;
  /** A rollback re-applies an earlier revision's objects as a new revision. */
  rollbackOf?: number;
  /** For a failed deploy that was rolled back automatically: the revision that rollback created. */
  rolledBackBy?: number;
  /** Rendered objects; Secret values are never stored (only their keys). */
  objects: KubeObject[];
  args: Record<string, string>;
  images: ReleaseImage[];
  source: { commit?: string; dirty?: boolean; file?: string };
  actor: string;
  startedAt: string;
  finishedAt?: string;
  diagnosis?: string;
  message?: string;
  /** The pipeline stage that made this revision: a stage run twice finds it instead of deploying again. */
  origin?: ReleaseOrigin;
}

export interface ReleaseOrigin {
  execution: string;
  stage: string;
}

export const OBJECT_CHANGES = ["added", "removed", "changed", "unchanged"] as const;
export type ObjectChange = (typeof OBJECT_CHANGES)[number];

/** One object of two revisions: how it changed from the first to the second, as a unified diff. */
export interface ObjectComparison {
  kind: string;
  name: string;
  namespace?: string;
  change: ObjectChange;
  /** A unified diff of the object's YAML; empty when it did not change. */
  diff: string;
}

export interface RevisionComparison {
  from: number;
  to: number;
  objects: ObjectComparison[];
}
