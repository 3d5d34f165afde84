import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  PrerequisiteError,
  RailyardError,
  RolloutError,
  StoppedError,
  UpstreamError,
} from "../../core/errors.js";

/** The caller did not prove who they are (no token, a wrong one, a forged signature). */
export class AuthenticationError extends RailyardError {}

/** The one mapping from Railyard's errors to HTTP statuses. */
export function httpStatus(error: unknown): number {
  if (error instanceof AuthenticationError) return 401;
  if (error instanceof NotAllowedError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof InputError) return 400;
  if (error instanceof RolloutError) return 422;
  if (error instanceof UpstreamError) return 502;
  if (error instanceof PrerequisiteError || error instanceof StoppedError) return 503;
  const status = (error as { statusCode?: number }).statusCode;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof RailyardError) {
    return {
      error: { code: error.name, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
    };
  }
  const status = httpStatus(error);
  // Framework errors (too large, bad JSON) say what went wrong; anything else stays internal.
  if (status < 500) {
    return {
      error: { code: (error as { code?: string }).code ?? "BadRequest", message: (error as Error).message },
    };
  }
  return { error: { code: "Internal", message: "internal error; see the server log" } };
}
