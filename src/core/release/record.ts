import { gunzipSync, gzipSync } from "node:zlib";
import type { KubeObject } from "../kube/objects.js";
import { redactSecretValues } from "../secrets/redact.js";

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

/** How an origin reads in a lock holder's name and in messages. */
export function originText(origin: ReleaseOrigin | undefined): string | undefined {
  return origin ? `execution ${origin.execution} stage ${origin.stage}` : undefined;
}

export function sameOrigin(a: ReleaseOrigin | undefined, b: ReleaseOrigin | undefined): boolean {
  return !!a && !!b && a.execution === b.execution && a.stage === b.stage;
}

export function encodeRecord(record: ReleaseRecord): string {
  const safe = { ...record, objects: record.objects.map(redactSecretValues) };
  return gzipSync(Buffer.from(JSON.stringify(safe))).toString("base64");
}

export function decodeRecord(encoded: string): ReleaseRecord {
  return JSON.parse(gunzipSync(Buffer.from(encoded, "base64")).toString("utf8")) as ReleaseRecord;
}

/** The newest revision that finished successfully, other than `except`. */
export function lastGoodRevision(records: ReleaseRecord[], except?: number): ReleaseRecord | undefined {
  return records
    .filter((r) => r.status === "succeeded" && r.revision !== except)
    .sort((a, b) => b.revision - a.revision)[0];
}

/** A new revision that re-applies `source`'s objects, args and images: what a rollback records. */
export function rollbackRecord(
  source: ReleaseRecord,
  next: { revision: number; message: string; actor: string; startedAt?: string },
): ReleaseRecord {
  return {
    ...source,
    revision: next.revision,
    status: "deploying",
    rollbackOf: source.revision,
    rolledBackBy: undefined,
    diagnosis: undefined,
    message: next.message,
    actor: next.actor,
    startedAt: next.startedAt ?? new Date().toISOString(),
    finishedAt: undefined,
  };
}
