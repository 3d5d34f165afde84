import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import { applyOrder, objectKey } from "../core/kube/kinds.js";
import type { KubeObject } from "../core/kube/objects.js";
import { objectRef } from "../core/kube/objects.js";
import { comparable, serverSideApply } from "../adapters/kubernetes/apply.js";
import { listReleases } from "../adapters/kubernetes/releases.js";
import { prepareDeploy, type DeployRequest } from "./deploy.js";

export interface ObjectDiff {
  ref: string;
  action: "created" | "configured" | "unchanged" | "pruned";
  /** A unified diff like `kubectl diff`; for Secrets only which keys change, never values. */
  text: string;
}

/** What a deploy would change, from a server-side dry-run against the live cluster. Writes nothing. */
export async function diff(request: Omit<DeployRequest, "reporter">): Promise<ObjectDiff[]> {
  const prepared = await prepareDeploy(request);
  const { target, rendered, env, envName, project } = prepared;
  const objects = applyOrder(rendered.objects);
  const planned = await serverSideApply(target, objects, {
    dryRun: true,
    force: request.forceConflicts ?? false,
  });
  const diffs: ObjectDiff[] = planned.map((p) => ({
    ref: p.ref,
    action: p.action,
    text:
      p.result.kind === "Secret"
        ? secretDiff(p.ref, p.live, p.result)
        : p.action === "unchanged"
          ? ""
          : unified(p.ref, p.live, p.result),
  }));
  const previous = (await listReleases(target, env.namespace, project.app.name, envName)).at(-1);
  const keep = new Set(objects.map(objectKey));
  for (const object of previous?.objects ?? []) {
    if (!keep.has(objectKey(object))) {
      diffs.push({
        ref: objectRef(object),
        action: "pruned",
        text: `${objectRef(object)} would be pruned\n`,
      });
    }
  }
  return diffs.map((d) => ({ ...d, text: prepared.scrub(d.text) }));
}

function unified(ref: string, live: KubeObject | undefined, next: KubeObject): string {
  const before = live ? stringify(comparable(live)) : "";
  const after = stringify(comparable(next));
  return createTwoFilesPatch(`live/${ref}`, `railyard/${ref}`, before, after, undefined, undefined, {
    context: 3,
  });
}

function secretDiff(ref: string, live: KubeObject | undefined, next: KubeObject): string {
  const before = (live?.data ?? {}) as Record<string, string>;
  const after = (next.data ?? {}) as Record<string, string>;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines = keys.map((key) => {
    const state = !(key in before)
      ? "added"
      : !(key in after)
        ? "removed"
        : before[key] === after[key]
          ? "unchanged"
          : "changed";
    return `  ${key}: ${state}`;
  });
  return `${ref} (values hidden)\n${lines.join("\n")}\n`;
}
