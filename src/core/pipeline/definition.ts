/**
 * From what people write to the `PipelineDefinition` the engine runs: the app's own `pipeline:`,
 * a platform template filled in with its parameters, or the default (each environment in turn, with
 * an approval before each after the first). Everything is checked here, at load time, and every
 * problem is reported at once, in the file where it is written: the app file for an inline pipeline
 * and for `with`, the platform config for a template's stages.
 */
import { z } from "zod";
import { InputError } from "../errors.js";
import { compileCondition } from "../expressions/condition.js";
import { parseImageReference } from "../images/reference.js";
import { type AppSpec, appLocations } from "../spec/app.js";
import {
  type Locate,
  type PathSegment,
  type SpecIssue,
  formatPath,
  issueAt,
  SpecError,
} from "../spec/issues.js";
import { type PlatformConfig, platformLocations } from "../spec/platform.js";
import {
  type PipelineBody,
  type StageSpec,
  type TriggerSpec,
  PARAMS_PREFIX,
  parameterHoles,
  pipelineSchemas,
  stringLeaves,
  unknownParameter,
} from "../spec/pipeline.js";
import { checkSchema } from "../spec/schema-issues.js";
import { listNames, unknownNameHint } from "../spec/suggest.js";
import { replaceHoles } from "../spec/template.js";
import { durationMs } from "./duration.js";
import {
  type ApprovalStage,
  type PipelineDefinition,
  type StageDefinition,
  type TriggerFilter,
  STAGE_KINDS,
} from "./types.js";

export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Branches whose pushes start the default pipeline. */
export const DEFAULT_BRANCHES: readonly string[] = ["main", "master"];
export const DEFAULT_PLATFORM_FILE = "railyard.config.yaml";

export interface ResolveOptions {
  /** Where the app file's fields are written; default from when `readAppSpec` loaded it. */
  locateApp?: Locate;
  /** Where the platform config's fields are written; default from when `readPlatformConfig` loaded it. */
  locatePlatform?: Locate;
  /** The platform config's name in messages (default railyard.config.yaml). */
  platformFile?: string;
}

type Path = readonly PathSegment[];
type Report = (path: Path, message: string, options?: { hint?: string; at?: "key" }) => void;

const nowhere: Locate = () => ({ line: 0, col: 0 });

/** The app's pipeline, resolved and checked; throws SpecError listing every problem. */
export function resolvePipeline(
  app: AppSpec,
  appFile: string,
  platform: PlatformConfig,
  options: ResolveOptions = {},
): PipelineDefinition {
  const issues: SpecIssue[] = [];
  const locateApp = options.locateApp ?? appLocations(app) ?? nowhere;
  const platformFile = options.platformFile ?? DEFAULT_PLATFORM_FILE;
  const locatePlatform = options.locatePlatform ?? platformLocations(platform) ?? nowhere;
  const files: Files = {
    app: (path, message, opts) =>
      issues.push(issueAt(appFile, locateApp, ["pipeline", ...path], message, opts)),
    platform: (path, message, opts) =>
      issues.push(issueAt(platformFile, locatePlatform, path, message, opts)),
    platformFile,
    locatePlatform,
  };
  const spec = app.pipeline;
  let resolved: Omit<PipelineDefinition, "name"> | undefined;
  if (spec === undefined) {
    resolved = defaultPipeline(app, platform);
  } else if (spec.template !== undefined) {
    resolved = fromTemplate(app, spec.template, spec.with ?? {}, platform, files, issues);
  } else {
    const body: PipelineBody = {
      stages: spec.stages ?? [],
      ...(spec.triggers ? { triggers: spec.triggers } : {}),
    };
    noParameters(body, files.app);
    resolved = { source: "app", ...build(body, app, platform, files.app) };
  }
  if (issues.length > 0 || resolved === undefined) throw new SpecError(issues);
  return { name: app.name, ...resolved };
}

interface Files {
  /** Reports at `pipeline.<path>` in the app file. */
  app: Report;
  /** Reports at `<path>` in the platform config. */
  platform: Report;
  platformFile: string;
  locatePlatform: Locate;
}

/** `{{ params.x }}` means something in a template only; in the app file it would stay as written. */
function noParameters(body: PipelineBody, report: Report): void {
  for (const leaf of stringLeaves(body)) {
    let params: string[];
    try {
      params = parameterHoles(leaf.value);
    } catch {
      continue; // a malformed hole is reported by the check of the field it is in, where it matters
    }
    for (const param of params) {
      report(
        leaf.path,
        `"${leaf.value}" uses {{ ${PARAMS_PREFIX}${param} }}, and only pipeline templates have parameters`,
        {
          hint: "name a template with pipeline.template, or write the value out",
        },
      );
    }
  }
}

function fromTemplate(
  app: AppSpec,
  name: string,
  given: Record<string, string | number | boolean>,
  platform: PlatformConfig,
  files: Files,
  issues: SpecIssue[],
): Omit<PipelineDefinition, "name"> | undefined {
  const templates = platform.pipelineTemplates ?? {};
  const template = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (template === undefined) {
    const known = Object.keys(templates);
    files.app(["template"], `template "${name}" is not in the platform config`, {
      hint:
        known.length === 0
          ? "the platform config defines no pipelineTemplates"
          : unknownNameHint(name, known),
    });
    return undefined;
  }

  const defaults = template.parameters ?? {};
  const declared = Object.keys(defaults);
  const values = new Map<string, string>();
  for (const [param, value] of Object.entries(defaults)) if (value !== null) values.set(param, String(value));
  for (const [param, value] of Object.entries(given)) {
    if (declared.includes(param)) {
      values.set(param, String(value));
      continue;
    }
    files.app(["with", param], `template "${name}" has no parameter "${param}"`, {
      hint:
        declared.length === 0 ? `template "${name}" takes no parameters` : unknownNameHint(param, declared),
      at: "key",
    });
  }

  // Fill in every string; remember which fields took a value from `with`, so a problem with that
  // value is reported where it is written (the app file), not in the template.
  const prefix = ["pipelineTemplates", name];
  const atTemplate: Report = (path, message, opts) => files.platform([...prefix, ...path], message, opts);
  const fromWith = new Map<string, { path: Path; param: string }>();
  const filledIn = new Map<string, string>();
  const missing = new Set<string>();
  let unfilled = false;
  const filled = mapStrings({ triggers: template.triggers, stages: template.stages }, [], (value, path) => {
    try {
      const result = replaceHoles(value, (hole) => {
        if (!hole.startsWith(PARAMS_PREFIX)) return `{{ ${hole} }}`; // filled in by the engine
        const param = hole.slice(PARAMS_PREFIX.length);
        const filling = values.get(param);
        if (filling !== undefined) {
          if (Object.hasOwn(given, param)) fromWith.set(formatPath([...prefix, ...path]), { path, param });
          return filling;
        }
        unfilled = true;
        if (declared.includes(param)) {
          missing.add(param);
        } else {
          const { message, hint } = unknownParameter(value, param, name, declared);
          atTemplate(path, message, { hint });
        }
        return "";
      });
      if (result !== value) filledIn.set(formatPath([...prefix, ...path]), result);
      return result;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unfilled = true;
      atTemplate(path, error.message);
      return value;
    }
  });
  for (const param of missing) {
    files.app(["template"], `template "${name}" needs parameter "${param}", which has no default`, {
      hint: `set it under pipeline.with`,
    });
  }
  if (unfilled) return undefined;

  // A report about a field filled from `with` goes to the app file, naming the template's field.
  const report: Report = (path, message, opts) => {
    const source = fromWith.get(formatPath([...prefix, ...path]));
    if (source === undefined) return atTemplate(path, message, opts);
    const { at: _, ...rest } = opts ?? {};
    files.app(["with", source.param], `template "${name}" ${formatPath(source.path)}: ${message}`, rest);
  };

  // The filled-in template must now pass the checks an inline pipeline passes.
  const schema = z.object({ pipelineTemplates: z.object({ [name]: pipelineSchemas().pipelineBodySchema }) });
  const checked = checkSchema(
    schema,
    { pipelineTemplates: { [name]: filled } },
    files.platformFile,
    files.locatePlatform,
  );
  if (!checked.ok) {
    for (const issue of checked.issues) {
      const source = fromWith.get(issue.path);
      const value = filledIn.get(issue.path);
      if (source === undefined) {
        issues.push(
          value === undefined
            ? issue
            : { ...issue, message: `${issue.message}, once filled in as "${value}"` },
        );
      } else {
        const where = formatPath(source.path);
        files.app(["with", source.param], `template "${name}" ${where}: ${issue.message}`, {
          ...(issue.hint === undefined ? {} : { hint: issue.hint }),
        });
      }
    }
    return undefined;
  }
  const body = checked.data.pipelineTemplates[name] as PipelineBody;
  return { source: `template:${name}`, ...build(body, app, platform, report) };
}

/** A copy of `value` with every string replaced by `fill(string, path)`. */
function mapStrings(
  value: unknown,
  path: PathSegment[],
  fill: (value: string, path: Path) => string,
): unknown {
  if (typeof value === "string") return fill(value, path);
  if (Array.isArray(value)) return value.map((item, index) => mapStrings(item, [...path, index], fill));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, mapStrings(item, [...path, key], fill)]),
    );
  }
  return value;
}

/**
 * Checks a pipeline against itself and the platform config, and converts it. Like `dependsOn`,
 * `triggers` left out means the default and `[]` means none (manual runs only).
 */
function build(
  body: PipelineBody,
  app: AppSpec,
  platform: PlatformConfig,
  report: Report,
): { triggers: TriggerFilter[]; stages: StageDefinition[] } {
  const ids = new Map<string, number>();
  body.stages.forEach((stage, index) => {
    const first = ids.get(stage.id);
    if (first === undefined) ids.set(stage.id, index);
    else report(["stages", index, "id"], `duplicate stage id "${stage.id}" (also at stages[${first}].id)`);
  });
  const known = [...ids.keys()];
  const environments = Object.keys(platform.environments);
  const checkEnvironment = (path: Path, env: string) => {
    if (environments.includes(env)) return;
    report(path, `environment "${env}" is not in the platform config`, {
      hint: unknownNameHint(env, environments),
    });
  };

  const stages = body.stages.map((spec, index) => {
    const at = ["stages", index];
    let dependsOn: string[];
    if (spec.dependsOn === undefined) {
      const previous = body.stages[index - 1];
      dependsOn = previous === undefined ? [] : [previous.id];
    } else {
      dependsOn = [...new Set(spec.dependsOn)];
      spec.dependsOn.forEach((dependency, i) => {
        if (ids.has(dependency)) return;
        report([...at, "dependsOn", i], `depends on unknown stage "${dependency}"`, {
          hint: unknownNameHint(dependency, known),
        });
      });
    }
    return convertStage(spec, dependsOn, at, { platform, report, checkEnvironment });
  });

  let graphOk = true;
  for (const cycle of findCycles(body.stages, stages)) {
    graphOk = false;
    report(cycle.path, `stages depend on each other in a cycle: ${cycle.names.join(" → ")}`, {
      ...(cycle.implicit
        ? { hint: "a stage without dependsOn depends on the one before it in the list" }
        : {}),
    });
  }
  if (graphOk) completeApprovals(stages, body.stages, platform, report);

  const triggers = body.triggers === undefined ? defaultTriggers(app) : body.triggers.map(convertTrigger);
  return { triggers, stages };
}

interface StageContext {
  platform: PlatformConfig;
  report: Report;
  checkEnvironment: (path: Path, env: string) => void;
}

function convertStage(spec: StageSpec, dependsOn: string[], at: Path, ctx: StageContext): StageDefinition {
  const { report, checkEnvironment } = ctx;
  const base = { id: spec.id, dependsOn };
  const ms = (duration: string) => durationMs(duration) ?? 0; // the schema checked it
  const kind = STAGE_KINDS.find((key) => spec[key] !== undefined);
  switch (kind) {
    case "deploy": {
      const short = typeof spec.deploy === "string";
      const deploy = typeof spec.deploy === "string" ? { environment: spec.deploy } : spec.deploy!;
      checkEnvironment(short ? [...at, "deploy"] : [...at, "deploy", "environment"], deploy.environment);
      return {
        ...base,
        kind,
        environment: deploy.environment,
        ...(deploy.timeout === undefined ? {} : { timeoutMs: ms(deploy.timeout) }),
        ...(deploy.rollback === undefined ? {} : { rollback: deploy.rollback }),
      };
    }
    case "approval": {
      const approval = spec.approval!;
      if (approval.environment !== undefined)
        checkEnvironment([...at, "approval", "environment"], approval.environment);
      return {
        ...base,
        kind,
        ...(approval.environment === undefined ? {} : { environment: approval.environment }),
        ...(approval.message === undefined ? {} : { message: approval.message }),
        ...(approval.links === undefined ? {} : { links: approval.links }),
        timeoutMs: approval.timeout === undefined ? DEFAULT_APPROVAL_TIMEOUT_MS : ms(approval.timeout),
        ...(approval.forbidAuthor === true ? { forbidAuthor: true } : {}),
      };
    }
    case "check": {
      const condition = spec.check!;
      try {
        compileCondition(condition);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        report([...at, "check"], error.message, error.hint === undefined ? {} : { hint: error.hint });
      }
      return { ...base, kind, condition };
    }
    case "patch": {
      const patch = spec.patch!;
      checkEnvironment([...at, "patch", "environment"], patch.environment);
      const problem = imageProblem(patch.image);
      if (problem !== undefined) report([...at, "patch", "image"], problem);
      return {
        ...base,
        kind,
        environment: patch.environment,
        workload: patch.workload,
        ...(patch.container === undefined ? {} : { container: patch.container }),
        image: patch.image,
      };
    }
    case "rollback": {
      const short = typeof spec.rollback === "string";
      const rollback = typeof spec.rollback === "string" ? { environment: spec.rollback } : spec.rollback!;
      checkEnvironment(
        short ? [...at, "rollback"] : [...at, "rollback", "environment"],
        rollback.environment,
      );
      return {
        ...base,
        kind,
        environment: rollback.environment,
        ...("to" in rollback && rollback.to !== undefined ? { to: rollback.to } : {}),
      };
    }
    case "wait":
      return { ...base, kind, durationMs: ms(spec.wait!) };
    case "webhook": {
      const short = typeof spec.webhook === "string";
      const url = typeof spec.webhook === "string" ? spec.webhook : spec.webhook!.url;
      checkWebhookTarget(url, ctx.platform, short ? [...at, "webhook"] : [...at, "webhook", "url"], report);
      return { ...base, kind, url };
    }
    default:
      // The schema lets no stage through without exactly one kind.
      throw new InputError(`stage "${spec.id}" has none of ${STAGE_KINDS.join(", ")}`);
  }
}

/** Why an image reference with `{{ }}` holes cannot be one once filled in, or undefined. */
function imageProblem(image: string): string | undefined {
  let filled: string;
  try {
    filled = replaceHoles(image, () => "0"); // "0" is valid in every part of a reference
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.message;
  }
  const parsed = parseImageReference(filled);
  return "error" in parsed ? `"${image}" is not a valid image reference: it ${parsed.error}` : undefined;
}

function checkWebhookTarget(url: string, platform: PlatformConfig, path: Path, report: Report): void {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return; // the schema reported it
  }
  const allowed = platform.webhooks?.allowedTargets ?? [];
  if (webhookTargetAllowed(url, allowed)) return;
  const add = `add "${origin}" under webhooks.allowedTargets in the platform config`;
  if (allowed.length === 0) {
    report(path, `webhook to ${origin}: the platform config allows no webhook targets`, { hint: add });
  } else {
    report(path, `${origin} is not an allowed webhook target`, {
      hint: `allowed: ${listNames(allowed)}; or ${add}`,
    });
  }
}

/**
 * Whether a webhook stage may call `url`: an http(s) URL whose scheme and host are those of one of
 * `targets` (`scheme://host[:port]`); a target without a port allows any port of its host.
 */
export function webhookTargetAllowed(url: string, targets: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  if (parsed.username !== "" || parsed.password !== "") return false;
  return targets.some((target) => {
    let allowed: URL;
    try {
      allowed = new URL(target);
    } catch {
      return false;
    }
    if (allowed.protocol !== parsed.protocol || allowed.hostname !== parsed.hostname) return false;
    const explicitPort = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/:?#[]*):\d+/i.test(target);
    return !explicitPort || effectivePort(allowed) === effectivePort(parsed);
  });
}

const effectivePort = (url: URL) => url.port || (url.protocol === "https:" ? "443" : "80");

interface Cycle {
  names: string[];
  path: Path;
  /** Some edge of the cycle is a stage's default dependency on the one before it. */
  implicit: boolean;
}

/** Every cycle of the graph once, starting at its earliest stage in the list. */
function findCycles(specs: readonly StageSpec[], stages: readonly StageDefinition[]): Cycle[] {
  const index = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (!index.has(stage.id)) index.set(stage.id, i);
  });
  const edges = stages.map((stage) =>
    stage.dependsOn.map((id) => index.get(id)).filter((i): i is number => i !== undefined),
  );
  const state = stages.map(() => "new" as "new" | "open" | "done");
  const found = new Map<string, number[]>();
  // Depth-first without recursion: a long chain of stages must not exhaust the stack.
  for (let root = 0; root < stages.length; root++) {
    if (state[root] !== "new") continue;
    const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
    state[root] = "open";
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const target = edges[top.node]![top.next++];
      if (target === undefined) {
        state[top.node] = "done";
        stack.pop();
      } else if (state[target] === "open") {
        const from = stack.findIndex((frame) => frame.node === target);
        const nodes = stack.slice(from).map((frame) => frame.node);
        const start = nodes.indexOf(Math.min(...nodes));
        const rotated = [...nodes.slice(start), ...nodes.slice(0, start)];
        const key = [...rotated].sort((a, b) => a - b).join(",");
        if (!found.has(key)) found.set(key, rotated);
      } else if (state[target] === "new") {
        state[target] = "open";
        stack.push({ node: target, next: 0 });
      }
    }
  }
  return [...found.values()].map((nodes) => {
    const names = [...nodes, nodes[0]!].map((i) => stages[i]!.id);
    let path: Path | undefined;
    let implicit = false;
    nodes.forEach((node, k) => {
      const next = names[k + 1]!;
      const written = specs[node]?.dependsOn;
      if (written === undefined) implicit = true;
      else path ??= ["stages", node, "dependsOn", written.indexOf(next)];
    });
    return { names, path: path ?? ["stages", nodes[0]!, "id"], implicit };
  });
}

/**
 * An approval without an environment decides for the next deploy after it; where that environment
 * refuses self-approval, so does the stage.
 */
function completeApprovals(
  stages: StageDefinition[],
  specs: readonly StageSpec[],
  platform: PlatformConfig,
  report: Report,
): void {
  const order = pipelineStageOrder({ stages });
  const position = new Map(order.map((stage, i) => [stage, i]));
  const dependents = new Map<string, StageDefinition[]>();
  for (const stage of stages) {
    for (const id of stage.dependsOn) dependents.set(id, [...(dependents.get(id) ?? []), stage]);
  }
  stages.forEach((stage, index) => {
    if (stage.kind !== "approval") return;
    const approval: ApprovalStage = stage;
    if (approval.environment === undefined) {
      const downstream = new Set<StageDefinition>();
      const queue = [...(dependents.get(approval.id) ?? [])];
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        if (downstream.has(next)) continue;
        downstream.add(next);
        queue.push(...(dependents.get(next.id) ?? []));
      }
      const deploy = [...downstream]
        .filter((s) => s.kind === "deploy")
        .sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0))[0];
      if (deploy?.kind === "deploy") approval.environment = deploy.environment;
    }
    const env = approval.environment;
    if (env === undefined || !Object.hasOwn(platform.environments, env)) return;
    if (platform.environments[env]?.forbidSelfApproval !== true) return;
    approval.forbidAuthor = true;
    if (specs[index]?.approval?.forbidAuthor === false) {
      report(
        ["stages", index, "approval", "forbidAuthor"],
        `environment "${env}" refuses approvals from the author of the change (forbidSelfApproval); forbidAuthor: false cannot allow them`,
        { hint: "remove forbidAuthor" },
      );
    }
  });
}

function convertTrigger(spec: TriggerSpec): TriggerFilter {
  if (spec.image !== undefined) return { image: { ...spec.image } };
  const git = spec.git ?? {};
  return { git: { ...git } };
}

/** The default: deploy to each environment in the config's order, approving each after the first. */
function defaultPipeline(app: AppSpec, platform: PlatformConfig): Omit<PipelineDefinition, "name"> {
  const stages: StageDefinition[] = [];
  let previous: string | undefined;
  for (const [env, config] of Object.entries(platform.environments)) {
    if (previous !== undefined) {
      const id = `approve-${env}`;
      stages.push({
        id,
        kind: "approval",
        dependsOn: [previous],
        environment: env,
        message: `Deploy ${app.name} to ${env}?`,
        timeoutMs: DEFAULT_APPROVAL_TIMEOUT_MS,
        ...(config.forbidSelfApproval === true ? { forbidAuthor: true } : {}),
      });
      previous = id;
    }
    const id = `deploy-${env}`;
    stages.push({
      id,
      kind: "deploy",
      dependsOn: previous === undefined ? [] : [previous],
      environment: env,
    });
    previous = id;
  }
  return { source: "default", triggers: defaultTriggers(app), stages };
}

/** Pushes to main or master, and a push of any image repository the app deploys. */
export function defaultTriggers(app: AppSpec): TriggerFilter[] {
  const images = [
    ...(app.containers ?? []).map((container) => container.image),
    ...Object.values(app.manifests?.images ?? {}),
    ...Object.values(app.environments ?? {}).flatMap((env) =>
      Object.values(env.containers ?? {}).flatMap((container) => (container.image ? [container.image] : [])),
    ),
  ];
  const repositories = new Set<string>();
  for (const image of images) {
    const repository = imageRepository(image);
    if (repository !== undefined) repositories.add(repository);
  }
  return [
    { git: { branches: [...DEFAULT_BRANCHES] } },
    ...[...repositories].map((repository) => ({ image: { repository } })),
  ];
}

const HOLE = "railyardhole0";

/** The repository path of an image reference, unless a `{{ }}` hole makes it unknowable until deploy. */
export function imageRepository(image: string): string | undefined {
  let filled: string;
  try {
    filled = replaceHoles(image, () => HOLE);
  } catch {
    return undefined;
  }
  const parsed = parseImageReference(filled);
  if ("error" in parsed || parsed.repository.includes(HOLE)) return undefined;
  return parsed.repository;
}

/**
 * The stages in an order that runs every stage after the ones it depends on; among stages that could
 * go next, the one written first. Dependencies on stages not in the definition are ignored; throws
 * InputError on a cycle (a resolved definition has none).
 */
export function pipelineStageOrder(definition: Pick<PipelineDefinition, "stages">): StageDefinition[] {
  const stages = definition.stages;
  const index = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (!index.has(stage.id)) index.set(stage.id, i);
  });
  const waitingFor = stages.map((stage) => new Set(stage.dependsOn.filter((id) => index.has(id))).size);
  const dependents = stages.map(() => [] as number[]);
  stages.forEach((stage, i) => {
    for (const id of new Set(stage.dependsOn)) {
      const j = index.get(id);
      if (j !== undefined) dependents[j]!.push(i);
    }
  });
  // Ready stages by list position, smallest last (popped first).
  const ready = stages.flatMap((_, i) => (waitingFor[i] === 0 ? [i] : [])).reverse();
  const order: StageDefinition[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    order.push(stages[next]!);
    for (const dependent of dependents[next]!) {
      waitingFor[dependent]! -= 1;
      if (waitingFor[dependent] !== 0) continue;
      // Keep `ready` sorted, descending, so the earliest-written stage goes next.
      let at = ready.length;
      while (at > 0 && ready[at - 1]! < dependent) at--;
      ready.splice(at, 0, dependent);
    }
  }
  if (order.length < stages.length) {
    const left = stages.filter((stage) => !order.includes(stage)).map((stage) => stage.id);
    throw new InputError(`stages ${left.join(", ")} depend on each other in a cycle`);
  }
  return order;
}
