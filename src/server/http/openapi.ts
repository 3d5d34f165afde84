import { z } from "zod";
import {
  appEnvironmentParams,
  appsPage,
  appsQuery,
  decisionRequest,
  diffQuery,
  logsQuery,
  podParams,
  resourceTreeView,
  revisionDiffView,
  revisionParams,
  revisionView,
  rollbackRequest,
  runRequest,
  sessionRequest,
  tokenRequest,
} from "./schemas.js";

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
const json = (s: z.ZodType) => ({ content: { "application/json": { schema: schema(s) } } });
const ok = (description: string) => ({
  description,
  content: { "application/json": { schema: { type: "object" } } },
});
/** A 200 answer described by the zod schema of what the route returns. */
const okWith = (description: string, s: z.ZodType) => ({
  description,
  content: {
    "application/json": { schema: z.toJSONSchema(s, { io: "output", unrepresentable: "any" }) },
  },
});
/** Path or query parameters from the zod schema that validates them. */
const parameters = (where: "path" | "query", s: z.ZodObject) =>
  Object.entries(s.shape).map(([name, field]) => {
    const { $schema: _, description, ...fieldSchema } = schema(field as z.ZodType);
    return {
      name,
      in: where,
      required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: fieldSchema,
    };
  });
const errors = {
  "400": { description: "Invalid input; the body says which field and what to do." },
  "401": { description: "No valid token (or webhook signature)." },
  "403": { description: "The token's roles do not allow this." },
  "404": { description: "No such app, execution, stage or token." },
};
const path = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });
const query = (name: string, type = "string") => ({ name, in: "query", required: false, schema: { type } });
const page = [query("limit", "integer"), query("before", "integer")];

/** The OpenAPI document of the HTTP API, built from the same zod schemas that validate requests. */
export function openApiDocument(version: string) {
  return {
    openapi: "3.1.0",
    info: { title: "Railyard API", version },
    components: {
      securitySchemes: { token: { type: "http", scheme: "bearer" } },
    },
    security: [{ token: [] }],
    paths: {
      "/api/v1/session": {
        post: {
          summary:
            "Sign in (sets an HttpOnly, SameSite=Strict cookie); changes made with the cookie need X-Railyard-CSRF: 1",
          security: [],
          requestBody: json(sessionRequest),
          responses: { "200": ok("Who"), "401": errors["401"] },
        },
        delete: { summary: "Sign out", responses: { "200": ok("Signed out") } },
      },
      "/api/v1/whoami": {
        get: { summary: "The calling token's name and roles", responses: { "200": ok("Who"), ...errors } },
      },
      "/api/v1/environments": {
        get: { summary: "Environments", responses: { "200": ok("Environments"), ...errors } },
      },
      "/api/v1/apps": {
        get: {
          summary: "Registered apps, a page at a time, with what runs in each environment",
          parameters: parameters("query", appsQuery),
          responses: { "200": okWith("A page of apps", appsPage), ...errors },
        },
      },
      "/api/v1/apps/{app}/pipeline": {
        get: {
          summary: "An app's resolved pipeline at its branch head",
          parameters: [path("app")],
          responses: { "200": ok("Pipeline"), ...errors },
        },
      },
      "/api/v1/apps/{app}/runs": {
        post: {
          summary: "Start a manual run",
          parameters: [path("app")],
          requestBody: json(runRequest),
          responses: { "201": ok("The execution"), ...errors },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/history": {
        get: {
          summary: "Release records of an app in an environment",
          parameters: [path("app"), path("env")],
          responses: { "200": ok("Revisions"), ...errors },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/revisions/{revision}": {
        get: {
          summary: "One revision: its record and its objects as YAML (Secret values are never kept)",
          parameters: parameters("path", revisionParams),
          responses: { "200": okWith("The revision", revisionView), ...errors },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/diff": {
        get: {
          summary: "What changed between two revisions: a unified diff per object",
          parameters: [...parameters("path", appEnvironmentParams), ...parameters("query", diffQuery)],
          responses: { "200": okWith("The objects, each with its change", revisionDiffView), ...errors },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/resources": {
        get: {
          summary: "What runs now: Deployments, their ReplicaSets and pods, and the app's other objects",
          parameters: parameters("path", appEnvironmentParams),
          responses: {
            "200": okWith("The resource tree", resourceTreeView),
            ...errors,
            "502": { description: "The environment's cluster cannot be reached, or failed." },
          },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/pods/{pod}/logs": {
        get: {
          summary: "A container's log of one of the app's pods (text; streamed with follow=1)",
          parameters: [...parameters("path", podParams), ...parameters("query", logsQuery)],
          responses: {
            "200": {
              description: "Log text; with follow=1 it streams until the client disconnects.",
              content: { "text/plain": { schema: { type: "string" } } },
            },
            ...errors,
            "502": { description: "The environment's cluster cannot be reached, or failed." },
          },
        },
      },
      "/api/v1/apps/{app}/environments/{env}/rollback": {
        post: {
          summary: "Roll back (as an execution)",
          parameters: [path("app"), path("env")],
          requestBody: json(rollbackRequest),
          responses: { "201": ok("The execution"), ...errors },
        },
      },
      "/api/v1/executions": {
        get: {
          summary: "Executions, newest first",
          parameters: [...page, query("app"), query("status")],
          responses: {
            "200": ok("A page of executions; `next` is the `before` of the next page"),
            ...errors,
          },
        },
      },
      "/api/v1/executions/{id}": {
        get: {
          summary: "One execution with its stages",
          parameters: [path("id")],
          responses: { "200": ok("Execution"), ...errors },
        },
      },
      "/api/v1/executions/{id}/cancel": {
        post: {
          summary: "Cancel",
          parameters: [path("id")],
          responses: { "200": ok("Accepted"), ...errors },
        },
      },
      "/api/v1/executions/{id}/stages/{stage}/approve": {
        post: {
          summary: "Approve a waiting approval stage",
          parameters: [path("id"), path("stage")],
          requestBody: json(decisionRequest),
          responses: { "200": ok("Recorded"), ...errors },
        },
      },
      "/api/v1/executions/{id}/stages/{stage}/reject": {
        post: {
          summary: "Reject a waiting approval stage",
          parameters: [path("id"), path("stage")],
          requestBody: json(decisionRequest),
          responses: { "200": ok("Recorded"), ...errors },
        },
      },
      "/api/v1/audit": {
        get: {
          summary: "The audit log, newest first",
          parameters: [
            ...page,
            query("actor"),
            query("app"),
            query("environment"),
            query("action"),
            query("execution"),
            query("since"),
            query("until"),
          ],
          responses: { "200": ok("A page of entries"), ...errors },
        },
      },
      "/api/v1/tokens": {
        get: {
          summary: "Tokens (admin)",
          responses: { "200": ok("Tokens, without their values"), ...errors },
        },
        post: {
          summary: "Create a token (admin); its value is returned once",
          requestBody: json(tokenRequest),
          responses: { "201": ok("The token"), ...errors },
        },
      },
      "/api/v1/tokens/{id}": {
        delete: {
          summary: "Revoke a token (admin)",
          parameters: [path("id")],
          responses: { "200": ok("Revoked"), ...errors },
        },
      },
      "/api/v1/events": {
        get: {
          summary: "Live updates (text/event-stream)",
          parameters: [query("app"), query("execution")],
          responses: { "200": { description: "Server-sent events" } },
        },
      },
      "/hooks/github": {
        post: {
          summary: "GitHub webhook (X-Hub-Signature-256)",
          security: [],
          responses: {
            "202": ok("Started executions, or why not"),
            "401": errors["401"],
            "413": { description: "Body too large" },
          },
        },
      },
      "/hooks/gitlab": {
        post: {
          summary: "GitLab webhook (X-Gitlab-Token)",
          security: [],
          responses: { "202": ok("Started executions, or why not"), "401": errors["401"] },
        },
      },
      "/hooks/registry": {
        post: {
          summary: "Docker distribution notifications (Authorization: Bearer)",
          security: [],
          responses: { "202": ok("Started executions"), "401": errors["401"] },
        },
      },
      "/healthz": { get: { summary: "Alive", security: [], responses: { "200": { description: "ok" } } } },
      "/readyz": {
        get: {
          summary: "Ready (the store answers)",
          security: [],
          responses: { "200": { description: "ok" }, "503": { description: "not ready" } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          security: [],
          responses: { "200": { description: "text format" } },
        },
      },
    },
  };
}
