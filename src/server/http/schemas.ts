import { z } from "zod";
import { InputError } from "../../core/errors.js";
import type { ResourceTree } from "../../core/health/tree.js";
import { OBJECT_CHANGES, type RevisionComparison } from "../../core/release/compare.js";
import { RELEASE_STATUSES } from "../../core/release/record.js";
import { DNS_LABEL, DNS_SUBDOMAIN } from "../../core/spec/names.js";
import type { RecordSummary } from "../../delivery/inspect.js";

/** Request shapes of the API: validated here, and published in the OpenAPI document. */
export const runRequest = z
  .strictObject({
    pipeline: z.string().min(1).optional().describe("Pipeline name; default the app's pipeline."),
    commit: z
      .string()
      .regex(/^[0-9a-f]{40}$/, "is not a full commit id")
      .optional()
      .describe("Commit of the app's repository to run from; default its branch head."),
    args: z.record(z.string(), z.string()).default({}).describe("Args, as `--set k=v` would give them."),
  })
  .describe("A manual run of an app's pipeline.");

export const sessionRequest = z
  .strictObject({ token: z.string().min(1).max(500) })
  .describe("Sign in with an API token; the server keeps it in an HttpOnly cookie.");

export const decisionRequest = z
  .strictObject({ comment: z.string().max(2000).optional() })
  .describe("An approval decision, with an optional comment.");

export const rollbackRequest = z
  .strictObject({
    to: z.number().int().positive().optional().describe("Revision; default the last good one."),
  })
  .describe("Roll an environment back.");

export const tokenRequest = z
  .strictObject({
    name: z.string().min(1).max(100),
    roles: z
      .array(z.string())
      .min(1)
      .describe("viewer, admin, deploy:<env>, approve:<env>, deploy:*, approve:*"),
  })
  .describe("A new API token.");

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional(),
});

/** The app list's status filter: `failed` and `active` apps, as the UI's filter chips name them. */
export const APP_STATUS_FILTERS = ["failed", "active"] as const;
export type AppStatusFilter = (typeof APP_STATUS_FILTERS)[number];

export const appsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().optional().describe("The last app name of the previous page."),
  q: z.string().max(100).optional().describe("Only apps whose name contains this."),
  status: z
    .enum(APP_STATUS_FILTERS)
    .optional()
    .describe(
      "failed: an environment's last deploy failed, or the latest execution did; " +
        "active: the latest execution is queued, running or waiting.",
    ),
});

const deployedHere = z.object({
  revision: z.number().int().nullable(),
  status: z.string(),
  images: z.array(z.object({ container: z.string(), deployed: z.string(), digest: z.string().optional() })),
  version: z.string().nullable(),
  message: z.string().nullable(),
  execution: z.string().nullable(),
  actor: z.string(),
  at: z.string().describe("When the last deploy or rollback stage here finished (RFC 3339)."),
});

/** A page of the app list; published in the OpenAPI document and used to serialize responses fast. */
export const appsPage = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      repository: z.string(),
      path: z.string(),
      branch: z.string(),
      environments: z.record(z.string(), deployedHere).describe("What runs in each environment."),
      latestExecution: z
        .object({
          id: z.string(),
          status: z.string(),
          message: z.string().nullable(),
          pipeline: z.string(),
          at: z.string(),
        })
        .nullable(),
    }),
  ),
  next: z.string().nullable().describe("The `after` of the next page; null on the last page."),
});

export const executionsQuery = pageQuery.extend({
  app: z.string().optional(),
  status: z.string().optional(),
});

export const auditQuery = pageQuery.extend({
  actor: z.string().optional(),
  app: z.string().optional(),
  environment: z.string().optional(),
  action: z.string().optional(),
  execution: z.string().optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
});

const dnsLabel = z.string().regex(DNS_LABEL, "is not a name (lowercase letters, digits and '-')");

/** An app in an environment, as the path names them. */
export const appEnvironmentParams = z.object({
  app: dnsLabel.describe("App name."),
  env: dnsLabel.describe("Environment name."),
});

export const revisionParams = appEnvironmentParams.extend({
  revision: z.coerce.number().int().positive().describe("Revision number."),
});

export const diffQuery = z.object({
  from: z.coerce.number().int().positive().describe("The earlier revision."),
  to: z.coerce.number().int().positive().describe("The later revision."),
});

export const podParams = appEnvironmentParams.extend({
  pod: z.string().regex(DNS_SUBDOMAIN, "is not a pod name").describe("A pod of the app."),
});

export const logsQuery = z.object({
  container: dnsLabel.optional().describe("Container; default the pod's first."),
  follow: z
    .enum(["0", "1", "false", "true"])
    .optional()
    .transform((value) => value === "1" || value === "true")
    .describe("1: keep streaming new lines until the client disconnects."),
  tailLines: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .describe("How many of the last lines to start with."),
});

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
});

/** A release record without its objects, as the history lists it. */
export const recordSummary = z.object({
  app: z.string(),
  environment: z.string(),
  namespace: z.string(),
  revision: z.number().int(),
  status: z.enum(RELEASE_STATUSES),
  rollbackOf: z.number().int().optional().describe("The revision a rollback re-applied."),
  rolledBackBy: z.number().int().optional().describe("The revision that rolled this failed one back."),
  args: z.record(z.string(), z.string()),
  images: z.array(
    z.object({
      container: z.string(),
      reference: z.string(),
      digest: z.string().optional(),
      deployed: z.string(),
    }),
  ),
  source: z.object({
    commit: z.string().optional(),
    dirty: z.boolean().optional(),
    file: z.string().optional(),
  }),
  actor: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  diagnosis: z.string().optional(),
  message: z.string().optional(),
  origin: z.object({ execution: z.string(), stage: z.string() }).optional(),
});

export const revisionView = recordSummary
  .extend({
    manifest: z
      .string()
      .describe("The revision's objects as multi-document YAML; Secret values are never kept."),
  })
  .describe("One revision of an app in an environment.");

export const revisionDiffView = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    objects: z.array(
      z.object({
        kind: z.string(),
        name: z.string(),
        namespace: z.string().optional(),
        change: z.enum(OBJECT_CHANGES),
        diff: z.string().describe("A unified diff of the object's YAML; empty when unchanged."),
      }),
    ),
  })
  .describe("What changed between two revisions, object by object.");

export const resourceTreeView = z
  .object({
    namespace: z.string(),
    deployments: z.array(
      z.object({
        name: z.string(),
        generation: z.number().int(),
        observedGeneration: z.number().int(),
        replicas: z.number().int().describe("Desired replicas."),
        readyReplicas: z.number().int(),
        updatedReplicas: z.number().int(),
        availableReplicas: z.number().int(),
        conditions: z.array(condition),
        annotations: z
          .record(z.string(), z.string())
          .describe(
            "Annotations on the Deployment (untrusted text), without kubectl's and the controller's bookkeeping.",
          ),
        replicaSets: z
          .array(
            z.object({
              name: z.string(),
              revision: z.number().int().nullable(),
              replicas: z.number().int().describe("Desired replicas."),
              readyReplicas: z.number().int(),
              images: z.array(z.string()),
              createdAt: z.string().nullable(),
              pods: z.array(
                z.object({
                  name: z.string(),
                  phase: z.string(),
                  ready: z.boolean(),
                  readyContainers: z.number().int(),
                  totalContainers: z.number().int(),
                  restarts: z.number().int(),
                  node: z.string().nullable(),
                  startedAt: z.string().nullable(),
                  reason: z
                    .string()
                    .nullable()
                    .describe("Why it is not running, e.g. CrashLoopBackOff; null when it is."),
                  containers: z.array(z.string()),
                }),
              ),
            }),
          )
          .describe("Newest revision first."),
      }),
    ),
    others: z
      .array(z.object({ kind: z.string(), name: z.string() }))
      .describe("The app's other objects in its current revision."),
  })
  .describe("What runs of an app in an environment now.");

// The views above describe what the delivery functions return: these fail to compile when they part.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
export type _ViewsMatch = [
  Check<Same<z.output<typeof revisionView>, RecordSummary & { manifest: string }>>,
  Check<Same<z.output<typeof revisionDiffView>, RevisionComparison>>,
  Check<Same<z.output<typeof resourceTreeView>, ResourceTree>>,
];

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  throw new InputError(`invalid ${what}: ${problems.join("; ")}`, { hint: "See /api/openapi.json." });
}
