import { authorize, cachedAuthorization, forgetAuthorization } from "./auth.js";
import { denied, unreachable } from "./failures.js";
import { exchange, type RegistryEndpoint, type RegistryResponse } from "./transport.js";

export interface RegistryRequest {
  method: "GET" | "HEAD";
  /** Path and query under the API's base URL, e.g. `/v2/shop/api/manifests/1.0`. */
  path: string;
  /** The repository the request reads; it decides the token scope. */
  repository: string;
  accept?: string;
}

/**
 * A read from the registry API, authenticated as needed: a cached token first, else anonymous; on a 401
 * answer the challenge and retry once. Returns 2xx and 4xx answers other than 401/403 for the caller
 * to interpret; throws NotAllowedError when access is still refused and UpstreamError for 5xx/429.
 */
export async function registryRequest(
  endpoint: RegistryEndpoint,
  request: RegistryRequest,
): Promise<RegistryResponse> {
  const cached = cachedAuthorization(endpoint, request.repository);
  const first = await send(endpoint, request, cached);
  if (first.status !== 401) return checked(endpoint, request, first);
  if (cached) forgetAuthorization(endpoint, request.repository);
  const authorization = await authorize(endpoint, first.headers.get("www-authenticate"), request.repository);
  return checked(endpoint, request, await send(endpoint, request, authorization));
}

function send(
  endpoint: RegistryEndpoint,
  request: RegistryRequest,
  authorization: string | undefined,
): Promise<RegistryResponse> {
  const headers: Record<string, string> = {};
  if (request.accept) headers.accept = request.accept;
  if (authorization) headers.authorization = authorization;
  const url = `${endpoint.baseUrl}${request.path}`;
  return exchange(endpoint, url, { method: request.method, headers }, `registry ${endpoint.registry}`);
}

function checked(
  endpoint: RegistryEndpoint,
  request: RegistryRequest,
  response: RegistryResponse,
): RegistryResponse {
  const { status } = response;
  if (status === 401 || status === 403) {
    const who = endpoint.credentials ? "with the configured credentials" : "without credentials";
    throw denied(endpoint, request.repository, `HTTP ${status} ${who}`);
  }
  if (status >= 500 || status === 429) {
    const reason = `HTTP ${status}${status === 429 ? " (rate limited)" : ""} for ${request.method} ${request.path}`;
    throw unreachable(endpoint, `registry ${endpoint.registry}`, reason);
  }
  return response;
}
