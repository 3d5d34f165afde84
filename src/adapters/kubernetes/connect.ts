import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { InputError } from "../../core/errors.js";

export interface ClusterRef {
  /** Path to a kubeconfig; default $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
}

/** Loads the kubeconfig an environment names and selects its context; a wrong path or context is input error. */
export function loadKubeConfig(
  cluster: ClusterRef | undefined,
  baseDir: string,
  environment: string,
): KubeConfig {
  const kc = new KubeConfig();
  if (cluster?.kubeconfig) {
    const path = resolve(baseDir, cluster.kubeconfig);
    if (!existsSync(path)) {
      throw new InputError(`environment ${environment}: kubeconfig ${path} does not exist.`, {
        hint: "Fix environments.<name>.cluster.kubeconfig in the platform config.",
      });
    }
    kc.loadFromFile(path);
  } else {
    kc.loadFromDefault();
  }
  if (cluster?.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(cluster.context)) {
      throw new InputError(
        `environment ${environment}: context "${cluster.context}" is not in the kubeconfig (contexts: ${names.join(", ") || "none"}).`,
        { hint: "Fix environments.<name>.cluster.context in the platform config." },
      );
    }
    kc.setCurrentContext(cluster.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new InputError(`environment ${environment}: the kubeconfig has no current cluster.`, {
      hint: "Set cluster.kubeconfig and cluster.context for the environment, or KUBECONFIG.",
    });
  }
  return kc;
}
