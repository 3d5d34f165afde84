import { gunzipSync, gzipSync } from "node:zlib";
import { redactSecretValues } from "../secrets/redact.js";
import type { ReleaseOrigin, ReleaseRecord } from "./types.js";

export {
  RELEASE_STATUSES,
  type ReleaseImage,
  type ReleaseOrigin,
  type ReleaseRecord,
  type ReleaseStatus,
} from "./types.js";

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
