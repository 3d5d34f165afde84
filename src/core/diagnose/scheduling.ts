import type { Pod } from "../kube/objects.js";
import { pickProblem, type Detector, type PodProblem } from "./finding.js";
import { podName, secondsSince, type Rollout } from "./rollout.js";
import { oneLine, podCount } from "./text.js";

/** The scheduler retries at once on a cluster change; a verdict this old is its considered answer. */
const SETTLE_SECONDS = 5;

interface Unschedulable extends PodProblem {
  message: string;
}

/** No node can take the pods (capacity, taints, affinity, volumes), as the scheduler says. */
export const unschedulable: Detector = (rollout) => {
  const picked = pickProblem(rollout.pods.flatMap((pod) => unschedulableProblem(rollout, pod)));
  if (!picked) return undefined;
  return {
    reason: "Unschedulable",
    certain: picked.certain,
    what: `${podCount(picked.pods.length, rollout.desired, "cannot be scheduled")}: ${picked.lead.message}`,
    action: schedulingAction(picked.lead.message),
    pods: picked.pods,
  };
};

function unschedulableProblem(rollout: Rollout, pod: Pod): Unschedulable[] {
  const condition = pod.status?.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
  );
  if (!condition) return [];
  const age = secondsSince(condition.lastTransitionTime, rollout.now);
  const message = firstSentence(oneLine(condition.message ?? "no node can run the pod"));
  return [
    {
      reason: "Unschedulable",
      key: message,
      pod: podName(pod),
      certain: age === undefined || age >= SETTLE_SECONDS,
      message,
    },
  ];
}

/**
 * `0/3 nodes are available: 3 Insufficient cpu.` — the scheduler goes on about DRA claims and
 * preemption (`no new claims to deallocate, preemption: …`), which says nothing a developer can act on.
 */
function firstSentence(message: string): string {
  const end = message.search(/\.\s/);
  return end === -1 ? message : message.slice(0, end + 1);
}

function schedulingAction(message: string): string {
  const resources = [...message.matchAll(/Insufficient (\S+?)[,.]?(?=\s|$)/g)].map((m) => m[1]);
  if (resources.length > 0) {
    const names = [...new Set(resources)].join(" and ");
    return `Lower the pods' ${names} requests or add nodes with more free ${names}.`;
  }
  if (/Too many pods/.test(message)) return "Add nodes or raise the nodes' pod limit.";
  if (/untolerated taint/.test(message))
    return "Add a toleration for the taint to the pod template, or use nodes without it.";
  if (/affinity|selector/.test(message))
    return "Fix the pods' node selector or affinity, or label nodes to match it.";
  if (/PersistentVolumeClaim|volume/i.test(message))
    return "Create or bind the PersistentVolumeClaims the pods use.";
  return "Change the pods' scheduling constraints or add nodes that meet them.";
}
