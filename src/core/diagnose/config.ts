import type { Detector, PodProblem } from "./finding.js";
import { pickProblem } from "./finding.js";
import { containersOf, podName, type ContainerOf } from "./rollout.js";
import { oneLine, podCount } from "./text.js";

/** Kubelet: `configmap "api-config" not found`, `secret "api-secrets" not found`. */
const MISSING_OBJECT = /\b(configmap|secret) "([^"]+)" not found/i;
/** Kubelet: `couldn't find key DATABASE_URL in Secret shop/api-secrets`. */
const MISSING_KEY = /couldn't find key (\S+) in (ConfigMap|Secret) (\S+)/;

interface ConfigProblem extends PodProblem {
  message: string;
  action: string;
}

/**
 * A container refers to a ConfigMap, Secret or key that does not exist. Certain: nothing in the
 * rollout will create it. Other CreateContainerConfigError messages (runAsNonRoot, a slow secret
 * cache) are left to the generic waiting detector, since some of them clear up on their own.
 */
export const configMissing: Detector = (rollout) => {
  const problems = containersOf(rollout.pods).flatMap((c) => {
    const problem = configProblem(c, rollout.namespace);
    return problem ? [problem] : [];
  });
  const picked = pickProblem(problems);
  if (!picked) return undefined;
  return {
    reason: "ConfigMissing",
    certain: true,
    what: `${podCount(picked.pods.length, rollout.desired, "cannot start")}: ${picked.lead.message} (CreateContainerConfigError)`,
    action: picked.lead.action,
    pods: picked.pods,
  };
};

function configProblem({ pod, status }: ContainerOf, namespace: string): ConfigProblem | undefined {
  const waiting = status.state?.waiting;
  if (waiting?.reason !== "CreateContainerConfigError" || !waiting.message) return undefined;
  const message = oneLine(waiting.message);
  const action = configAction(message, namespace);
  if (!action) return undefined;
  return { reason: "ConfigMissing", key: message, pod: podName(pod), certain: true, message, action };
}

function configAction(message: string, namespace: string): string | undefined {
  const object = MISSING_OBJECT.exec(message);
  if (object) {
    const kind = object[1]?.toLowerCase() === "secret" ? "Secret" : "ConfigMap";
    return `Create ${kind} "${object[2]}" in namespace ${namespace}, or fix the reference in the pod template.`;
  }
  const key = MISSING_KEY.exec(message);
  if (key) return `Add key ${key[1]} to ${key[2]} ${key[3]}, or fix the reference in the pod template.`;
  return undefined;
}
