/**
 * Rules of the app file that span fields: unique names, ports that exist, images and hosts that are
 * valid once templated, args that are defined. They read the raw parsed document defensively, so they
 * run (and report) even when the schema found other problems in the same file.
 */
import { InputError } from "../errors.js";
import { parseImageReference } from "../images/reference.js";
import { type Locate, type PathSegment, type SpecIssue, formatPath, issueAt } from "./issues.js";
import { hostNameProblem } from "./names.js";
import { quantityValue } from "./quantity.js";
import { type Fields, fields, isFields, items, text } from "./raw.js";
import { listNames, unknownNameHint } from "./suggest.js";
import { BUILTIN_PREFIXES, BUILTIN_VARIABLES, replaceHoles, templateVariables } from "./template.js";
import { templatedFields } from "./templated-fields.js";

type Path = readonly PathSegment[];
type Report = (path: Path, message: string, options?: { hint?: string; at?: "key" }) => void;

/**
 * Substituted for every `{{ }}` hole before checking an image or host: "0" is valid in every part of
 * an image reference (host, port, path, tag) and of a host name.
 */
const PLACEHOLDER = "0";

export function validateApp(raw: unknown, file: string, locate: Locate): SpecIssue[] {
  if (!isFields(raw)) return [];
  const issues: SpecIssue[] = [];
  const report: Report = (path, message, options) =>
    issues.push(issueAt(file, locate, path, message, options));
  checkTemplates(raw, report);
  checkContainersOrManifests(raw, report);
  const declared = checkContainers(raw, report);
  checkPortReferences(raw, declared, report);
  checkEnvironmentOverrides(raw, declared.containers, report);
  return issues;
}

/** Args that are defined, built-in variables that exist, and images and hosts valid once filled in. */
function checkTemplates(raw: Fields, report: Report): void {
  const args = [
    ...new Set([
      ...Object.keys(fields(raw.args)),
      ...Object.values(fields(raw.environments)).flatMap((env) => Object.keys(fields(fields(env).args))),
    ]),
  ];
  for (const field of templatedFields(raw)) {
    let filled: string;
    try {
      for (const name of templateVariables(field.value)) {
        const builtin = BUILTIN_PREFIXES.some((prefix) => name.startsWith(prefix));
        if (builtin ? (BUILTIN_VARIABLES as readonly string[]).includes(name) : args.includes(name)) continue;
        const noun = builtin || name.includes(".") ? "variable" : "arg";
        const known = builtin ? BUILTIN_VARIABLES : args;
        const hint = known.length === 0 ? "declare it under args:" : unknownNameHint(name, known);
        report(field.path, `"${field.value}" uses unknown ${noun} "${name}"`, { hint });
      }
      filled = replaceHoles(field.value, () => PLACEHOLDER);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      report(field.path, error.message);
      continue;
    }
    if (field.kind === "image") {
      const parsed = parseImageReference(filled);
      if ("error" in parsed)
        report(field.path, `"${field.value}" is not a valid image reference: it ${parsed.error}`);
    } else if (field.kind === "host") {
      const problem = hostNameProblem(filled);
      if (problem !== undefined)
        report(field.path, `"${field.value}" is not a valid host name: it ${problem}`);
    }
  }
}

function checkContainersOrManifests(raw: Fields, report: Report): void {
  const hasContainers = raw.containers !== undefined;
  if (hasContainers && raw.manifests !== undefined) {
    report(["manifests"], "an app has either containers or manifests, not both", { at: "key" });
  } else if (!hasContainers && raw.manifests === undefined) {
    report([], "an app needs containers (or manifests: a folder of Kubernetes manifests)");
  }
}

interface Declared {
  containers: string[];
  portNames: string[];
  portNumbers: number[];
}

/** Unique container, port and env names; probe ports that exist; requests within limits. */
function checkContainers(raw: Fields, report: Report): Declared {
  const containerNames = new Map<string, Path>();
  // Ports are unique across the pod: its containers share one network, and the Service names them too.
  const portNames = new Map<string, Path>();
  const portNumbers = new Map<string, Path>();
  const numbers: number[] = [];
  for (const [index, value] of items(raw.containers).entries()) {
    const container = fields(value);
    const at = ["containers", index];
    const name = text(container.name);
    if (name !== undefined)
      firstOrDuplicate(containerNames, name, [...at, "name"], `container name "${name}"`, report);
    const ownPorts: string[] = [];
    for (const [i, port] of items(container.ports).entries()) {
      const entry = fields(port);
      const portName = text(entry.name);
      if (portName !== undefined) {
        ownPorts.push(portName);
        firstOrDuplicate(portNames, portName, [...at, "ports", i, "name"], `port name "${portName}"`, report);
      }
      if (typeof entry.containerPort === "number") {
        numbers.push(entry.containerPort);
        const protocol = text(entry.protocol) ?? "TCP";
        const key = protocol === "TCP" ? String(entry.containerPort) : `${entry.containerPort}/${protocol}`;
        firstOrDuplicate(
          portNumbers,
          key,
          [...at, "ports", i, "containerPort"],
          `containerPort ${key}`,
          report,
        );
      }
    }
    uniqueEnvNames([...at, "env"], container.env, report);
    requestsWithinLimits([...at, "resources"], container.resources, report);
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"] as const) {
      for (const handler of ["httpGet", "tcpSocket"] as const) {
        const port = text(fields(fields(container[probe])[handler]).port);
        if (port !== undefined && !ownPorts.includes(port)) {
          report(
            [...at, probe, handler, "port"],
            `container "${name ?? index}" declares no port named "${port}"`,
            {
              hint: unknownNameHint(port, ownPorts),
            },
          );
        }
      }
    }
  }
  return { containers: [...containerNames.keys()], portNames: [...portNames.keys()], portNumbers: numbers };
}

/** Endpoints and metrics name ports some container declares (in containers mode). */
function checkPortReferences(raw: Fields, declared: Declared, report: Report): void {
  if (raw.containers === undefined) return; // manifests mode: the ports live in the manifests
  const exists = (path: Path, port: unknown) => {
    if (typeof port === "string" && !declared.portNames.includes(port)) {
      report(path, `no container declares a port named "${port}"`, {
        hint: unknownNameHint(port, declared.portNames),
      });
    } else if (
      typeof port === "number" &&
      declared.portNumbers.length > 0 &&
      !declared.portNumbers.includes(port)
    ) {
      report(path, `no container declares port ${port}`, {
        hint: `declared: ${listNames(declared.portNumbers.map(String))}`,
      });
    }
  };
  items(fields(raw.endpoints).exposes).forEach((endpoint, index) =>
    exists(["endpoints", "exposes", index, "port"], fields(endpoint).port),
  );
  exists(["metrics", "port"], fields(raw.metrics).port);
}

/** Overrides name containers that exist, and follow the same rules as the containers they change. */
function checkEnvironmentOverrides(raw: Fields, containers: string[], report: Report): void {
  for (const [envName, env] of Object.entries(fields(raw.environments))) {
    for (const [container, override] of Object.entries(fields(fields(env).containers))) {
      const at = ["environments", envName, "containers", container];
      if (raw.containers === undefined) {
        report(at, "container overrides change containers, and this app deploys manifests", {
          hint: "bind images with manifests.images",
          at: "key",
        });
        continue;
      }
      if (!containers.includes(container)) {
        report(at, `no container named "${container}"`, {
          hint: unknownNameHint(container, containers),
          at: "key",
        });
      }
      uniqueEnvNames([...at, "env"], fields(override).env, report);
      requestsWithinLimits([...at, "resources"], fields(override).resources, report);
    }
  }
}

/** Remembers the first use of a key and reports every later one as "duplicate <what>". */
function firstOrDuplicate(
  seen: Map<string, Path>,
  key: string,
  path: Path,
  what: string,
  report: Report,
): void {
  const first = seen.get(key);
  if (first === undefined) seen.set(key, path);
  else report(path, `duplicate ${what} (also at ${formatPath(first)})`);
}

function uniqueEnvNames(path: Path, env: unknown, report: Report): void {
  const names = new Map<string, Path>();
  for (const [index, entry] of items(env).entries()) {
    const name = text(fields(entry).name);
    if (name !== undefined)
      firstOrDuplicate(names, name, [...path, index, "name"], `env name "${name}"`, report);
  }
}

/** Kubernetes refuses a request above its limit; say so before anything is applied. */
function requestsWithinLimits(path: Path, resources: unknown, report: Report): void {
  const requests = fields(fields(resources).requests);
  const limits = fields(fields(resources).limits);
  for (const resource of ["cpu", "memory"] as const) {
    const request = requests[resource];
    const limit = limits[resource];
    if (typeof request !== "string" && typeof request !== "number") continue;
    if (typeof limit !== "string" && typeof limit !== "number") continue;
    const requested = quantityValue(request);
    const allowed = quantityValue(limit);
    if (requested !== undefined && allowed !== undefined && requested > allowed) {
      report([...path, "requests", resource], `request ${request} is more than the limit ${limit}`, {
        hint: "Kubernetes refuses a request above its limit",
      });
    }
  }
}
