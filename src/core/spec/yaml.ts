/**
 * YAML parsing for files Railyard reads from repositories it does not control: plain data only
 * (YAML 1.2 core schema), bounded in size, aliases and depth, and with a `locate` function so every
 * later error can point at a line and column.
 */
import { CORE_SCHEMA, load as loadYaml } from "js-yaml";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseAllDocuments,
  visit,
} from "yaml";
import {
  type Locate,
  type PathSegment,
  type Position,
  type SpecIssue,
  formatPath,
  SpecError,
} from "./issues.js";

export const DEFAULT_MAX_BYTES = 256 * 1024;
/** A real app file needs a handful of aliases; a billion-laughs document needs many. */
export const MAX_ALIASES = 50;
/** Deeper nesting than this is no configuration anyone writes, and would exhaust the stack. */
export const MAX_DEPTH = 64;

export interface YamlOptions {
  /** Largest accepted file, in bytes (default 256 KiB). */
  maxBytes?: number;
}

export interface ParsedYaml {
  /** The document as plain JSON-like data (`null` for an empty document). */
  value: unknown;
  locate: Locate;
}

/** Tags a plain-data document may spell out (`!!str 5`); anything else could mean code or objects. */
const ALLOWED_TAGS = new Set([
  "!",
  ...["str", "int", "float", "bool", "null", "map", "seq"].map((name) => `tag:yaml.org,2002:${name}`),
]);

/**
 * Text that uses none of YAML's riskier features (anchors and aliases, tags, directives, merge and
 * complex keys) can be read by the much faster js-yaml. Anything else, and anything js-yaml refuses,
 * takes the full path below, which checks every feature and knows every position.
 */
const NEEDS_FULL_PARSE = /[&*!%]|<<|^\s*\?(\s|$)/m;

function fastParse(text: string): { value: unknown } | undefined {
  if (NEEDS_FULL_PARSE.test(text)) return undefined;
  try {
    const value = loadYaml(text, { schema: CORE_SCHEMA, json: false });
    return hasOnlyPlainKeys(value, 0) ? { value: value ?? null } : undefined;
  } catch {
    return undefined; // duplicate keys, several documents, syntax errors: reported with positions below
  }
}

/** Flow mappings used as keys turn into "[object Object]"; deep nesting must meet the same limit. */
function hasOnlyPlainKeys(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => hasOnlyPlainKeys(item, depth + 1));
  if (value && typeof value === "object") {
    return Object.entries(value).every(
      ([key, item]) => !key.includes("[object ") && hasOnlyPlainKeys(item, depth + 1),
    );
  }
  return true;
}

/** Parses a file that must hold exactly one YAML document (an app file, the platform config). */
export function parseYamlDocument(text: string, file: string, opts: YamlOptions = {}): ParsedYaml {
  checkSize(text, file, opts);
  const fast = fastParse(text);
  if (fast) {
    // Positions are only needed to report an issue: parse again for them then, and only then.
    let full: ParsedYaml | undefined;
    return {
      value: fast.value,
      locate: (path, at) => {
        full ??= parseYamlDocumentFully(text, file, opts);
        return full.locate(path, at);
      },
    };
  }
  return parseYamlDocumentFully(text, file, opts);
}

function parseYamlDocumentFully(text: string, file: string, opts: YamlOptions): ParsedYaml {
  const { docs, lines, issues } = parseAll(text, file, opts);
  const [first, second] = docs;
  if (second !== undefined) {
    issues.push({
      ...issueAtOffset(file, lines, second.range[0], "", `holds ${docs.length} YAML documents, expected one`),
      hint: 'remove the "---" separator and keep one document',
    });
  }
  const values = issues.length === 0 ? toValues([first], file, lines, issues) : [];
  if (issues.length > 0) throw new SpecError(issues);
  return { value: values[0]?.value ?? null, locate: values[0]?.locate ?? (() => ({ line: 1, col: 1 })) };
}

/** Parses a file of `---`-separated documents (Kubernetes manifests); empty documents are skipped. */
export function parseYamlDocuments(text: string, file: string, opts: YamlOptions = {}): unknown[] {
  const { docs, lines, issues } = parseAll(text, file, opts);
  const values = issues.length === 0 ? toValues(docs, file, lines, issues) : [];
  if (issues.length > 0) throw new SpecError(issues);
  return values.map((parsed) => parsed.value).filter((value) => value !== null && value !== undefined);
}

type Doc = Document.Parsed;

function checkSize(text: string, file: string, opts: YamlOptions): void {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes) {
    throw new SpecError([
      {
        file,
        line: 0,
        col: 0,
        path: "",
        message: `file is ${bytes} bytes, larger than the ${formatSize(maxBytes)} limit`,
      },
    ]);
  }
}

function parseAll(text: string, file: string, opts: YamlOptions) {
  checkSize(text, file, opts);
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    version: "1.2",
    schema: "core",
    merge: false,
    resolveKnownTags: false,
    // The library's own duplicate check compares every key with every other (seconds for a 256 KiB
    // map); checkNode finds duplicates with a Set instead.
    uniqueKeys: false,
  });
  const docs: Doc[] = Array.isArray(parsed) ? parsed : [];
  const issues: SpecIssue[] = [];
  for (const doc of docs) {
    for (const problem of [...doc.errors, ...doc.warnings]) {
      const written = text.slice(problem.pos[0], problem.pos[1]);
      const message =
        problem.code === "TAG_RESOLVE_FAILED"
          ? `tag "${written}" is not allowed`
          : problem.code === "RESOURCE_EXHAUSTION"
            ? `nested too deeply (more than ${MAX_DEPTH} levels)`
            : lowerFirst(problem.message);
      issues.push({
        ...issueAtOffset(file, lines, problem.pos[0], "", message),
        ...(problem.code === "TAG_RESOLVE_FAILED" ? { hint: TAG_HINT } : {}),
      });
    }
    const state: WalkState = {
      file,
      lines,
      issues,
      aliases: 0,
      anchors: new Set(),
      // With resolveKnownTags off the parser flags every tag outside the core schema; the walk's own
      // tag check is a safety net for documents where it flagged none.
      parserFlaggedTags: doc.warnings.some((warning) => warning.code === "TAG_RESOLVE_FAILED"),
    };
    if (doc.contents !== null) checkNode(doc.contents, [], 0, state);
  }
  return { docs, lines, issues };
}

const TAG_HINT = "only plain YAML values are accepted: strings, numbers, booleans, null, lists and mappings";

interface WalkState {
  file: string;
  lines: LineCounter;
  issues: SpecIssue[];
  aliases: number;
  anchors: Set<string>;
  parserFlaggedTags: boolean;
}

/** The checks the parser does not do: duplicate and merge keys, non-scalar keys, aliases, depth, tags. */
function checkNode(node: YamlNode, path: PathSegment[], depth: number, state: WalkState): void {
  const report = (at: YamlNode | undefined, message: string, where = path, hint?: string) => {
    const offset = at?.range?.[0] ?? 0;
    state.issues.push({
      ...issueAtOffset(state.file, state.lines, offset, formatPath(where), message),
      ...(hint === undefined ? {} : { hint }),
    });
  };
  if (depth > MAX_DEPTH) return report(node, `nested too deeply (more than ${MAX_DEPTH} levels)`, []);
  if (node.tag !== undefined && !ALLOWED_TAGS.has(node.tag) && !state.parserFlaggedTags) {
    report(node, `tag "${node.tag}" is not allowed`, path, TAG_HINT);
  }
  if (isAlias(node)) {
    state.aliases += 1;
    if (!state.anchors.has(node.source))
      report(node, `alias "*${node.source}" has no anchor "&${node.source}" before it`);
    else if (state.aliases === MAX_ALIASES + 1) {
      report(
        node,
        `more than ${MAX_ALIASES} aliases`,
        path,
        "write the values out instead of repeating *aliases",
      );
    }
    return;
  }
  if (node.anchor !== undefined) state.anchors.add(node.anchor);
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      if (!isScalar(key)) {
        report(
          (key ?? pair.value) as YamlNode | undefined,
          "a mapping key must be a plain value, not a list or mapping",
        );
        continue;
      }
      const name = String(key.value);
      const keyPath = [...path, name];
      if (name === "<<" && key.type === "PLAIN") {
        report(key, "merge keys (<<) are not supported", keyPath, "write the keys out");
      } else if (seen.has(name)) {
        const first = state.lines.linePos(seen.get(name) ?? 0);
        report(key, `duplicate key "${name}" (first at line ${first.line})`, keyPath);
      } else {
        seen.set(name, key.range?.[0] ?? 0);
      }
      if (pair.value !== null) checkNode(pair.value as YamlNode, keyPath, depth + 1, state);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (item !== null) checkNode(item as YamlNode, [...path, index], depth + 1, state);
    });
  }
}

/** Converts checked documents to plain data; the alias cap also bounds how far aliases expand. */
function toValues(
  docs: (Doc | undefined)[],
  file: string,
  lines: LineCounter,
  issues: SpecIssue[],
): ParsedYaml[] {
  const values: ParsedYaml[] = [];
  for (const doc of docs) {
    if (doc === undefined) continue;
    try {
      values.push({ value: doc.toJS({ maxAliasCount: MAX_ALIASES }), locate: locator(doc, lines) });
    } catch (error) {
      if (!/alias/i.test((error as Error).message)) throw error;
      let offset = doc.range[0];
      visit(doc, {
        Alias(_key, node) {
          offset = node.range?.[0] ?? offset;
          return visit.BREAK;
        },
      });
      issues.push({
        ...issueAtOffset(file, lines, offset, "", `aliases expand to too much data (a "YAML bomb")`),
        hint: "write the values out instead of repeating *aliases",
      });
    }
  }
  return values;
}

function locator(doc: Doc, lines: LineCounter): Locate {
  const position = (node: YamlNode | null | undefined, fallback: Position): Position =>
    node?.range ? lines.linePos(node.range[0]) : fallback;
  return (path, at = "value") => {
    let node: YamlNode | null = doc.contents;
    let found = position(node, { line: 1, col: 1 });
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair === undefined) break;
        const keyPosition = position(pair.key as YamlNode, found);
        if (last && at === "key") return keyPosition;
        node = pair.value as YamlNode | null;
        // An empty value (`name:`) has no place of its own: point at its key.
        found = isScalar(node) && node.value === null ? keyPosition : position(node, keyPosition);
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as YamlNode | undefined;
        if (item === undefined) break;
        node = item;
        found = position(node, found);
      } else {
        break;
      }
    }
    return found;
  };
}

function issueAtOffset(
  file: string,
  lines: LineCounter,
  offset: number,
  path: string,
  message: string,
): SpecIssue {
  const { line, col } = lines.linePos(offset);
  return { file, line, col, path, message };
}

function formatSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
