/**
 * `{{ name }}` holes in app file strings: an arg (`{{ version }}`) or a value Railyard provides
 * (`{{ env.domain }}`). Deliberately no expressions, filters or escaping: a hole is a name.
 */
import { InputError } from "../errors.js";
import { unknownNameHint } from "./suggest.js";

/** Values Railyard fills in for every deploy; any other name must be an arg. */
export const BUILTIN_VARIABLES = [
  "app.name",
  "env.name",
  "env.namespace",
  "env.domain",
  "git.sha",
  "git.shortSha",
] as const;

/** Prefixes reserved for the built-in values, so an arg can never be mistaken for one. */
export const BUILTIN_PREFIXES = ["app.", "env.", "git."] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Rebuilds the template with each hole replaced; throws InputError when a hole is malformed. */
export function replaceHoles(template: string, replace: (name: string) => string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const open = template.indexOf("{{", at);
    if (open < 0) return out + template.slice(at);
    const close = template.indexOf("}}", open + 2);
    if (close < 0) throw new InputError(`"${template}" has "{{" without a closing "}}"`);
    const name = template.slice(open + 2, close).trim();
    if (!NAME.test(name)) {
      throw new InputError(
        `"${template}" has "{{${template.slice(open + 2, close)}}}", which is not a name like {{ version }} or {{ env.domain }}`,
      );
    }
    out += template.slice(at, open) + replace(name);
    at = close + 2;
  }
}

/** The names a template uses, in order, each once. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  replaceHoles(template, (name) => {
    names.add(name);
    return "";
  });
  return [...names];
}

/**
 * Fills each hole from `vars`, looked up as a flat key (`"env.domain"`) or a nested path
 * (`{env: {domain}}`); `where` names the field in the error, e.g. `containers[0].image`.
 */
export function interpolate(template: string, vars: Record<string, unknown>, where: string): string {
  return replaceHoles(template, (name) => {
    const value = lookup(vars, name);
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return String(value);
    const noun = name.includes(".") ? "variable" : "arg";
    throw new InputError(
      `${where}: "${template}" uses unknown ${noun} "${name}" (${unknownNameHint(name, variableNames(vars))})`,
    );
  });
}

function lookup(vars: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(vars, name)) return vars[name];
  let value: unknown = vars;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Every name `vars` can fill, nested objects spelled with dots. */
function variableNames(vars: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(vars).flatMap(([key, value]) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? variableNames(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}
