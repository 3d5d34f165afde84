import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  PrerequisiteError,
  RolloutError,
  UpstreamError,
} from "../core/errors.js";

/** The CLI's exit codes (DESIGN.md): one mapping from error kinds, used by every command. */
export const EXIT = { ok: 0, invalidInput: 1, rolloutFailed: 2, unreachable: 3 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof RolloutError) return EXIT.rolloutFailed;
  if (error instanceof UpstreamError) return EXIT.unreachable;
  if (
    error instanceof InputError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof NotAllowedError ||
    error instanceof PrerequisiteError
  ) {
    return EXIT.invalidInput;
  }
  return EXIT.invalidInput;
}
