/**
 * The platform config (`railyard.config.yaml`): environments, registries, pipeline templates, the git
 * repositories and apps the server knows, and trigger sources, kept by the platform team. Secrets are
 * only ever references (`fromEnv`, `fromFile`), never values.
 */
import { z } from "zod";
import { type AppSpec, appLocations, type EnvEntry } from "./app.js";
import { type Locate, type PathSegment, type SpecIssue, issueAt, SpecError } from "./issues.js";
import {
  DATA_KEY,
  dnsLabel,
  DNS_SUBDOMAIN,
  KIND,
  namedRecord,
  PROCESS_ENV_NAME,
  REGISTRY_HOST,
  scalar,
} from "./names.js";
import { parameterHoles, pipelineSchemas, stringLeaves, unknownParameter } from "./pipeline.js";
import { fields, isFields, text as asText } from "./raw.js";
import { checkSchema, exactlyOneOf, withHint } from "./schema-issues.js";
import { unknownNameHint } from "./suggest.js";
import { templateVariables } from "./template.js";
import { templatedFields } from "./templated-fields.js";
import { parseYamlDocument } from "./yaml.js";
import { InputError } from "../errors.js";

export const INLINE_SECRET_HINT =
  "secrets are referenced, never written in the config: use fromEnv or fromFile";

export type SecretRef = { fromEnv: string } | { fromFile: string };

const secretRef = z
  .strictObject(
    {
      fromEnv: z
        .string()
        .regex(PROCESS_ENV_NAME, "is not an environment variable name")
        .describe("Environment variable of the Railyard process that holds the value.")
        .optional(),
      fromFile: z
        .string()
        .min(1)
        .describe("File holding the value, relative to the platform config.")
        .optional(),
    },
    {
      // Say why an inline value is refused, and never echo it back in the message.
      error: (issue) =>
        (issue.code === "invalid_type" && issue.input !== undefined) ||
        (issue.code === "unrecognized_keys" && issue.keys.includes("value"))
          ? withHint("a secret value may not be written here", INLINE_SECRET_HINT)
          : undefined,
    },
  )
  .superRefine(...exactlyOneOf(["fromEnv", "fromFile"]))
  // The refinement guarantees one source; the cast gives callers a union they can narrow with `in`.
  .transform((ref) => ref as SecretRef)
  .describe("A reference to a secret value: { fromEnv: NAME } or { fromFile: PATH }.");

const environment = z
  .strictObject({
    cluster: z
      .strictObject({
        kubeconfig: z
          .string()
          .min(1)
          .describe("Kubeconfig file, relative to this file; default the usual one.")
          .optional(),
        context: z
          .string()
          .min(1)
          .describe("Context in the kubeconfig; default its current context.")
          .optional(),
      })
      .describe("The cluster this environment deploys to.")
      .optional(),
    namespace: dnsLabel().describe("Namespace the app's objects go to."),
    allowedNamespaces: z
      .array(dnsLabel())
      .min(1)
      .describe("Namespaces objects may be applied to; default just `namespace`.")
      .optional(),
    allowedKinds: z
      .array(z.string().regex(KIND, "is not a Kubernetes kind (e.g. Deployment)"))
      .describe(
        "Kinds an app may deploy here, e.g. [Deployment, Service, Ingress, ConfigMap, Secret]; default any.",
      )
      .optional(),
    domain: z
      .string()
      .regex(DNS_SUBDOMAIN, "is not a DNS name")
      .describe("Domain for hosts, used as {{ env.domain }}.")
      .optional(),
    config: namedRecord(
      z.string().regex(DATA_KEY, "is not a config key (letters, digits, '-', '_', '.')"),
      scalar(),
    )
      .describe("Values apps read with `env: [{name, config: key}]`.")
      .optional(),
    secrets: namedRecord(
      z.string().regex(DATA_KEY, "is not a secret key (letters, digits, '-', '_', '.')"),
      secretRef,
    )
      .describe("Secrets apps read with `env: [{name, secret: key}]`, by reference only.")
      .optional(),
    deployers: z.array(z.string().min(1)).describe("Who may deploy to this environment.").optional(),
    imagePolicy: z
      .enum(["digest", "tag"])
      .default("digest")
      .describe("digest: pin images to their digest when deploying; tag: deploy the tag as written."),
    forbidSelfApproval: z
      .boolean()
      .describe("Refuse an approval for this environment from the author of the change.")
      .optional(),
  })
  .superRefine(
    (env, ctx) => {
      const allowed: unknown = env.allowedNamespaces;
      if (Array.isArray(allowed) && typeof env.namespace === "string" && !allowed.includes(env.namespace)) {
        ctx.addIssue({
          code: "custom",
          path: ["allowedNamespaces"],
          message: `does not include the environment's namespace "${env.namespace}"`,
        });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((env) => ({ ...env, allowedNamespaces: env.allowedNamespaces ?? [env.namespace] }))
  .describe("One environment: where it deploys and what it provides.");

const registry = z.strictObject({
  insecure: z.boolean().describe("Plain HTTP, or TLS without verification.").optional(),
  credentials: z
    .strictObject({
      username: z.union([z.string(), secretRef], {
        error: "expected a user name or { fromEnv } / { fromFile }",
      }),
      password: secretRef,
    })
    .optional(),
});

const CREDENTIALS_HINT = "put them under username and password, as { fromEnv: NAME } or { fromFile: PATH }";

/** Why a git URL is not one the server may fetch, without repeating what it holds; or undefined. */
function gitUrlProblem(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return undefined; // scp-like (git@host:path) or a path
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (!["http:", "https:", "ssh:", "git:", "file:"].includes(url.protocol))
    return "must be an http, https, ssh, git or file URL";
  if (url.password !== "" || (url.username !== "" && url.protocol !== "ssh:"))
    return withHint("must not hold credentials", CREDENTIALS_HINT);
  return undefined;
}

const repository = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .superRefine((value, ctx) => {
        const message = gitUrlProblem(value);
        if (message !== undefined) ctx.addIssue({ code: "custom", message });
      })
      .describe("Where to fetch it: an http(s), ssh, git or file URL, or a path on the server."),
    username: secretRef.describe("User name for http(s), by reference.").optional(),
    password: secretRef.describe("Password or token, by reference only.").optional(),
  })
  .describe("A git repository the server may fetch.");

const appSource = z
  .strictObject({
    repository: dnsLabel().describe("A repository named under repositories."),
    path: z
      .string()
      .min(1)
      .refine(
        (path) => !path.startsWith("/") && !path.split("/").includes(".."),
        "must be a path inside the repository, without a leading / or ..",
      )
      .describe("The app file, relative to the repository's root, e.g. services/api/railyard.yaml."),
    branch: z
      .string()
      .min(1)
      .describe("Branch to read the app file from; default the repository's default branch.")
      .optional(),
  })
  .describe("Where an app's app file lives.");

/** Why `value` is not a `scheme://host[:port]` webhook target, or undefined. */
function webhookTargetProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (url.username !== "" || url.password !== "") return "must not hold credentials";
  if (!/^[a-z]+:\/\/[^/?#]+\/?$/i.test(value)) return "must be scheme://host[:port], without a path";
  return undefined;
}

const webhooks = z
  .strictObject({
    github: z
      .strictObject({
        secret: secretRef.describe("The secret GitHub signs deliveries with (X-Hub-Signature-256)."),
      })
      .describe("Deliveries to /hooks/github.")
      .optional(),
    gitlab: z
      .strictObject({ token: secretRef.describe("The token GitLab sends in X-Gitlab-Token.") })
      .describe("Deliveries to /hooks/gitlab.")
      .optional(),
    registry: z
      .strictObject({
        token: secretRef.describe("The bearer token the registry sends with its notifications."),
      })
      .describe("Notifications to /hooks/registry.")
      .optional(),
    allowedTargets: z
      .array(
        z.string().superRefine((value, ctx) => {
          const message = webhookTargetProblem(value);
          if (message !== undefined) ctx.addIssue({ code: "custom", message });
        }),
      )
      .describe(
        "Where webhook stages may send requests, as scheme://host[:port]; without a port, any port of that host.",
      )
      .optional(),
  })
  .describe("Trigger sources' secrets (by reference only) and the targets webhook stages may call.");

export const platformSchema = z
  .strictObject({
    environments: namedRecord(dnsLabel(), environment)
      .refine((environments) => Object.keys(environments).length > 0, "must define at least one environment")
      .describe("Environments by name."),
    registries: namedRecord(
      z.string().regex(REGISTRY_HOST, "is not a registry host (host or host:port)"),
      registry,
    )
      .describe("Settings per registry host, for resolving image digests.")
      .optional(),
    pipelineTemplates: namedRecord(
      dnsLabel(),
      z.lazy(() => pipelineSchemas().pipelineTemplateSchema),
    )
      .describe("Pipelines apps share, by name: `pipeline: { template: NAME }` in the app file.")
      .optional(),
    repositories: namedRecord(dnsLabel(), repository)
      .describe("Git repositories the server may fetch, by name.")
      .optional(),
    apps: namedRecord(dnsLabel(53), appSource)
      .describe("Apps the server knows, by name: where their app file lives.")
      .optional(),
    webhooks: webhooks.optional(),
  })
  .meta({
    title: "Railyard platform config",
    description:
      "Environments, clusters, registries, pipeline templates and trigger sources, kept by the platform team (railyard.config.yaml).",
  });

export type PlatformConfig = z.output<typeof platformSchema>;
export type EnvironmentConfig = PlatformConfig["environments"][string];

const locations = new WeakMap<PlatformConfig, Locate>();

/** Where the fields of a platform config loaded by this module are written. */
export function platformLocations(platform: PlatformConfig): Locate | undefined {
  return locations.get(platform);
}

/** Parses and validates a platform config; throws SpecError listing every problem. */
export function readPlatformConfig(text: string, file: string): { platform: PlatformConfig; locate: Locate } {
  const { value, locate } = parseYamlDocument(text, file);
  const result = checkSchema(platformSchema, value, file, locate);
  const issues = [...(result.ok ? [] : result.issues), ...validatePlatform(value, file, locate)];
  if (!result.ok || issues.length > 0) throw new SpecError(issues);
  locations.set(result.data, locate);
  return { platform: result.data, locate };
}

export function loadPlatformConfig(text: string, file: string): PlatformConfig {
  return readPlatformConfig(text, file).platform;
}

/**
 * Rules across fields, read defensively from the parsed document so they report together with the
 * schema's issues: apps name known repositories, templates use only parameters they declare.
 */
function validatePlatform(raw: unknown, file: string, locate: Locate): SpecIssue[] {
  if (!isFields(raw)) return [];
  const issues: SpecIssue[] = [];
  const repositories = Object.keys(fields(raw.repositories));
  for (const [name, app] of Object.entries(fields(raw.apps))) {
    const repository = asText(fields(app).repository);
    if (repository === undefined || repositories.includes(repository)) continue;
    const hint =
      repositories.length === 0
        ? "the platform config defines no repositories; add it under repositories"
        : unknownNameHint(repository, repositories);
    const message = `repository "${repository}" is not in repositories`;
    issues.push(issueAt(file, locate, ["apps", name, "repository"], message, { hint }));
  }
  for (const [name, template] of Object.entries(fields(raw.pipelineTemplates))) {
    const declared = Object.keys(fields(fields(template).parameters));
    const body = { triggers: fields(template).triggers, stages: fields(template).stages };
    for (const leaf of stringLeaves(body, ["pipelineTemplates", name])) {
      try {
        for (const param of parameterHoles(leaf.value)) {
          if (declared.includes(param)) continue;
          const { message, hint } = unknownParameter(leaf.value, param, name, declared);
          issues.push(issueAt(file, locate, leaf.path, message, { hint }));
        }
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        issues.push(issueAt(file, locate, leaf.path, error.message));
      }
    }
  }
  return issues;
}

/**
 * What an app needs from one environment that the environment does not provide: the environment
 * itself, config and secret keys, a domain for `{{ env.domain }}`. Without `locate`, positions come
 * from when the app was loaded by `loadAppSpec` (or the issues name the file only).
 */
export function checkAppAgainstEnvironment(
  app: AppSpec,
  appFile: string,
  platform: PlatformConfig,
  envName: string,
  locate: Locate = appLocations(app) ?? (() => ({ line: 0, col: 0 })),
): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const report: Report = (path, message, hint, at) =>
    issues.push(issueAt(appFile, locate, path, message, { hint, ...(at ? { at } : {}) }));

  const known = Object.keys(platform.environments);
  for (const name of Object.keys(app.environments ?? {})) {
    if (known.includes(name)) continue;
    const message = `environment "${name}" is not in the platform config`;
    report(["environments", name], message, unknownNameHint(name, known), "key");
  }
  const env = Object.hasOwn(platform.environments, envName) ? platform.environments[envName] : undefined;
  if (env === undefined) {
    const message = `environment "${envName}" is not in the platform config`;
    issues.push({ file: appFile, line: 0, col: 0, path: "", message, hint: unknownNameHint(envName, known) });
    return issues;
  }
  checkConfigAndSecretKeys(app, envName, env, report);
  if (env.domain === undefined) checkDomainUse(app, envName, report);
  return issues;
}

type Report = (path: readonly PathSegment[], message: string, hint: string, at?: "key") => void;

/** Env entries that read `config:` or `secret:` keys the environment does not define. */
function checkConfigAndSecretKeys(
  app: AppSpec,
  envName: string,
  env: EnvironmentConfig,
  report: Report,
): void {
  const provided = { config: Object.keys(env.config ?? {}), secret: Object.keys(env.secrets ?? {}) };
  const override = Object.hasOwn(app.environments ?? {}, envName) ? app.environments?.[envName] : undefined;
  const lists: { path: PathSegment[]; entries: EnvEntry[] }[] = [
    ...(app.containers ?? []).map((c, i) => ({ path: ["containers", i, "env"], entries: c.env ?? [] })),
    ...Object.entries(override?.containers ?? {}).map(([name, c]) => ({
      path: ["environments", envName, "containers", name, "env"],
      entries: c.env ?? [],
    })),
  ];
  for (const { path, entries } of lists) {
    for (const [index, entry] of entries.entries()) {
      const reference = keyReference(entry);
      if (reference === undefined || provided[reference.source].includes(reference.key)) continue;
      const { source, key } = reference;
      const section = source === "config" ? "config" : "secrets";
      const hint =
        provided[source].length === 0
          ? `environment "${envName}" defines no ${section}; add it under environments.${envName}.${section} in the platform config`
          : unknownNameHint(key, provided[source]);
      report(
        [...path, index, source],
        `${source} "${key}" is not defined for environment "${envName}"`,
        hint,
      );
    }
  }
}

function keyReference(entry: EnvEntry): { source: "config" | "secret"; key: string } | undefined {
  if ("config" in entry) return { source: "config", key: entry.config };
  if ("secret" in entry) return { source: "secret", key: entry.secret };
  return undefined;
}

/** Templates that use `{{ env.domain }}` in an environment that has none. */
function checkDomainUse(app: AppSpec, envName: string, report: Report): void {
  for (const field of templatedFields(app)) {
    const [first, owner] = field.path;
    if (first === "environments" && owner !== envName) continue;
    if (!templateVariables(field.value).includes("env.domain")) continue;
    const message = `"${field.value}" uses env.domain, and environment "${envName}" has no domain`;
    report(field.path, message, `set environments.${envName}.domain in the platform config`);
  }
}
