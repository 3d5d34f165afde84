import { pickProblem, type Detector, type PodProblem } from "./finding.js";
import { containersOf, podName } from "./rollout.js";
import { clip, oneLine, podCount } from "./text.js";

/** Waiting reasons of a normal start, or ones the specific detectors already explain. */
const EXPLAINED = new Set([
  "ContainerCreating",
  "PodInitializing",
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CrashLoopBackOff",
]);

interface Stuck extends PodProblem {
  detail: string;
}

/**
 * A container waits for a reason no detector knows (RunContainerError, a CreateContainerConfigError
 * that is not a missing object, …): report it verbatim, not certain, rather than say nothing.
 */
export const unknownWaiting: Detector = (rollout) => {
  const stuck = containersOf(rollout.pods).flatMap(({ pod, status }): Stuck[] => {
    const waiting = status.state?.waiting;
    if (!waiting?.reason || EXPLAINED.has(waiting.reason)) return [];
    const message = waiting.message ? `: ${clip(oneLine(waiting.message), 240)}` : "";
    const detail = `container ${status.name} is waiting with ${waiting.reason}${message}`;
    return [{ reason: "Unknown", key: detail, pod: podName(pod), certain: false, detail }];
  });
  const picked = pickProblem(stuck);
  if (!picked) return undefined;
  return {
    reason: "Unknown",
    certain: false,
    what: `${podCount(picked.pods.length, rollout.desired, "cannot start")}: ${picked.lead.detail}`,
    action: `Look at the pod's events for the cause (kubectl describe pod -n ${rollout.namespace} ${picked.lead.pod}).`,
    pods: picked.pods,
  };
};
