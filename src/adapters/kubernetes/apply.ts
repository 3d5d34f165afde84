import type { KubeObject } from "../../core/kube/objects.js";
import { objectRef } from "../../core/kube/objects.js";
import { applyOrder, kindTier, objectKey } from "../../core/kube/kinds.js";
import { ConflictError } from "../../core/errors.js";
import { isNotFound } from "./errors.js";
import type { KubeTarget } from "./target.js";

export const FIELD_MANAGER = "railyard";

export const CHANGE_ACTIONS = ["created", "configured", "unchanged", "pruned"] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export interface AppliedObject {
  ref: string;
  action: ChangeAction;
  /** What the API server returned (after apply or dry-run). */
  result: KubeObject;
  /** The live object before this apply, if any. */
  live?: KubeObject;
}

/** Reads an object; undefined when it does not exist. */
export async function readLive(target: KubeTarget, object: KubeObject): Promise<KubeObject | undefined> {
  try {
    return await target.client.request<KubeObject>("GET", await target.client.objectPath(object));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Server-side apply under one field manager. With `dryRun` nothing is persisted: the API server runs
 * defaulting, validation and admission, which is both the plan (diff) and the pre-flight check.
 * Objects of one tier go in parallel; tiers go in order. `live` (from a dry-run just
 * before) saves reading every object again.
 */
export async function serverSideApply(
  target: KubeTarget,
  objects: KubeObject[],
  options: {
    dryRun: boolean;
    force: boolean;
    live?: Map<string, KubeObject | undefined>;
    /** Objects a dry-run just found unchanged: applying them again would change nothing. */
    unchanged?: Map<string, KubeObject>;
  },
): Promise<AppliedObject[]> {
  const results: AppliedObject[] = [];
  // A dry-run changes nothing, so order does not matter: check every object at once.
  const groups = options.dryRun ? [applyOrder(objects)] : tierGroups(objects);
  for (const group of groups) {
    const applied = group.map((object) => {
      const same = options.dryRun ? undefined : options.unchanged?.get(objectKey(object));
      return same
        ? { ref: objectRef(object), action: "unchanged" as const, result: same, live: same }
        : applyOne(target, object, options);
    });
    results.push(...(await Promise.all(applied)));
  }
  return results;
}

async function applyOne(
  target: KubeTarget,
  object: KubeObject,
  options: { dryRun: boolean; force: boolean; live?: Map<string, KubeObject | undefined> },
): Promise<AppliedObject> {
  const ref = objectRef(object);
  // The read runs alongside a dry-run (which changes nothing); a real apply uses the dry-run's reads.
  const reading = options.live?.has(objectKey(object))
    ? Promise.resolve(options.live.get(objectKey(object)))
    : target.call(`read ${ref}`, () => readLive(target, object));
  if (!options.dryRun) await reading;
  const applying = target.call(`${options.dryRun ? "check (dry-run) " : "apply "}${ref}`, async () => {
    try {
      return await target.client.request<KubeObject>("PATCH", await target.client.objectPath(object), {
        query: {
          fieldManager: FIELD_MANAGER,
          force: options.force || undefined,
          dryRun: options.dryRun ? "All" : undefined,
        },
        body: object,
        contentType: "application/apply-patch+yaml",
      });
    } catch (error) {
      if ((error as { code?: number }).code === 409) {
        throw new ConflictError(
          `${ref}: fields Railyard sets are owned by another field manager (someone changed them with kubectl or another tool).`,
          {
            hint: "Re-run with --force-conflicts to take them over, or remove the change made outside Railyard.",
            cause: error,
          },
        );
      }
      throw error;
    }
  });
  const [live, result] = await Promise.all([reading, applying]);
  const unchanged = options.dryRun
    ? live !== undefined && sameContent(live, result)
    : live?.metadata.resourceVersion === result.metadata.resourceVersion;
  const action: ChangeAction = !live ? "created" : unchanged ? "unchanged" : "configured";
  return { ref, action, result, live };
}

/** Objects in apply order, grouped by tier (see kindTier): each group may be applied at once. */
function tierGroups(objects: KubeObject[]): KubeObject[][] {
  const groups: KubeObject[][] = [];
  let previous: number | undefined;
  for (const object of applyOrder(objects)) {
    const tier = kindTier(object.kind);
    if (tier !== previous) groups.push([]);
    groups.at(-1)!.push(object);
    previous = tier;
  }
  return groups;
}

export async function deleteObject(target: KubeTarget, object: KubeObject): Promise<boolean> {
  return target.call(`delete ${objectRef(object)}`, async () => {
    try {
      await target.client.request("DELETE", await target.client.objectPath(object), {
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  });
}

/** Compares two versions of an object ignoring the fields the server maintains. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));
}

/** The object without server-maintained noise, as shown in diffs. */
export function comparable(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  const {
    managedFields: _m,
    resourceVersion: _r,
    uid: _u,
    creationTimestamp: _c,
    generation: _g,
    ...metadata
  } = object.metadata;
  return sortKeys({ ...rest, metadata }) as KubeObject;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
