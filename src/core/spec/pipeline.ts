/**
 * The `pipeline:` section of an app file and the `pipelineTemplates` of the platform config: what
 * people write. The schemas check the shape; `resolvePipeline` (core/pipeline/definition.ts) fills
 * in templates and defaults, checks the graph against the platform config and converts durations.
 *
 * The same stage and trigger schemas serve both files. In a template (`templated`), a string with
 * `{{ params.NAME }}` holes passes the format checks here and is checked again once filled in.
 */
import { validRange } from "semver";
import { z } from "zod";
import { durationMs, DURATION_EXAMPLES } from "../pipeline/duration.js";
import { STAGE_KINDS } from "../pipeline/types.js";
import type { PathSegment } from "./issues.js";
import { ARG_NAME, DNS_LABEL, DNS_SUBDOMAIN, namedRecord, scalar } from "./names.js";
import { exactlyOneOf } from "./schema-issues.js";
import { unknownNameHint } from "./suggest.js";
import { templateVariables } from "./template.js";

/** Stage ids read like Kubernetes names: `deploy-production`. */
export const STAGE_ID = /^[a-z0-9](?:[-a-z0-9]{0,78}[a-z0-9])?$/;
/** A repository path in a registry: `shop/api`, without the registry host. */
const REPOSITORY_PATH = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** More stages than this is no pipeline anyone runs; the bound keeps the graph checks cheap. */
export const MAX_STAGES = 200;

const hasHoles = (value: string) => value.includes("{{");

/** A string of a given format; in a template, a string with holes is checked once filled in. */
function formatted(templated: boolean, pattern: RegExp, message: string) {
  return templated
    ? z.string().refine((value) => hasHoles(value) || pattern.test(value), message)
    : z.string().regex(pattern, message);
}

function formattedBy(templated: boolean, problem: (value: string) => string | undefined, expected?: string) {
  const type =
    expected === undefined
      ? {}
      : { error: (issue: { input: unknown }) => (issue.input === undefined ? undefined : expected) };
  return z.string(type).superRefine((value, ctx) => {
    if (templated && hasHoles(value)) return;
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });
}

/** Why `value` is not a positive duration, or undefined. */
export function durationProblem(value: string): string | undefined {
  // The CLI reads plain numbers as seconds; in a file, say the unit.
  if (/^\d+$/.test(value)) return `needs a unit: ${value}s, ${value}m or ${value}h`;
  const ms = durationMs(value);
  if (ms === undefined) return `is not a duration like ${DURATION_EXAMPLES}`;
  return ms === 0 ? "must be longer than 0s" : undefined;
}

/**
 * Why `value` is not a tag filter, or undefined. A filter is a semver range (`>=1.0.0`, `1.x`) if
 * `semver.validRange` accepts it, and a glob (`v*`, `release-*`) otherwise; text that starts like a
 * range or holds spaces is neither.
 */
export function tagFilterProblem(value: string): string | undefined {
  if (value.trim() === "") return "must not be empty";
  if (validRange(value) !== null) return undefined;
  if (/^[<>=~^]/.test(value) || /\s/.test(value)) {
    return `"${value}" is neither a semver range (e.g. >=1.0.0 <2.0.0) nor a tag glob (e.g. v*)`;
  }
  return undefined;
}

/** Why `value` is not an http(s) URL, or undefined. */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (url.username !== "" || url.password !== "") return "must not hold credentials";
  return undefined;
}

const duration = (templated: boolean) =>
  formattedBy(templated, durationProblem, `expected a duration like ${DURATION_EXAMPLES}`).describe(
    `A duration: ${DURATION_EXAMPLES}.`,
  );

const environmentName = (templated: boolean) =>
  formatted(templated, DNS_LABEL, "is not an environment name").describe(
    "An environment of the platform config.",
  );

const stageId = (templated: boolean) =>
  formatted(
    templated,
    STAGE_ID,
    "must be a stage id: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 80 characters",
  );

const httpUrl = (templated: boolean) => formattedBy(templated, httpUrlProblem);

const globs = (what: string) => z.array(z.string().min(1)).min(1).describe(what);

/** Options for `z.union` of a short form and a mapping: say both forms when neither fits. */
const either = (message: string) => ({ error: message });

function stageSchema(templated: boolean) {
  const env = environmentName(templated);
  const deploy = z
    .union(
      [
        env,
        z.strictObject({
          environment: env,
          timeout: duration(templated)
            .describe("How long the rollout may take before it counts as failed (default 5m).")
            .optional(),
          rollback: z
            .boolean()
            .describe("Roll back automatically when the rollout fails (default true).")
            .optional(),
        }),
      ],
      either("expected an environment name or { environment, timeout, rollback }"),
    )
    .describe("Deploy the app to an environment: `deploy: staging` or { environment, timeout, rollback }.");
  const approval = z
    .strictObject({
      message: z.string().min(1).describe("What the approver is asked.").optional(),
      links: z
        .array(
          z.strictObject({
            title: z.string().min(1).describe("Link text."),
            url: httpUrl(templated).describe("An http(s) URL, e.g. a dashboard."),
          }),
        )
        .describe("Links shown with the question.")
        .optional(),
      timeout: duration(templated)
        .describe("No decision within this time rejects the stage (default 24h).")
        .optional(),
      environment: env
        .describe("Whose approvers decide (the approve:<environment> role); default the next deploy's.")
        .optional(),
      forbidAuthor: z
        .boolean()
        .describe(
          "Refuse an approval from the author of the change (always so where the environment sets forbidSelfApproval).",
        )
        .optional(),
    })
    .describe("A person decides whether the pipeline goes on.");
  const patch = z
    .strictObject({
      environment: env,
      workload: formatted(templated, DNS_SUBDOMAIN, "is not a Deployment name").describe("Deployment name."),
      container: formatted(templated, DNS_LABEL, "is not a container name")
        .describe("Container whose image is set; default the only one.")
        .optional(),
      image: z
        .string()
        .min(1)
        .describe("Image reference; may use {{ arg }} holes, filled from the execution's args."),
    })
    .describe("Set the image of one container of a Deployment (a quick flow for dev namespaces).");
  const rollback = z
    .union(
      [
        env,
        z.strictObject({
          environment: env,
          to: z
            .number()
            .int()
            .min(1)
            .describe("Revision to roll back to; default the last good one.")
            .optional(),
        }),
      ],
      either("expected an environment name or { environment, to }"),
    )
    .describe("Roll an environment back: `rollback: staging` or { environment, to }.");
  const webhook = z
    .union(
      [httpUrl(templated), z.strictObject({ url: httpUrl(templated).describe("The URL to POST to.") })],
      either("expected a URL or { url }"),
    )
    .describe(
      "POST a JSON description of the execution to a URL; its scheme and host must be in webhooks.allowedTargets.",
    );
  return z
    .strictObject({
      id: stageId(templated).describe("Unique name of the stage, used in dependsOn."),
      dependsOn: z
        .array(stageId(templated))
        .describe(
          "Stages that must finish first. Default: the stage before it in the list; [] starts at once (a parallel branch).",
        )
        .optional(),
      deploy: deploy.optional(),
      approval: approval.optional(),
      check: z
        .string()
        .min(1)
        .describe('A condition that must hold, e.g. trigger.branch == "main" (CEL).')
        .optional(),
      patch: patch.optional(),
      rollback: rollback.optional(),
      wait: duration(templated).describe("Pause for a while, e.g. 10m.").optional(),
      webhook: webhook.optional(),
    })
    .superRefine(...exactlyOneOf(STAGE_KINDS))
    .describe(`One stage: an id and exactly one of ${STAGE_KINDS.join(", ")}.`);
}

function triggerSchema(templated: boolean) {
  const tags = formattedBy(templated, tagFilterProblem);
  return z
    .strictObject({
      git: z
        .strictObject({
          branches: globs("Branch globs (main, release/*) whose pushes start the pipeline.").optional(),
          tags: tags
            .describe("Tags whose push starts the pipeline: a semver range (>=1.0.0) or a glob (v*).")
            .optional(),
          paths: globs("Only when a changed path matches one of these globs.").optional(),
          merges: globs("Start on pull/merge requests merged into these branches.").optional(),
        })
        .describe("Pushes, tags and merges in the app's git repository.")
        .optional(),
      image: z
        .strictObject({
          repository: formatted(
            templated,
            REPOSITORY_PATH,
            "is not a repository path such as shop/api (lowercase, without the registry host)",
          ).describe("Repository path in the registry, e.g. shop/api."),
          tags: tags.describe("Tags: a semver range or a glob; default any tag.").optional(),
        })
        .describe("Images pushed to a registry.")
        .optional(),
    })
    .superRefine(...exactlyOneOf(["git", "image"]))
    .describe("What starts the pipeline: exactly one of git, image.");
}

/**
 * The pipeline schemas are built on first use: most commands (a deploy of an app without a pipeline)
 * never need them, and building zod schemas is a noticeable part of a command's start-up.
 */
function buildSchemas() {
  const stageSpecSchema = stageSchema(false);
  const triggerSpecSchema = triggerSchema(false);

  /** The filled-in form of a template's body, checked as strictly as an inline pipeline. */
  const pipelineBodySchema = z.strictObject({
    triggers: z.array(triggerSpecSchema).optional(),
    stages: z.array(stageSpecSchema).min(1).max(MAX_STAGES),
  });

  const triggers = (templated: boolean) =>
    z
      .array(triggerSchema(templated))
      .describe(
        "What starts the pipeline besides a manual run. Default: pushes to main or master and pushes of the app's images; [] for manual runs only.",
      );
  const stages = (templated: boolean) =>
    z
      .array(stageSchema(templated))
      .min(1)
      .max(MAX_STAGES)
      .describe("The stages; each runs after the one before it unless it says dependsOn.");

  const paramName = z
    .string()
    .regex(ARG_NAME, "is not a parameter name: letters, digits and _, not starting with a digit");

  const appPipelineSchema = z
    .strictObject({
      template: z
        .string()
        .regex(DNS_LABEL, "is not a template name")
        .describe("A pipeline template of the platform config (pipelineTemplates).")
        .optional(),
      with: namedRecord(paramName, scalar())
        .describe("Template parameters, overriding the template's defaults.")
        .optional(),
      triggers: triggers(false).optional(),
      stages: stages(false).optional(),
    })
    .superRefine(
      (pipeline, ctx) => {
        const has = (key: string) => (pipeline as Record<string, unknown>)[key] !== undefined;
        if (has("template")) {
          for (const key of ["triggers", "stages"]) {
            if (!has(key)) continue;
            const message = `comes from the template; a pipeline has either template or its own stages`;
            ctx.addIssue({ code: "custom", path: [key], message, params: { at: "key" } });
          }
        } else if (has("with")) {
          const message = "sets template parameters, and no template is named";
          ctx.addIssue({ code: "custom", path: ["with"], message, params: { at: "key" } });
        } else if (!has("stages")) {
          ctx.addIssue({
            code: "custom",
            message: "needs template or stages",
            params: { missingAlternative: true },
          });
        }
      },
      { when: (payload) => typeof payload.value === "object" && payload.value !== null },
    )
    .describe(
      "How the app is delivered: { template, with } to use a platform template, or { triggers, stages }. Default: deploy to each environment in turn, with an approval before each after the first.",
    );

  const pipelineTemplateSchema = z
    .strictObject({
      description: z.string().describe("What the template is for.").optional(),
      parameters: namedRecord(
        paramName,
        z.union([scalar(), z.null()], { error: "expected a string, or nothing for a required parameter" }),
      )
        .describe(
          "Parameters with their defaults, used as {{ params.NAME }} in any string of the stages and triggers; an empty default makes the parameter required.",
        )
        .optional(),
      triggers: triggers(true).optional(),
      stages: stages(true),
    })
    .describe("A pipeline apps use with `pipeline: { template: NAME, with: {...} }`.");
  return {
    stageSpecSchema,
    triggerSpecSchema,
    pipelineBodySchema,
    appPipelineSchema,
    pipelineTemplateSchema,
  };
}

type PipelineSchemas = ReturnType<typeof buildSchemas>;
let built: PipelineSchemas | undefined;
export function pipelineSchemas(): PipelineSchemas {
  return (built ??= buildSchemas());
}

export type StageSpec = z.output<PipelineSchemas["stageSpecSchema"]>;
export type TriggerSpec = z.output<PipelineSchemas["triggerSpecSchema"]>;
export type AppPipelineSpec = z.output<PipelineSchemas["appPipelineSchema"]>;
export type PipelineTemplate = z.output<PipelineSchemas["pipelineTemplateSchema"]>;

/** Triggers and stages: an inline pipeline, or a template once its parameters are filled in. */
export interface PipelineBody {
  triggers?: TriggerSpec[];
  stages: StageSpec[];
}

/** `"{{ params.x }}" uses unknown parameter "x"`, with the parameters it could have meant. */
export function unknownParameter(
  value: string,
  name: string,
  template: string,
  declared: readonly string[],
): { message: string; hint: string } {
  return {
    message: `"${value}" uses unknown parameter "${name}"`,
    hint:
      declared.length === 0
        ? `declare it under pipelineTemplates.${template}.parameters`
        : unknownNameHint(name, declared),
  };
}

/** The `params.NAME` holes of a template string, by NAME; throws InputError when a hole is malformed. */
export function parameterHoles(value: string): string[] {
  return templateVariables(value)
    .filter((name) => name.startsWith(PARAMS_PREFIX))
    .map((name) => name.slice(PARAMS_PREFIX.length));
}

export const PARAMS_PREFIX = "params.";

/** Every string in a parsed value, with its path below `prefix`. */
export function stringLeaves(
  value: unknown,
  prefix: readonly PathSegment[] = [],
): { path: PathSegment[]; value: string }[] {
  if (typeof value === "string") return [{ path: [...prefix], value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringLeaves(item, [...prefix, index]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, [...prefix, key]));
  }
  return [];
}
