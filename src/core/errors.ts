/**
 * Errors named by what went wrong, each carrying what to do about it. They are mapped once to a CLI
 * exit code (src/cli/exit-codes.ts) and, later, once to an HTTP status.
 */

import type { ReleaseRecord } from "./release/types.js";

export abstract class RailyardError extends Error {
  /** One sentence telling the reader how to get past this error. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The user's input (a file, a flag, an argument) is wrong; nothing was changed. */
export class InputError extends RailyardError {}

/** Something the user named does not exist. */
export class NotFoundError extends RailyardError {}

/** The request collides with current state (already running, already exists, locked). */
export class ConflictError extends RailyardError {}

/** The caller may not do this. */
export class NotAllowedError extends RailyardError {}

/** A server, cluster or tool Railyard depends on cannot be reached or failed. */
export class UpstreamError extends RailyardError {}

/** A required local tool (Go, a Debian package) is missing or too old. */
export class PrerequisiteError extends RailyardError {}

/** What an app runs in an environment after a failed rollout: the rollback's revision, or the failed one. */
export type ServingRevision = Pick<ReleaseRecord, "revision" | "images" | "args">;

/** A rollout did not complete. */
export class RolloutError extends RailyardError {
  /** What serves now, when known: the revision rolled back to, or the failed one left applied. */
  readonly serving: ServingRevision | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown; serving?: ServingRevision } = {}) {
    super(message, options);
    this.serving = options.serving;
  }
}

/**
 * The work was stopped from outside (the server is shutting down) before it finished. Nothing is
 * recorded as failed: a durable execution is taken up again where it stood.
 */
export class StoppedError extends RailyardError {}

/** Throws StoppedError once the signal has been aborted. */
export function throwIfStopped(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new StoppedError(`stopped while ${what}`, {
      hint: "It continues where it stood when the server runs again.",
    });
  }
}

/** Resolves when `waiting` settles or the signal aborts, whichever comes first. */
export function untilStopped(waiting: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal)
    return waiting.then(
      () => {},
      () => {},
    );
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", done, { once: true });
    waiting.then(done, done);
  });
}

export function describeError(error: unknown): string {
  if (error instanceof RailyardError) {
    return error.hint ? `${error.message}\n  ${error.hint}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
