import {
  type ExecutionStatus,
  FINAL_STAGE_STATUSES,
  type PipelineDefinition,
  type StageStatus,
} from "./types.js";

export interface ExecutionProgress {
  /** Pending stages whose dependencies all succeeded (or were skipped): start them now. */
  runnable: string[];
  /** Pending stages that can never run, because a dependency failed or was cancelled. */
  unreachable: { id: string; because: string }[];
  /** The execution's status once every stage is final; undefined while work remains. */
  outcome?: Extract<ExecutionStatus, "succeeded" | "failed" | "cancelled">;
}

/**
 * Where an execution stands, from its stages' statuses alone: the state machine behind
 * `advance(executionId)`, kept pure so every transition is tested without a store or a cluster.
 */
export function executionProgress(
  definition: PipelineDefinition,
  statuses: ReadonlyMap<string, StageStatus>,
): ExecutionProgress {
  const runnable: string[] = [];
  const unreachable: ExecutionProgress["unreachable"] = [];
  const status = (id: string) => statuses.get(id) ?? "pending";
  // Unreachability cascades along the graph; the definition is acyclic, so a few passes settle it.
  const settled = new Map(statuses);
  let changed = true;
  while (changed) {
    changed = false;
    for (const stage of definition.stages) {
      if ((settled.get(stage.id) ?? "pending") !== "pending") continue;
      const blocker = stage.dependsOn.find((dep) => ["failed", "cancelled"].includes(settled.get(dep) ?? ""));
      if (blocker) {
        settled.set(stage.id, "cancelled");
        unreachable.push({ id: stage.id, because: `${blocker} ${settled.get(blocker)}` });
        changed = true;
      }
    }
  }
  for (const stage of definition.stages) {
    if ((settled.get(stage.id) ?? "pending") !== "pending") continue;
    if (stage.dependsOn.every((dep) => ["succeeded", "skipped"].includes(status(dep))))
      runnable.push(stage.id);
  }
  const all = definition.stages.map((s) => settled.get(s.id) ?? "pending");
  if (runnable.length > 0 || !all.every((s) => FINAL_STAGE_STATUSES.includes(s))) {
    return { runnable, unreachable };
  }
  const outcome = all.includes("failed") ? "failed" : all.includes("cancelled") ? "cancelled" : "succeeded";
  return { runnable, unreachable, outcome };
}
