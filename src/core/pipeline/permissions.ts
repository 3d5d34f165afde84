import type { PipelineDefinition, StageDefinition } from "./types.js";

const CHANGES = new Set(["deploy", "patch", "rollback"]);

function environmentOf(stage: StageDefinition): string | undefined {
  return CHANGES.has(stage.kind) ? (stage as { environment: string }).environment : undefined;
}

/**
 * The environments a pipeline changes without an approval stage before it: who starts the pipeline
 * must be allowed to deploy there. Environments behind an approval are guarded by its approvers.
 */
export function ungatedEnvironments(definition: PipelineDefinition): string[] {
  const byId = new Map(definition.stages.map((s) => [s.id, s]));
  const gated = (stage: StageDefinition, seen = new Set<string>()): boolean =>
    stage.dependsOn.some((id) => {
      if (seen.has(id)) return false;
      seen.add(id);
      const dep = byId.get(id);
      return !!dep && (dep.kind === "approval" || gated(dep, seen));
    });
  const environments = definition.stages
    .filter((s) => environmentOf(s) && !gated(s))
    .map((s) => environmentOf(s)!);
  return [...new Set(environments)];
}

/**
 * The environment whose approvers decide an approval stage: the one it names, else that of the first
 * stage after it that changes an environment.
 */
export function approvalEnvironment(definition: PipelineDefinition, stageId: string): string | undefined {
  const stage = definition.stages.find((s) => s.id === stageId);
  if (!stage || stage.kind !== "approval") return undefined;
  if (stage.environment) return stage.environment;
  const queue = [stageId];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const next of definition.stages.filter((s) => s.dependsOn.includes(current))) {
      if (seen.has(next.id)) continue;
      seen.add(next.id);
      const environment = environmentOf(next);
      if (environment) return environment;
      queue.push(next.id);
    }
  }
  return undefined;
}
