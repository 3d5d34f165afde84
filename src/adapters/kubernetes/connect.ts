import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../../core/errors.js";
import { KubeClient } from "./client.js";
import { loadCredentials } from "./kubeconfig.js";
import { KubeTarget } from "./target.js";

export interface ClusterRef {
  /** Path to a kubeconfig; default $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
}

/** Connects to the cluster an environment names; a wrong kubeconfig path or context is input error. */
export function connectTarget(
  cluster: ClusterRef | undefined,
  baseDir: string,
  environment: string,
): KubeTarget {
  const path = cluster?.kubeconfig ? resolve(baseDir, cluster.kubeconfig) : undefined;
  if (path && !existsSync(path)) {
    throw new InputError(`environment ${environment}: kubeconfig ${path} does not exist.`, {
      hint: "Fix environments.<name>.cluster.kubeconfig in the platform config.",
    });
  }
  try {
    return new KubeTarget(new KubeClient(loadCredentials({ kubeconfig: path, context: cluster?.context })));
  } catch (error) {
    if (error instanceof InputError) {
      throw new InputError(`environment ${environment}: ${error.message}`, {
        hint: error.hint ?? "Fix environments.<name>.cluster in the platform config.",
        cause: error,
      });
    }
    throw error;
  }
}
