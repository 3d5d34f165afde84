import { parseImageReference } from "../images/reference.js";
import type { DiagnosisReason } from "./diagnose.js";
import { pickProblem, type Detector, type PodProblem } from "./finding.js";
import {
  containersOf,
  eventsAbout,
  imageOf,
  podName,
  secondsSince,
  type ContainerOf,
  type Rollout,
} from "./rollout.js";
import { clip, oneLine, podCount } from "./text.js";

const PULL_REASONS = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName"]);
/** containerd says `not found`, registries `manifest unknown` / `name unknown`, CRI `code = NotFound`. */
const NOT_FOUND = /not ?found|manifest unknown|name unknown/i;
const AUTH = /unauthori[sz]ed|\b40[13]\b|denied|authoriz/i;
/** A first pull may just be slow to fail over; after this long without a retry it is the answer. */
const FIRST_PULL_GRACE_SECONDS = 30;
/** Wrappers around the registry's answer, stripped in this order so the answer itself is quoted. */
const PULL_ERROR_WRAPPERS = [
  /^Failed to pull image( "[^"]*")?: /,
  /^Back-off pulling image "[^"]*"(: )?/,
  /^ErrImagePull: /,
  /^rpc error: code = \w+ desc = /,
  /^failed to pull and unpack image "[^"]*": /,
  /^failed to resolve reference "[^"]*": /,
];

interface PullProblem extends PodProblem {
  image: string;
  waiting: string;
  detail: string | undefined;
}

/**
 * The image cannot be pulled. ImageNotFound when the registry says it does not exist, otherwise
 * ImagePullFailed (credentials, an unreachable registry, an invalid name). Certain once a retry has
 * failed (ImagePullBackOff) or the first failure is older than the grace period.
 */
export const imagePull: Detector = (rollout) => {
  const problems = containersOf(rollout.pods).flatMap((c) => {
    const problem = pullProblem(rollout, c);
    return problem ? [problem] : [];
  });
  const picked = pickProblem(problems);
  if (!picked) return undefined;
  const { lead } = picked;
  const cannotStart = podCount(picked.pods.length, rollout.desired, "cannot start");
  return {
    reason: lead.reason,
    certain: picked.certain,
    what: `${cannotStart}: ${describePull(lead)} (${lead.waiting})`,
    action: pullAction(lead),
    pods: picked.pods,
  };
};

function pullProblem(rollout: Rollout, container: ContainerOf): PullProblem | undefined {
  const waiting = container.status.state?.waiting?.reason;
  if (!waiting || !PULL_REASONS.has(waiting)) return undefined;
  const pod = podName(container.pod);
  const image = imageOf(container) ?? "?";
  const messages = pullMessages(rollout, container);
  const reason: DiagnosisReason =
    waiting !== "InvalidImageName" && messages.some((m) => NOT_FOUND.test(m))
      ? "ImageNotFound"
      : "ImagePullFailed";
  const certain =
    waiting !== "ErrImagePull" ||
    backOffSeen(rollout, pod) ||
    (secondsSince(container.pod.metadata.creationTimestamp, rollout.now) ?? 0) >= FIRST_PULL_GRACE_SECONDS;
  const detail = messages.map(pullError).find((m) => m !== "");
  return { reason, key: `${reason} ${image}`, pod, certain, image, waiting, detail };
}

/** The waiting message, then the kubelet's `Failed to pull image` events (the back-off message may lack the cause). */
function pullMessages(rollout: Rollout, { pod, status }: ContainerOf): string[] {
  const events = eventsAbout(rollout, "Pod", podName(pod))
    .filter((e) => e.reason === "Failed" && e.message?.startsWith("Failed to pull image"))
    .map((e) => e.message ?? "");
  return [status.state?.waiting?.message ?? "", ...events].map(oneLine).filter((m) => m !== "");
}

function backOffSeen(rollout: Rollout, pod: string): boolean {
  return eventsAbout(rollout, "Pod", pod).some(
    (e) =>
      e.message === "Error: ImagePullBackOff" ||
      (e.reason === "BackOff" && /^Back-off pulling image/.test(e.message ?? "")),
  );
}

function pullError(message: string): string {
  return PULL_ERROR_WRAPPERS.reduce((text, wrapper) => text.replace(wrapper, ""), message).trim();
}

function describePull(problem: PullProblem): string {
  if (problem.reason === "ImageNotFound") return `image ${problem.image} not found`;
  if (problem.waiting === "InvalidImageName") return `image name "${problem.image}" is invalid`;
  return problem.detail
    ? `image ${problem.image} cannot be pulled: ${clip(problem.detail, 240)}`
    : `image ${problem.image} cannot be pulled`;
}

function pullAction(problem: PullProblem): string {
  if (problem.reason === "ImageNotFound") return "Push the image or fix the tag.";
  if (problem.waiting === "InvalidImageName") return "Fix the image reference in the pod template.";
  const parsed = parseImageReference(problem.image);
  const registry = "registry" in parsed ? parsed.registry : "the registry";
  return problem.detail && AUTH.test(problem.detail)
    ? `Give the pods credentials for ${registry} (imagePullSecrets on the pod or its service account).`
    : `Check that ${registry} is reachable from the cluster's nodes and serves ${problem.image}.`;
}
