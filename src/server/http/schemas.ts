import { z } from "zod";
import { InputError } from "../../core/errors.js";

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

export const appsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().optional().describe("The last app name of the previous page."),
  q: z.string().max(100).optional().describe("Only apps whose name contains this."),
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

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
  throw new InputError(`invalid ${what}: ${problems.join("; ")}`, { hint: "See /api/openapi.json." });
}
