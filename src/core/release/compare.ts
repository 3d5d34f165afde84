import { isDeepStrictEqual } from "node:util";
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import { objectKey } from "../kube/kinds.js";
import type { KubeObject } from "../kube/objects.js";
import { redactSecretValues } from "../secrets/redact.js";
import type { ObjectChange, ObjectComparison, ReleaseRecord, RevisionComparison } from "./types.js";

export {
  OBJECT_CHANGES,
  type ObjectChange,
  type ObjectComparison,
  type RevisionComparison,
} from "./types.js";

/**
 * An object as YAML, keys in the order they were stored. Records hold no Secret values; they are
 * redacted again here so that nothing shown can ever carry one. Long strings are not folded.
 */
export function objectYaml(object: KubeObject): string {
  return stringify(redactSecretValues(object), { lineWidth: 0 });
}

/** A revision's objects as one multi-document YAML text. */
export function manifestText(objects: KubeObject[]): string {
  return objects.map(objectYaml).join("---\n");
}

/**
 * Compares two revisions object by object. Objects are matched by API group, kind, namespace and
 * name (an object whose apiVersion moved within its group, e.g. autoscaling/v1 to v2, is the same
 * object in the cluster); the second revision's objects come first in their order, then the ones it
 * removed.
 */
export function compareRevisions(from: ReleaseRecord, to: ReleaseRecord): RevisionComparison {
  const before = new Map(from.objects.map((o) => [objectKey(o), o]));
  const after = new Map(to.objects.map((o) => [objectKey(o), o]));
  const header = (revision: number) => `revision ${revision}`;
  const compare = (old: KubeObject | undefined, next: KubeObject | undefined): ObjectComparison => {
    const object = (next ?? old)!;
    const change: ObjectChange = !old
      ? "added"
      : !next
        ? "removed"
        : isDeepStrictEqual(redactSecretValues(old), redactSecretValues(next))
          ? "unchanged"
          : "changed";
    const diff =
      change === "unchanged"
        ? ""
        : createTwoFilesPatch(
            header(from.revision),
            header(to.revision),
            old ? objectYaml(old) : "",
            next ? objectYaml(next) : "",
            undefined,
            undefined,
            { context: 3 },
          );
    return {
      kind: object.kind,
      name: object.metadata.name ?? "",
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      change,
      diff,
    };
  };
  return {
    from: from.revision,
    to: to.revision,
    objects: [
      ...[...after].map(([key, next]) => compare(before.get(key), next)),
      ...[...before].filter(([key]) => !after.has(key)).map(([, old]) => compare(old, undefined)),
    ],
  };
}
