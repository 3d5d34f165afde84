import { KubeApiError } from "./client.js";
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  RailyardError,
  UpstreamError,
} from "../../core/errors.js";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

/** The Kubernetes Status message from an ApiException body (a JSON string or an object). */
function statusMessage(body: unknown): string | undefined {
  if (typeof body === "string") {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 500) || undefined;
    }
  }
  if (body && typeof body === "object" && "message" in body)
    return String((body as { message: unknown }).message);
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps a client error to Railyard's typed errors once, for every Kubernetes call. `scrub` removes
 * secret values from the API server's message (it may quote a rejected object).
 */
export function kubeError(
  error: unknown,
  what: string,
  server: string,
  scrub: (text: string) => string = (t) => t,
): RailyardError {
  if (error instanceof RailyardError) return error;
  const net = networkCode(error);
  if (net) {
    return new UpstreamError(`Cannot reach the cluster at ${server} (${net}) while trying to ${what}.`, {
      hint: "Check that the cluster is running and that the environment's kubeconfig and context point at it.",
      cause: error,
    });
  }
  if (error instanceof KubeApiError) {
    const message = scrub(statusMessage(error.body) ?? error.message);
    const text = `Could not ${what}: ${message}`;
    switch (error.code) {
      case 400:
      case 422:
        return new InputError(text, { cause: error });
      case 401:
        return new NotAllowedError(text, {
          hint: "The kubeconfig's credentials were refused.",
          cause: error,
        });
      case 403:
        return new NotAllowedError(text, {
          hint: "The kubeconfig's user lacks the RBAC permission.",
          cause: error,
        });
      case 404:
        return new NotFoundError(text, { cause: error });
      case 409:
        return new ConflictError(text, { cause: error });
      default:
        return new UpstreamError(text, { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError(`Could not ${what}: ${scrub(message)}`, { cause: error });
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 404;
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409;
}
