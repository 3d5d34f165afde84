/** One challenge of a `WWW-Authenticate` header (RFC 7235): a scheme and its parameters, names lowercased. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

// A token alone starts a challenge; `token=value` (value quoted or not) is a parameter of the current one.
const PART = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/g;

/**
 * Parses every challenge in a header value. Headers#get joins repeated headers with ", ", so one value
 * may hold several challenges, e.g. `Basic realm="r", Bearer realm="https://auth",service="s"`.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  for (const [, name = "", value] of header.matchAll(PART)) {
    if (value === undefined) {
      challenges.push({ scheme: name.toLowerCase(), params: {} });
      continue;
    }
    const current = challenges.at(-1);
    if (current) current.params[name.toLowerCase()] = unquote(value);
  }
  return challenges;
}

function unquote(value: string): string {
  return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
}
