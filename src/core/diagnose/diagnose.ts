/**
 * Turns the state of a Deployment rollout into one sentence a developer understands, what to do,
 * and whether the cause is certain, so a deploy can stop waiting before the progress deadline.
 * Pure: the caller gathers the objects, events and logs.
 */
import { objectRef, type Deployment, type KubeEvent, type Pod, type ReplicaSet } from "../kube/objects.js";
import { configMissing } from "./config.js";
import { containerFailed, crashLoop } from "./crash.js";
import { creationFailure } from "./creation.js";
import { afterDeadline, deadlineFinding, pastDeadline } from "./deadline.js";
import type { Detector, Finding } from "./finding.js";
import { imagePull } from "./image.js";
import { readinessFailing } from "./readiness.js";
import { observeRollout, type Rollout } from "./rollout.js";
import { unschedulable } from "./scheduling.js";
import { sentence } from "./text.js";
import { unknownWaiting } from "./waiting.js";

export const DIAGNOSIS_REASONS = [
  "ImageNotFound",
  "ImagePullFailed",
  "CrashLoop",
  "ContainerFailed",
  "ReadinessFailing",
  "Unschedulable",
  "QuotaExceeded",
  "AdmissionRejected",
  "ConfigMissing",
  "ProgressDeadlineExceeded",
  "Unknown",
] as const;
export type DiagnosisReason = (typeof DIAGNOSIS_REASONS)[number];

export interface DiagnosisInput {
  /** The current live Deployment. */
  deployment: Deployment;
  /** The ReplicaSets it owns; only the newest (current revision) matters. */
  replicaSets: ReplicaSet[];
  /** Pods of the Deployment, of every ReplicaSet. */
  pods: Pod[];
  /** Events in the namespace about the Deployment, its ReplicaSets and pods. */
  events: KubeEvent[];
  /** Last log lines keyed `podName/containerName`, when the caller fetched them. */
  logs?: Record<string, string>;
  now: Date;
}

export interface Diagnosis {
  reason: DiagnosisReason;
  /** True when waiting longer cannot fix it. */
  certain: boolean;
  /** One sentence naming the Deployment and the cause. */
  summary: string;
  /** What to do about it. */
  action: string;
  /** The affected pods of the newest ReplicaSet. */
  pods?: string[];
  /** Last log lines of a crashing container, when logs were given. */
  logTail?: string;
}

/**
 * Worst cause first, the order in which one explains the others away: pods that cannot be created,
 * then containers that cannot start, then ones that crash, then pods nowhere to run, then not ready.
 */
const DETECTORS: readonly Detector[] = [
  creationFailure,
  configMissing,
  imagePull,
  containerFailed,
  crashLoop,
  unschedulable,
  readinessFailing,
  unknownWaiting,
];

/** The diagnosis of a rollout, or undefined while nothing is wrong (it is still progressing normally). */
export function diagnose(input: DiagnosisInput): Diagnosis | undefined {
  const rollout = observeRollout(input);
  const cause = firstFinding(rollout);
  if (pastDeadline(rollout.deployment)) {
    return toDiagnosis(rollout, cause ? afterDeadline(rollout, cause) : deadlineFinding(rollout));
  }
  return cause && toDiagnosis(rollout, cause);
}

function firstFinding(rollout: Rollout): Finding | undefined {
  for (const detect of DETECTORS) {
    const finding = detect(rollout);
    if (finding) return finding;
  }
  return undefined;
}

function toDiagnosis(rollout: Rollout, finding: Finding): Diagnosis {
  return {
    reason: finding.reason,
    certain: finding.certain,
    summary: sentence(`${objectRef(rollout.deployment)}: ${finding.what}`),
    action: finding.action,
    ...(finding.pods.length > 0 ? { pods: [...finding.pods].sort() } : {}),
    ...(finding.logTail ? { logTail: finding.logTail } : {}),
  };
}
