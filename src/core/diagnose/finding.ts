import type { DiagnosisReason } from "./diagnose.js";
import type { Rollout } from "./rollout.js";

/** One cause a detector recognized; diagnose() turns the first one into the Diagnosis. */
export interface Finding {
  reason: DiagnosisReason;
  certain: boolean;
  /** What is wrong, written to follow `Deployment ns/name: `. */
  what: string;
  action: string;
  pods: string[];
  logTail?: string;
}

export type Detector = (rollout: Rollout) => Finding | undefined;

/** One pod's instance of a cause; problems with the same key are the same cause on several pods. */
export interface PodProblem {
  reason: DiagnosisReason;
  key: string;
  pod: string;
  certain: boolean;
}

export interface Picked<T extends PodProblem> {
  /** The problem whose wording speaks for the group. */
  lead: T;
  members: T[];
  pods: string[];
  certain: boolean;
}

/**
 * Picks the reason seen on the most pods (ties: the first seen), then the most common cause within it
 * as the wording. All pods with that reason count as affected, and one certain pod makes it certain:
 * waiting cannot fix that pod.
 */
export function pickProblem<T extends PodProblem>(problems: T[]): Picked<T> | undefined {
  const members = largest(problems, (p) => p.reason);
  const lead = largest(members, (p) => p.key)[0];
  if (!lead) return undefined;
  return {
    lead,
    members,
    pods: [...new Set(members.map((p) => p.pod))],
    certain: members.some((p) => p.certain),
  };
}

function largest<T>(items: T[], keyOf: (item: T) => string): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  let best: T[] = [];
  for (const group of groups.values()) if (group.length > best.length) best = group;
  return best;
}
