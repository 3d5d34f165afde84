import { RolloutError, UpstreamError } from "../core/errors.js";

/** The CLI's exit codes (DESIGN.md): one mapping from error kinds, used by every command. */
export const EXIT = { ok: 0, invalidInput: 1, rolloutFailed: 2, unreachable: 3 } as const;

/**
 * A rollout that failed is 2, a cluster, registry or tool that cannot be reached is 3; everything
 * else (invalid input, not found, conflicts, missing prerequisites, unexpected errors) is 1, and
 * nothing was changed.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof RolloutError) return EXIT.rolloutFailed;
  if (error instanceof UpstreamError) return EXIT.unreachable;
  return EXIT.invalidInput;
}
