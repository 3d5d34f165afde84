import { unreachable } from "./failures.js";
import type { RegistryCredentials, ResolveOptions } from "./resolve.js";

/** Where and how to talk to one registry, derived once from the reference's host and the settings. */
export interface RegistryEndpoint {
  /** The registry host as written in image references; used in messages and to find settings. */
  registry: string;
  /** Base URL of its HTTP API, e.g. `https://registry-1.docker.io`. */
  baseUrl: string;
  credentials: RegistryCredentials | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;

// Docker Hub's references say docker.io, its API lives elsewhere.
const API_HOSTS: Record<string, string> = {
  "docker.io": "registry-1.docker.io",
  "index.docker.io": "registry-1.docker.io",
};

export function endpointFor(registry: string, options: ResolveOptions = {}): RegistryEndpoint {
  const settings = options.registries?.[registry] ?? {};
  const scheme = settings.insecure || isLoopback(registry) ? "http" : "https";
  return {
    registry,
    baseUrl: `${scheme}://${API_HOSTS[registry] ?? registry}`,
    credentials: settings.credentials,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    fetch: options.fetch ?? globalThis.fetch,
  };
}

/** Docker treats loopback registries as insecure by default; so do we (plain http). */
export function isLoopback(registry: string): boolean {
  const host = registry.startsWith("[")
    ? registry.slice(0, registry.indexOf("]") + 1)
    : registry.split(":")[0];
  return host === "localhost" || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host ?? "");
}

/**
 * One HTTP exchange under the per-request timeout, body read in full (manifests and tag pages are
 * small, and reading inside the timeout covers a server that stalls mid-body). A failure to get an
 * answer becomes an UpstreamError saying `<subject> is unreachable`.
 */
export async function exchange(
  endpoint: RegistryEndpoint,
  url: string,
  init: { method: string; headers: Record<string, string> },
  subject: string,
): Promise<RegistryResponse> {
  try {
    const response = await endpoint.fetch(url, { ...init, signal: AbortSignal.timeout(endpoint.timeoutMs) });
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    throw unreachable(endpoint, subject, describeFailure(error, endpoint.timeoutMs), error);
  }
}

// fetch rejects with "fetch failed" and puts the useful part (ECONNREFUSED, TLS errors) in `cause`.
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${timeoutMs} ms`;
  }
  const inner = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return inner.message || (typeof code === "string" ? code : inner.name);
  }
  return String(inner);
}
