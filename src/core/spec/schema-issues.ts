/**
 * Runs a zod schema over parsed YAML and turns its issues into located `SpecIssue`s worded for people
 * editing the file: `expected a list, got the string "app"`, `unknown field "contaners" (did you
 * mean "containers"?)`.
 */
import { z } from "zod";
import { type Locate, type PathSegment, type SpecIssue, issueAt } from "./issues.js";
import { closest, listNames } from "./suggest.js";

/** A schema message may carry a hint after a newline; it becomes `SpecIssue.hint`. */
export function withHint(message: string, hint: string): string {
  return `${message}\n${hint}`;
}

/** Params a custom issue may carry: point at the key instead of the value; or give way to a child issue. */
interface IssueParams {
  at?: "key";
  /** "needs one of a, b": dropped when the object has another issue, such as a misspelled `a`. */
  missingAlternative?: boolean;
}

export type SchemaResult<T> = { ok: true; data: T } | { ok: false; issues: SpecIssue[] };

interface Converted {
  issue: SpecIssue;
  path: PathSegment[];
  missingAlternative: boolean;
}

export function checkSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  locate: Locate,
): SchemaResult<z.output<S>> {
  // The allowed keys of an object that met unknown keys, noted while zod still knows the schema.
  const allowedKeys = new WeakMap<readonly string[], string[]>();
  const error: z.core.$ZodErrorMap = (issue) => {
    if (issue.code === "unrecognized_keys") {
      const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
      if (shape !== undefined) allowedKeys.set(issue.keys, Object.keys(shape));
      return "unknown field";
    }
    return describe(issue);
  };
  const result = schema.safeParse(value, { error });
  if (result.success) return { ok: true, data: result.data };

  const convert = (issue: z.core.$ZodIssue, prefix: readonly PathSegment[]): Converted[] => {
    const path = [...prefix, ...issue.path.map((s) => (typeof s === "number" ? s : String(s)))];
    const [message = "", hint] = issue.message.split("\n");
    const params: IssueParams = issue.code === "custom" ? ((issue.params ?? {}) as IssueParams) : {};
    const make = (where: PathSegment[], text: string, options: { hint?: string; at?: "key" }): Converted => ({
      issue: issueAt(file, locate, where, text, options),
      path: where,
      missingAlternative: params.missingAlternative === true,
    });
    const own = {
      ...(hint === undefined ? {} : { hint }),
      ...(params.at === undefined ? {} : { at: params.at }),
    };
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = allowedKeys.get(issue.keys);
        // A schema's own message for unknown keys (an inline secret value) replaces the generic one.
        if (allowed === undefined)
          return [make([...path, issue.keys[0] ?? ""], message, { ...own, at: "key" })];
        return issue.keys.map((key) => {
          const guess = closest(key, allowed);
          const keyHint =
            guess === undefined ? `allowed: ${listNames(allowed, 30)}` : `did you mean "${guess}"?`;
          return make([...path, key], `unknown field "${key}"`, { at: "key", hint: keyHint });
        });
      }
      case "invalid_union": {
        // A union of a scalar and an object: when only one branch got past the type check, its issues
        // say what is wrong; otherwise the union's own message does.
        const informative = issue.errors.filter(
          (branch) => !branch.every((inner) => inner.code === "invalid_type" && inner.path.length === 0),
        );
        const [only] = informative;
        if (informative.length === 1 && only !== undefined)
          return only.flatMap((inner) => convert(inner, path));
        return [make(path, message, own)];
      }
      default:
        return [make(path, message, own)];
    }
  };
  const converted = result.error.issues.flatMap((issue) => convert(issue, []));
  const within = (outer: PathSegment[], inner: PathSegment[]) =>
    inner.length > outer.length && outer.every((segment, i) => segment === inner[i]);
  const issues = converted
    .filter((c) => !c.missingAlternative || !converted.some((other) => within(c.path, other.path)))
    .map((c) => c.issue);
  return { ok: false, issues };
}

/**
 * A refinement for objects that take exactly one of some alternative fields (`value`/`config`/`secret`).
 * It runs even when a sibling field is invalid, so one pass reports both problems.
 */
export function exactlyOneOf(keys: readonly string[]) {
  const check = (value: object, ctx: z.RefinementCtx) => {
    const present = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    if (present.length === 1) return;
    const options = keys.join(", ");
    if (present.length === 0) {
      const params: IssueParams = { missingAlternative: true };
      ctx.addIssue({ code: "custom", message: `needs one of ${options}`, params });
    } else {
      const message = `has ${present.join(" and ")}; use only one of ${options}`;
      ctx.addIssue({ code: "custom", message, path: [present[1] ?? ""], params: { at: "key" } });
    }
  };
  const params = {
    when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null,
  };
  return [check, params] as const;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
  array: "a list",
  never: "nothing here",
};

/** A short description of what was written, never longer than a line. */
function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  return typeof value === "number" ? `the number ${value}` : String(value);
}

/** The wording of zod's built-in issues; schemas' own messages take precedence over these. */
function describe(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "is required";
      const message = `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
      const scalar = typeof issue.input === "number" || typeof issue.input === "boolean";
      if (issue.expected === "string" && scalar)
        return withHint(message, "put it in quotes to keep it a string");
      // YAML 1.2 reads yes/no/on/off as strings, unlike the YAML 1.1 many tools still use.
      if (issue.expected === "boolean" && /^(?:y|yes|n|no|on|off)$/i.test(String(issue.input))) {
        return withHint(message, "write true or false");
      }
      return message;
    }
    case "too_small":
    case "too_big": {
      const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const word = issue.code === "too_small" ? "least" : "most";
      const nonEmpty = word === "least" && bound === "1";
      if (issue.origin === "string")
        return nonEmpty ? "must not be empty" : `must be at ${word} ${bound} characters`;
      if (issue.origin === "array")
        return nonEmpty ? "must not be empty" : `must have at ${word} ${bound} items`;
      if (issue.inclusive === false) return `must be ${word === "least" ? "more" : "less"} than ${bound}`;
      return `must be at ${word} ${bound}`;
    }
    case "invalid_value": {
      const message = `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
      const guess =
        typeof issue.input === "string" ? closest(issue.input, issue.values.map(String)) : undefined;
      return guess === undefined ? message : withHint(message, `did you mean "${guess}"?`);
    }
    case "invalid_format":
      return "pattern" in issue ? `must match ${String(issue.pattern)}` : undefined;
    default:
      return undefined;
  }
}
