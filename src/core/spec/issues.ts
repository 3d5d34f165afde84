/**
 * Validation problems with the place they were found. Every check collects issues instead of throwing,
 * so one run reports everything wrong with a file; `SpecError` carries them all.
 */
import { InputError } from "../errors.js";

/** One step into a parsed document: a mapping key or a list index. */
export type PathSegment = string | number;

/** A 1-based place in a file; line 0 means the file as a whole. */
export interface Position {
  line: number;
  col: number;
}

/** Finds where a path is written: its value, or with `"key"` its key (for unknown or misspelled keys). */
export type Locate = (path: readonly PathSegment[], at?: "key" | "value") => Position;

export interface SpecIssue {
  file: string;
  line: number;
  col: number;
  /** Where in the document, written like `containers[0].env[2].name`; empty for the whole file. */
  path: string;
  message: string;
  hint?: string;
}

/** `containers[0].env[2].name`; keys that are not plain words are quoted: `podLabels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `file:line:col: path: message (hint)`, leaving out what is not known. */
export function formatIssue(issue: SpecIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const path = issue.path === "" ? "" : `${issue.path}: `;
  const hint = issue.hint === undefined ? "" : ` (${issue.hint})`;
  return `${where}: ${path}${issue.message}${hint}`;
}

/** Builds an issue located at `path` in `file`. */
export function issueAt(
  file: string,
  locate: Locate,
  path: readonly PathSegment[],
  message: string,
  options: { hint?: string; at?: "key" | "value" } = {},
): SpecIssue {
  const { line, col } = locate(path, options.at);
  return {
    file,
    line,
    col,
    path: formatPath(path),
    message,
    ...(options.hint === undefined ? {} : { hint: options.hint }),
  };
}

/** In file order, each distinct issue once (a schema rule and a semantic rule may notice the same thing). */
export function sortIssues(issues: readonly SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = formatIssue(issue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** A file (or several) failed validation; the message lists every issue, one per line. */
export class SpecError extends InputError {
  readonly issues: SpecIssue[];

  constructor(issues: readonly SpecIssue[]) {
    const sorted = sortIssues(issues);
    super(sorted.map(formatIssue).join("\n"));
    this.issues = sorted;
  }
}
