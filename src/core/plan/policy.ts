import type { KubeObject } from "../kube/objects.js";
import { objectRef } from "../kube/objects.js";
import { isClusterScoped } from "../kube/kinds.js";

export interface EnvironmentPolicy {
  name: string;
  namespace: string;
  allowedNamespaces?: string[];
  allowedKinds?: string[];
}

/** Every object outside the environment's allowed namespaces or kinds, named; empty when all may be applied. */
export function policyViolations(objects: KubeObject[], env: EnvironmentPolicy): string[] {
  const namespaces = env.allowedNamespaces ?? [env.namespace];
  const problems: string[] = [];
  for (const object of objects) {
    if (env.allowedKinds && !env.allowedKinds.includes(object.kind)) {
      problems.push(
        `${objectRef(object)}: kind ${object.kind} is not allowed in environment ${env.name} (allowed: ${env.allowedKinds.join(", ")})`,
      );
      continue;
    }
    if (isClusterScoped(object.kind)) {
      // Cluster-scoped objects reach beyond the environment: only when the platform team lists the kind.
      if (!env.allowedKinds) {
        problems.push(
          `${objectRef(object)}: cluster-scoped kind ${object.kind} is not allowed in environment ${env.name} unless listed in allowedKinds`,
        );
      }
      continue;
    }
    const ns = object.metadata.namespace ?? env.namespace;
    if (!namespaces.includes(ns)) {
      problems.push(
        `${objectRef(object)}: namespace ${ns} is not allowed in environment ${env.name} (allowed: ${namespaces.join(", ")})`,
      );
    }
  }
  return [...new Set(problems)];
}
