/**
 * Webhook payload checks shared by the GitHub, GitLab and registry parsers: zod issues become one
 * `InputError` naming every bad field (`GitHub push payload: repository.clone_url is missing`), and
 * the few field shapes all git hosts share.
 */
import { z } from "zod";
import { InputError } from "../errors.js";

/** A git object id: SHA-1, or SHA-256 for repositories using the newer object format. */
export const commitSha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, {
  error: "must be a commit SHA (40 or 64 lowercase hex digits)",
});

/** Git hosts send an all-zero `before` for a created ref and an all-zero `after` for a deleted one. */
export function isZeroSha(sha: string): boolean {
  return /^0+$/.test(sha);
}

/** Commit entries that list the paths they touched, as both GitHub and GitLab push payloads do. */
export const commitPaths = {
  added: z.array(z.string()).optional(),
  modified: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
};

/** The union of paths the commits touched, or undefined when a commit does not say. */
export function changedPathsOf(
  commits: readonly { added?: string[]; modified?: string[]; removed?: string[] }[],
): string[] | undefined {
  const paths = new Set<string>();
  for (const commit of commits) {
    if (commit.added === undefined || commit.modified === undefined || commit.removed === undefined) {
      return undefined;
    }
    for (const path of [...commit.added, ...commit.modified, ...commit.removed]) paths.add(path);
  }
  return [...paths].sort();
}

export type Checked<T> = { ok: true; data: T } | { ok: false; problems: string[] };

/** Runs a schema and words each issue as `<field path> <problem>`; `prefix` places a nested value. */
export function checkPayload<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: readonly PropertyKey[] = [],
): Checked<z.output<S>> {
  const result = schema.safeParse(value, { error: describe });
  if (result.success) return { ok: true, data: result.data };
  const problems = result.error.issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    return path === "" ? issue.message : `${path} ${issue.message}`;
  });
  return { ok: false, problems };
}

/** At most this many problems are spelled out; a payload that is wrong everywhere needs no more. */
const MAX_PROBLEMS = 10;

export function payloadError(subject: string, problems: readonly string[], hint: string): InputError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length - shown.length;
  const list = more > 0 ? [...shown, `and ${more} more`] : shown;
  return new InputError(`${subject}: ${list.join("; ")}`, { hint });
}

/** Parses a payload or throws an `InputError` naming every bad field. */
export function parsePayload<S extends z.ZodType>(
  schema: S,
  value: unknown,
  subject: string,
  hint: string,
): z.output<S> {
  const checked = checkPayload(schema, value);
  if (!checked.ok) throw payloadError(subject, checked.problems, hint);
  return checked.data;
}

/** `repository.clone_url`, `commits[2].added`; empty for the payload itself. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) =>
      typeof segment === "number" ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`,
    )
    .join("");
}

/** Payloads are JSON, so values are described in JSON's words. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  return typeof value === "number" || typeof value === "boolean" ? `${value}` : typeof value;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "an array",
};

function describe(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is missing";
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${jsonType(issue.input)}`;
    case "invalid_value":
      return `must be ${issue.values.map((value) => JSON.stringify(value)).join(" or ")}, got ${jsonType(issue.input)}`;
    case "invalid_format":
      return issue.format === "url" ? `must be a URL, got ${jsonType(issue.input)}` : undefined;
    case "too_small":
      return issue.origin === "string" && String(issue.minimum) === "1" ? "must not be empty" : undefined;
    default:
      return undefined;
  }
}

/**
 * Drops keys whose value is undefined, so optional event fields are absent rather than present and
 * undefined (events are stored as JSON and compared in tests).
 */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
