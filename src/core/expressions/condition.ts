/**
 * The condition language of pipeline `check` stages and stage conditions: CEL, evaluated by
 * @marcbachmann/cel-js over plain data. No JavaScript is ever run (no eval, Function or vm); a
 * condition sees only the context handed to it, may call only the functions allowed below, and both
 * the expression and its input are bounded in size.
 *
 * Worst-case work: CEL has no loops or recursion; the only iteration is the comprehension macros
 * (all, exists, exists_one, map, filter), each of which visits one list once. A condition is at
 * most 1,000 characters (so a few hundred operators) with comprehensions nested at most 2 deep,
 * and lists come from a context of at most 256 KiB (≤ 128 Ki elements, or ≤ 256 Ki from split()),
 * so evaluation is bounded by about (operators × n²) steps for the longest list n. That bound is
 * finite but not small for a hostile expression over a huge list: a 2-deep comprehension over a
 * 100k-element list is ~10¹⁰ steps. Realistic contexts (tens to hundreds of entries) take
 * microseconds. The 100 ms check after each evaluation reports a pathological case; it cannot stop
 * one, which only a caller running conditions in a worker with a deadline could.
 */

import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import { Environment, EvaluationError, ParseError, serialize } from "@marcbachmann/cel-js";
import type { ASTNode, ParseResult, SourceRange } from "@marcbachmann/cel-js";
import { InputError } from "../errors.js";

/** A condition that cannot be compiled or evaluated; the message quotes the condition. */
export class ExpressionError extends InputError {}

/** The only variable names a condition may use. */
export const CONDITION_ROOTS = ["trigger", "execution", "args", "app", "stages"] as const;
export type ConditionRoot = (typeof CONDITION_ROOTS)[number];

/** Plain JSON-like data; a root left out reads as an empty map. */
export type ConditionContext = Partial<Record<ConditionRoot, Record<string, unknown>>>;

export interface CompiledCondition {
  readonly source: string;
  evaluate(context: ConditionContext): boolean;
}

const MAX_SOURCE_LENGTH = 1_000;
const MAX_AST_DEPTH = 50;
const MAX_COMPREHENSION_NESTING = 2;
const MAX_CONTEXT_BYTES = 256 * 1024;
const MAX_EVALUATION_MS = 100;
const CACHE_SIZE = 500;

const ROOTS: ReadonlySet<string> = new Set(CONDITION_ROOTS);
const COMPREHENSIONS = new Set(["all", "exists", "exists_one", "map", "filter"]);
/** Global functions: the CEL standard ones cel-js implements that make sense over JSON data. */
const FUNCTIONS = new Set(["has", "size", "int", "double", "string", "bool", "dyn", "timestamp", "duration"]);
/**
 * Methods. `matches` is left out on purpose: cel-js runs it as a JavaScript RegExp, which
 * backtracks exponentially — `"aaaaaaaaaaaaaaaaaaaaaaaaab".matches("(a+)+$")` takes seconds, so no
 * cap on pattern or input length makes it safe. startsWith/endsWith/contains/split cover branch
 * and path checks.
 */
const METHODS = new Set([
  ...COMPREHENSIONS,
  "size",
  "contains",
  "startsWith",
  "endsWith",
  "lowerAscii",
  "upperAscii",
  "trim",
  "indexOf",
  "lastIndexOf",
  "substring",
  "split",
  "join",
  "getFullYear",
  "getMonth",
  "getDate",
  "getDayOfMonth",
  "getDayOfWeek",
  "getDayOfYear",
  "getHours",
  "getMinutes",
  "getSeconds",
  "getMilliseconds",
]);
/**
 * cel-js reads only own keys (Object.hasOwn, Map.get) and we hand it Maps, so these could not
 * reach a prototype anyway; refusing them up front says plainly that they are not data.
 */
const FORBIDDEN_MEMBERS = new Set(["constructor", "__proto__", "prototype"]);

// Built once: creating an Environment is the expensive part of cel-js. The roots are declared as
// maps and nothing else is (unlisted variables are errors), so cel-js's type checker backs up the
// name check below. maxDepth bounds the parser's recursion (parentheses, calls, member chains).
const environment = new Environment({ limits: { maxDepth: MAX_AST_DEPTH } });
for (const root of CONDITION_ROOTS) environment.registerVariable(root, "map");

export function compileCondition(source: string): CompiledCondition {
  const fail = failure(source);
  if (source.length > MAX_SOURCE_LENGTH) {
    throw fail(
      `is ${source.length} characters long (limit ${MAX_SOURCE_LENGTH})`,
      "Split it into several check stages.",
    );
  }

  let parsed: ParseResult;
  try {
    parsed = environment.parse(source);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw fail(`${error.summary}${position(source, error.range)}`, SYNTAX_HINT, error);
  }

  const problems = new Set<string>();
  inspect(parsed.ast, new Set(), 0, 1, problems);
  if (problems.size > 0) throw fail([...problems].join("; "), VOCABULARY_HINT);

  const checked = parsed.check();
  if (!checked.valid) {
    const summary = checked.error?.summary ?? "does not type-check";
    throw fail(`${summary}${position(source, checked.error?.range)}`, SYNTAX_HINT, checked.error);
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw fail(`evaluates to ${describeType(checked.type ?? "dyn")}, not true/false`, BOOLEAN_HINT);
  }

  return { source, evaluate: (context) => run(source, parsed, context) };
}

const cache = new Map<string, CompiledCondition>();

/** Compiles (through a small LRU cache) and evaluates. */
export function evaluateCondition(source: string, context: ConditionContext): boolean {
  let compiled = cache.get(source);
  if (compiled) {
    cache.delete(source); // re-inserted below: Map order is recency order
  } else {
    compiled = compileCondition(source);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(source, compiled);
  return compiled.evaluate(context);
}

const SYNTAX_HINT = 'Conditions are CEL, e.g. trigger.branch == "main" && args.version.startsWith("1.").';
const VOCABULARY_HINT =
  "Conditions read only trigger, execution, args, app and stages, with CEL's standard functions except matches().";
const BOOLEAN_HINT = 'Compare the value, e.g. trigger.branch == "main".';

/** Walks the AST; adds one line per problem so the author sees all of them at once. */
function inspect(
  node: ASTNode,
  bound: ReadonlySet<string>,
  nesting: number,
  depth: number,
  problems: Set<string>,
): void {
  if (depth > MAX_AST_DEPTH) {
    problems.add(`nests more than ${MAX_AST_DEPTH} levels deep`);
    return;
  }
  const child = (next: ASTNode, scope = bound, level = nesting) =>
    inspect(next, scope, level, depth + 1, problems);

  switch (node.op) {
    case "value":
      return;
    case "id":
      if (!ROOTS.has(node.args) && !bound.has(node.args)) {
        problems.add(`unknown name "${node.args}" (known: ${[...CONDITION_ROOTS, ...bound].join(", ")})`);
      }
      return;
    case ".":
    case ".?":
      checkMember(node.args[1], problems);
      return child(node.args[0]);
    case "[]":
    case "[?]": {
      const [target, key] = node.args;
      if (key.op === "value" && typeof key.args === "string") checkMember(key.args, problems);
      child(target);
      return child(key);
    }
    case "call": {
      const [name, args] = node.args;
      if (!FUNCTIONS.has(name))
        problems.add(`unknown function "${name}" (allowed: ${[...FUNCTIONS].join(", ")})`);
      for (const arg of args) child(arg);
      return;
    }
    case "rcall": {
      const [name, receiver, args] = node.args;
      child(receiver);
      if (!METHODS.has(name)) {
        problems.add(`unknown method "${name}" (allowed: ${[...METHODS].join(", ")})`);
      } else if (COMPREHENSIONS.has(name)) {
        // The receiver runs once; the body runs once per element, so only the body nests.
        if (nesting + 1 > MAX_COMPREHENSION_NESTING) {
          problems.add(
            `nests ${[...COMPREHENSIONS].join("/")} more than ${MAX_COMPREHENSION_NESTING} deep, ` +
              `which multiplies the work per element`,
          );
        }
        const [variable, ...body] = args;
        // cel-js already refused a first argument that is not a plain name.
        const scope = variable?.op === "id" ? new Set([...bound, variable.args]) : bound;
        for (const part of body) child(part, scope, nesting + 1);
        return;
      }
      for (const arg of args) child(arg);
      return;
    }
    case "map":
      for (const [key, value] of node.args) {
        child(key);
        child(value);
      }
      return;
    case "!_":
    case "-_":
      return child(node.args);
    default:
      for (const arg of node.args) child(arg);
  }
}

function checkMember(name: string, problems: Set<string>): void {
  if (FORBIDDEN_MEMBERS.has(name))
    problems.add(`member "${name}" is not allowed (conditions read data only)`);
}

function run(source: string, parsed: ParseResult, context: ConditionContext): boolean {
  const fail = failure(source);
  const input = toCel(context, fail);

  const started = performance.now();
  let result: unknown;
  try {
    result = parsed(input);
  } catch (error) {
    throw explain(source, error, fail);
  }
  const elapsed = performance.now() - started;

  if (elapsed > MAX_EVALUATION_MS) {
    throw fail(
      `took ${Math.round(elapsed)} ms to evaluate (limit ${MAX_EVALUATION_MS} ms)`,
      "Simplify it: fewer nested all/exists/map/filter over large lists.",
    );
  }
  if (typeof result !== "boolean") {
    throw fail(`evaluates to ${describeType(celTypeOf(result))}, not true/false`, BOOLEAN_HINT);
  }
  return result;
}

/**
 * JSON in, cel-js values out. Objects become Maps: cel-js then reads keys with Map.get, so no
 * prototype is ever in reach. Whole numbers become BigInt, i.e. CEL int: cel-js treats a JS number
 * as a CEL double, and double + int or double % int have no overload, so `trigger.pr.number + 1`
 * would fail. Comparisons mix int and double freely, so `trigger.ratio < 1` still works; a field
 * that may be whole or fractional takes double(...) before double arithmetic.
 */
function toCel(context: ConditionContext, fail: Fail): Map<string, unknown> {
  let json: string;
  try {
    json = JSON.stringify(context) ?? "{}";
  } catch (error) {
    throw fail(`context is not plain JSON data (${(error as Error).message})`, undefined, error);
  }
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_CONTEXT_BYTES) {
    throw fail(
      `context is ${Math.ceil(bytes / 1024)} KiB of JSON (limit ${MAX_CONTEXT_BYTES / 1024} KiB)`,
      "Pass conditions less data, e.g. only the fields they read.",
    );
  }
  const data = JSON.parse(json, (_key, value: unknown) => {
    if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return new Map(Object.entries(value));
    return value;
  }) as Map<string, unknown>;
  return new Map(CONDITION_ROOTS.map((root) => [root, data.get(root) ?? new Map()]));
}

/**
 * A missing field is an error, as in CEL (has() is how a condition asks whether a field is there):
 * evaluating to false would make `trigger.tag != "v1"` true for a push without a tag, silently.
 */
function explain(source: string, error: unknown, fail: Fail): ExpressionError {
  if (!(error instanceof EvaluationError)) {
    return fail(
      `could not be evaluated: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      error,
    );
  }
  const node = error.node;
  if (error.code === "no_such_key" && (node?.op === "." || node?.op === ".?")) {
    return fail(
      `no field "${node.args[1]}" in ${serialize(node.args[0])}`,
      `Test for it first: has(${serialize(node)}) && ...`,
      error,
    );
  }
  if (error.code === "no_such_key" && node?.op === "[]") {
    const [target, key] = node.args;
    return fail(
      `no key ${serialize(key)} in ${serialize(target)}`,
      `Test for it first: ${serialize(key)} in ${serialize(target)} && ...`,
      error,
    );
  }
  return fail(`${error.summary}${position(source, error.range)}`, undefined, error);
}

type Fail = (problem: string, hint?: string, cause?: unknown) => ExpressionError;

function failure(source: string): Fail {
  const subject = `condition ${quote(source)}`;
  return (problem, hint, cause) => new ExpressionError(`${subject}: ${problem}`, { hint, cause });
}

/** The source as written, on one line, shortened when long, in quotes it does not contain. */
function quote(source: string): string {
  let text = source.replace(/\s+/g, " ").trim();
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return JSON.stringify(text);
}

function position(source: string, range: SourceRange | undefined): string {
  if (!range) return "";
  const before = source.slice(0, range.start);
  const line = before.split("\n").length;
  const column = range.start - before.lastIndexOf("\n");
  return line === 1 ? ` at column ${column}` : ` at line ${line}, column ${column}`;
}

function celTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return "double";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "list";
  if (value instanceof Map) return "map";
  if (value instanceof Date) return "google.protobuf.Timestamp";
  // cel-js's Duration tags itself google.protobuf.Duration.
  return Object.prototype.toString.call(value).slice(8, -1);
}

const TYPE_WORDS: Record<string, string> = {
  int: "an int",
  double: "a double",
  string: "a string",
  bytes: "bytes",
  null: "null",
  list: "a list",
  map: "a map",
  type: "a type",
  "google.protobuf.Timestamp": "a timestamp",
  "google.protobuf.Duration": "a duration",
};

function describeType(celType: string): string {
  const base = celType.replace(/<.*$/, "");
  return TYPE_WORDS[base] ?? `a value of type ${base}`;
}
