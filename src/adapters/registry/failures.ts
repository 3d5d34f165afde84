import { NotAllowedError, UpstreamError } from "../../core/errors.js";
import type { RegistryEndpoint } from "./transport.js";

/*
 * The errors every registry call can end with, worded once. None of them ever carries a credential or a
 * token: messages are built from the registry's name, the repository and HTTP statuses only.
 */

export function unreachable(
  endpoint: RegistryEndpoint,
  subject: string,
  reason: string,
  cause?: unknown,
): UpstreamError {
  const plainHttp = endpoint.baseUrl.startsWith("https:")
    ? " A registry served over plain http must be marked insecure in the platform config."
    : "";
  return new UpstreamError(`${subject} is unreachable: ${reason}`, {
    hint: `Check that ${endpoint.registry} is up and reachable from this machine, then retry.${plainHttp}`,
    cause,
  });
}

export function denied(endpoint: RegistryEndpoint, repository: string, reason: string): NotAllowedError {
  const hint = endpoint.credentials
    ? `Check the credentials for ${endpoint.registry} in the platform config (registries): they must be valid and allowed to pull ${repository}.`
    : `Add credentials for ${endpoint.registry} to the platform config (registries), or check that ${repository} exists.`;
  return new NotAllowedError(`registry ${endpoint.registry} denied pulling ${repository}: ${reason}`, {
    hint,
  });
}

/** The registry answered, but not in a way the distribution spec allows. */
export function badAnswer(endpoint: RegistryEndpoint, what: string): UpstreamError {
  return new UpstreamError(`registry ${endpoint.registry} ${what}`, {
    hint: `Check that ${endpoint.registry} implements the OCI distribution API (/v2/) and look at its logs.`,
  });
}

/** Registry-supplied text, shortened and on one line, for quoting in a message. */
export function quoted(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}
