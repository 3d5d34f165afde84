import { createHash } from "node:crypto";
import type { RegistryCredentials } from "./resolve.js";
import { type Challenge, parseChallenges } from "./challenge.js";
import { badAnswer, denied, quoted, unreachable } from "./failures.js";
import { exchange, type RegistryEndpoint } from "./transport.js";

/*
 * Registry authentication as Docker clients do it: answer a 401's challenge, either with basic auth or
 * with a bearer token from the challenge's realm (Docker token spec), and keep tokens for their lifetime.
 */

interface CachedToken {
  token: string;
  expiresAt: number;
}

const tokens = new Map<string, CachedToken>();

// The spec's default lifetime when the token service does not say.
const DEFAULT_EXPIRES_IN_S = 60;
// Renew a little early so a token does not expire between lookup and use.
const EXPIRY_MARGIN_S = 10;

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** An Authorization value from an earlier challenge for this scope, if still valid. */
export function cachedAuthorization(endpoint: RegistryEndpoint, repository: string): string | undefined {
  const key = cacheKey(endpoint, pullScope(repository));
  const entry = tokens.get(key);
  if (entry && entry.expiresAt > Date.now()) return `Bearer ${entry.token}`;
  tokens.delete(key);
  return undefined;
}

/** Drops a cached token the registry has just refused (revoked, or expired early). */
export function forgetAuthorization(endpoint: RegistryEndpoint, repository: string): void {
  tokens.delete(cacheKey(endpoint, pullScope(repository)));
}

/** The Authorization value answering a 401's `WWW-Authenticate` header. */
export async function authorize(
  endpoint: RegistryEndpoint,
  header: string | null,
  repository: string,
): Promise<string> {
  const challenges = parseChallenges(header ?? "");
  const bearer = challenges.find((challenge) => challenge.scheme === "bearer");
  if (bearer) return `Bearer ${await bearerToken(endpoint, bearer, repository)}`;
  if (challenges.some((challenge) => challenge.scheme === "basic")) {
    if (!endpoint.credentials) {
      throw denied(endpoint, repository, "it requires credentials and none are configured");
    }
    return basicAuthorization(endpoint.credentials);
  }
  throw badAnswer(
    endpoint,
    `asked for authentication without a Bearer or Basic challenge (${quoted(header ?? "")})`,
  );
}

function basicAuthorization({ username, password }: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

async function bearerToken(
  endpoint: RegistryEndpoint,
  challenge: Challenge,
  repository: string,
): Promise<string> {
  const scope = challenge.params.scope ?? pullScope(repository);
  const key = cacheKey(endpoint, scope);
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > Date.now()) return cached.token;

  const headers: Record<string, string> = {};
  if (endpoint.credentials) headers.authorization = basicAuthorization(endpoint.credentials);
  const url = tokenUrl(endpoint, challenge, scope);
  const subject = `the token service of registry ${endpoint.registry}`;
  const response = await exchange(endpoint, url, { method: "GET", headers }, subject);
  if (response.status === 401 || response.status === 403) {
    const reason = endpoint.credentials
      ? `its token service rejected the configured credentials (HTTP ${response.status})`
      : `its token service refused anonymous access (HTTP ${response.status})`;
    throw denied(endpoint, repository, reason);
  }
  if (response.status < 200 || response.status > 299) {
    throw unreachable(endpoint, subject, `HTTP ${response.status}`);
  }
  const { token, expiresIn } = parseToken(endpoint, response.body);
  tokens.set(key, { token, expiresAt: Date.now() + Math.max(0, expiresIn - EXPIRY_MARGIN_S) * 1000 });
  return token;
}

function tokenUrl(endpoint: RegistryEndpoint, challenge: Challenge, scope: string): string {
  const realm = URL.canParse(challenge.params.realm ?? "")
    ? new URL(challenge.params.realm ?? "")
    : undefined;
  if (!realm || (realm.protocol !== "https:" && realm.protocol !== "http:")) {
    throw badAnswer(endpoint, `sent a Bearer challenge without a usable realm URL`);
  }
  // Credentials go to the realm as basic auth: never in clear text unless the registry itself is plain http.
  if (endpoint.credentials && realm.protocol === "http:" && endpoint.baseUrl.startsWith("https:")) {
    throw badAnswer(
      endpoint,
      `sends credentials to a token service over plain http (${realm.origin}); refused`,
    );
  }
  if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
  for (const part of scope.split(" ").filter(Boolean)) realm.searchParams.append("scope", part);
  return realm.href;
}

function parseToken(endpoint: RegistryEndpoint, body: Buffer): { token: string; expiresIn: number } {
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
  } catch {
    throw badAnswer(endpoint, "sent a token response that is not JSON");
  }
  const token = typeof parsed.token === "string" && parsed.token ? parsed.token : parsed.access_token;
  if (typeof token !== "string" || token.length === 0) {
    throw badAnswer(endpoint, "sent a token response without a token");
  }
  const expiresIn =
    typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_EXPIRES_IN_S;
  return { token, expiresIn };
}

// Tokens belong to whoever asked: different credentials for one registry never share a token.
function cacheKey(endpoint: RegistryEndpoint, scope: string): string {
  const who = endpoint.credentials
    ? [
        endpoint.credentials.username,
        createHash("sha256").update(endpoint.credentials.password).digest("hex"),
      ]
    : [];
  return JSON.stringify([endpoint.baseUrl, scope, ...who]);
}
