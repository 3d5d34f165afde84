import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { NotAllowedError, NotFoundError } from "../../core/errors.js";
import { approvalEnvironment, ungatedEnvironments } from "../../core/pipeline/permissions.js";
import type { ExecutionStatus, PipelineDefinition } from "../../core/pipeline/types.js";
import { history } from "../../delivery/releases.js";
import { isAdmin, mayApprove, mayDeploy } from "../auth/roles.js";
import type { Principal, TokenStore } from "../auth/tokens.js";
import type { AuditLog } from "../audit.js";
import type { EventBus, LiveEvent } from "../events.js";
import type { Overview } from "../overview.js";
import { Snapshot } from "../snapshot.js";
import { deployTargets, type ExecutionRow, type StageRow } from "../executions/store.js";
import { appAtCommit, type RunServices, startExecution } from "../runs.js";
import { EnvironmentTargets } from "../targets.js";
import { registerAppViews } from "./app-views.js";
import { AuthenticationError } from "./errors.js";
import {
  type AppStatusFilter,
  appsPage,
  appsQuery,
  auditQuery,
  decisionRequest,
  executionsQuery,
  parseWith,
  rollbackRequest,
  runRequest,
  sessionRequest,
  tokenRequest,
} from "./schemas.js";

export interface ApiServices extends RunServices {
  tokens: TokenStore;
  overview: Overview;
  audit: AuditLog;
  events: EventBus;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** `ui` when the request came from the web UI (it says so), else `api`; the CLI sends `cli`. */
function sourceOf(request: FastifyRequest): "api" | "cli" | "ui" {
  const client = request.headers["x-railyard-client"];
  return client === "cli" || client === "ui" ? client : "api";
}

function principal(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new AuthenticationError("no valid API token", { hint: "Send Authorization: Bearer <token>." });
  return request.principal;
}

function actorOf(p: Principal): string {
  return `token:${p.name}`;
}

export function executionView(execution: ExecutionRow, stages?: StageRow[]) {
  const definition = execution.definition as PipelineDefinition;
  return {
    id: execution.id,
    seq: execution.seq,
    app: execution.app,
    pipeline: execution.pipeline,
    status: execution.status,
    message: execution.message,
    actor: execution.actor,
    trigger: execution.trigger,
    args: execution.args,
    source: execution.source,
    createdAt: execution.created_at,
    startedAt: execution.started_at,
    finishedAt: execution.finished_at,
    ...(stages
      ? {
          stages: definition.stages.map((stage) => {
            const state = stages.find((s) => s.id === stage.id);
            return {
              ...stage,
              status: state?.status ?? "pending",
              message: state?.message ?? null,
              attempts: state?.attempts ?? 0,
              startedAt: state?.started_at ?? null,
              finishedAt: state?.finished_at ?? null,
              output: state?.output ?? {},
            };
          }),
        }
      : {}),
  };
}

export function registerApi(app: FastifyInstance, services: ApiServices): void {
  // Deny by default: every /api/v1 route needs a valid token.
  app.addHook("onRequest", async (request) => {
    if (request.url.split("?")[0]?.endsWith("/session") && request.method === "POST") return; // signs in
    const header = request.headers.authorization;
    const bearer = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    const cookie = bearer ? undefined : sessionCookie(request.headers.cookie);
    const token = bearer ?? cookie;
    if (!token) {
      throw new AuthenticationError("not signed in", {
        hint: "Send Authorization: Bearer <token>, or sign in with POST /api/v1/session.",
      });
    }
    // A browser sends its cookie with any request, also one another site makes it send: changes
    // made with the cookie must carry a header that only this site's own scripts can set.
    if (cookie && request.method !== "GET" && request.headers["x-railyard-csrf"] !== "1") {
      throw new NotAllowedError(
        "a change made with the session cookie needs the X-Railyard-CSRF: 1 header.",
        {
          hint: "The web UI sends it; other clients use Authorization: Bearer.",
        },
      );
    }
    const found = await services.tokens.authenticate(token);
    if (!found)
      throw new AuthenticationError("unknown or revoked API token", { hint: "Ask an admin for a token." });
    request.principal = found;
  });

  // Sign in for browsers: the token goes into an HttpOnly cookie, never into script-readable storage.
  app.post("/session", async (request, reply) => {
    const body = parseWith(sessionRequest, request.body, "sign-in");
    const found = await services.tokens.authenticate(body.token);
    if (!found) throw new AuthenticationError("unknown or revoked API token", { hint: "Check the token." });
    const secure = request.protocol === "https" ? "; Secure" : "";
    void reply.header(
      "set-cookie",
      `${SESSION_COOKIE}=${encodeURIComponent(body.token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200${secure}`,
    );
    await services.audit.append({
      actor: actorOf(found),
      source: "ui",
      action: "session.start",
      outcome: "signed in",
    });
    return { name: found.name, roles: found.grants };
  });

  app.delete("/session", async (_request, reply) => {
    void reply.header("set-cookie", `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    return { signedOut: true };
  });

  app.get("/whoami", async (request) => {
    const p = principal(request);
    return { name: p.name, roles: p.grants };
  });

  app.get("/environments", async () => {
    const platform = services.platform.current();
    return {
      items: Object.entries(platform.environments).map(([name, env]) => ({
        name,
        namespace: env.namespace,
        domain: env.domain ?? null,
      })),
    };
  });

  // Many clients poll the app list: they share one read of the latest executions a second, and this
  // server's own changes refresh it at once.
  const latestExecutions = new Snapshot(() => services.store.latestOfEveryApp(), 1000);
  services.events.subscribe((event) => {
    if (event.type === "execution") latestExecutions.invalidate();
  });

  // The app list: registered apps by name, a page at a time, each with what runs in each environment
  // (from the store's index) and its latest execution.
  app.get(
    "/apps",
    { schema: { response: { 200: z.toJSONSchema(appsPage, { target: "draft-7" }) } } },
    async (request) => {
      const query = parseWith(appsQuery, request.query, "query");
      const platform = services.platform.current();
      const needle = query.q?.toLowerCase();
      let candidates = Object.keys(platform.apps ?? {})
        .filter((name) => (!needle || name.includes(needle)) && (!query.after || name > query.after))
        .sort();
      if (query.status) {
        // Filtered before paging: a page holds `limit` matching apps. Both reads are shared snapshots.
        const [states, latest] = await Promise.all([
          services.overview.states(candidates),
          latestExecutions.get(),
        ]);
        const matching = appsWithStatus(query.status, states, latest);
        candidates = candidates.filter((name) => matching.has(name));
      }
      const names = candidates.slice(0, query.limit + 1);
      const page = names.slice(0, query.limit);
      const [states, latest] = await Promise.all([services.overview.states(page), latestExecutions.get()]);
      return {
        items: page.map((name) => {
          const entry = platform.apps![name]!;
          return {
            name,
            repository: entry.repository,
            path: entry.path,
            branch: entry.branch ?? "main",
            environments: Object.fromEntries(
              states
                .filter((s) => s.app === name)
                .map((s) => [
                  s.environment,
                  {
                    revision: s.revision,
                    status: s.status,
                    images: s.images,
                    version: s.args.version ?? null,
                    message: s.message,
                    execution: s.execution_id,
                    actor: s.actor,
                    at: s.updated_at.toISOString(),
                  },
                ]),
            ),
            latestExecution: (() => {
              const e = latest.find((row) => row.app === name);
              return e
                ? {
                    id: e.id,
                    status: e.status,
                    message: e.message,
                    pipeline: e.pipeline,
                    at: e.created_at.toISOString(),
                  }
                : null;
            })(),
          };
        }),
        next: names.length > query.limit ? page.at(-1) : null,
      };
    },
  );

  app.get<{ Params: { app: string } }>("/apps/:app/pipeline", async (request) => {
    const at = await appAtCommit(services, request.params.app);
    return { commit: at.commit, pipeline: at.pipeline };
  });

  app.post<{ Params: { app: string } }>("/apps/:app/runs", async (request, reply) => {
    const p = principal(request);
    const body = parseWith(runRequest, request.body, "run request");
    const at = await appAtCommit(services, request.params.app, body.commit);
    if (body.pipeline && body.pipeline !== at.pipeline.name) {
      throw new NotFoundError(
        `app ${at.app.name} has no pipeline ${body.pipeline} (it has ${at.pipeline.name}).`,
      );
    }
    requireRunRights(p, at.pipeline, Object.keys(services.platform.current().environments));
    const source = sourceOf(request);
    const { execution, created } = await startExecution(services, {
      at,
      event: { kind: "manual", source, actor: actorOf(p), args: body.args },
      triggerKey: `manual:${randomUUID()}`,
      args: body.args,
      actor: actorOf(p),
      source,
    });
    return reply
      .code(created ? 201 : 200)
      .send(executionView(execution, await services.store.stages(execution.id)));
  });

  app.get("/executions", async (request) => {
    const query = parseWith(executionsQuery, request.query, "query");
    const rows = await services.store.list(query);
    const next = rows.length === query.limit ? rows.at(-1)!.seq : null;
    return { items: rows.map((r) => executionView(r)), next };
  });

  app.get<{ Params: { id: string } }>("/executions/:id", async (request) => {
    const execution = await requireExecution(services, request.params.id);
    return executionView(execution, await services.store.stages(execution.id));
  });

  app.post<{ Params: { id: string } }>("/executions/:id/cancel", async (request) => {
    const p = principal(request);
    const execution = await requireExecution(services, request.params.id);
    const targets = execution.targets;
    if (!isAdmin(p.grants) && !targets.some((env) => mayDeploy(p.grants, env))) {
      throw new NotAllowedError(
        `token ${p.name} may not cancel executions deploying to ${targets.join(", ")}.`,
      );
    }
    const accepted = await services.store.requestCancel(execution.id);
    await services.audit.append({
      actor: actorOf(p),
      source: sourceOf(request),
      action: "execution.cancel",
      outcome: accepted ? "requested" : "already finished",
      app: execution.app,
      executionId: execution.id,
    });
    services.kick();
    return { accepted };
  });

  const decide =
    (approved: boolean) => async (request: FastifyRequest<{ Params: { id: string; stage: string } }>) => {
      const p = principal(request);
      const body = parseWith(decisionRequest, request.body, "decision");
      const execution = await requireExecution(services, request.params.id);
      const definition = execution.definition as PipelineDefinition;
      const stage = definition.stages.find((s) => s.id === request.params.stage);
      if (!stage || stage.kind !== "approval") {
        throw new NotFoundError(`execution ${execution.id} has no approval stage ${request.params.stage}.`);
      }
      const environment = approvalEnvironment(definition, stage.id) ?? "*";
      const audit = (outcome: string) =>
        services.audit.append({
          actor: actorOf(p),
          source: sourceOf(request),
          action: approved ? "approval.approve" : "approval.reject",
          outcome,
          app: execution.app,
          environment,
          executionId: execution.id,
          detail: { stage: stage.id, comment: body.comment ?? null },
        });
      if (!mayApprove(p.grants, environment)) {
        await audit("forbidden");
        throw new NotAllowedError(`token ${p.name} may not approve deploys to ${environment}.`, {
          hint: `Approvals here need approve:${environment}.`,
        });
      }
      const platform = services.platform.current();
      const author = (execution.trigger as { author?: string; sender?: string }).author;
      const forbidSelf = stage.forbidAuthor || platform.environments[environment]?.forbidSelfApproval;
      if (approved && forbidSelf && author && [p.name, actorOf(p)].includes(author)) {
        await audit("forbidden: author");
        throw new NotAllowedError(`${p.name} wrote this change and may not approve it in ${environment}.`, {
          hint: "Ask another approver.",
        });
      }
      const recorded = await services.store.decide(execution.id, stage.id, {
        approved,
        by: actorOf(p),
        comment: body.comment,
      });
      await audit(recorded ? (approved ? "approved" : "rejected") : "not waiting");
      if (!recorded) {
        throw new NotAllowedError(
          `stage ${stage.id} of execution ${execution.id} is not waiting for a decision.`,
        );
      }
      services.kick();
      return { recorded };
    };
  app.post("/executions/:id/stages/:stage/approve", decide(true));
  app.post("/executions/:id/stages/:stage/reject", decide(false));

  // One kept connection per environment for the reads the UI repeats (history, resources, logs).
  const targets = new EnvironmentTargets(services.platform);
  registerAppViews(app, targets);

  app.get<{ Params: { app: string; env: string } }>(
    "/apps/:app/environments/:env/history",
    async (request) => {
      const records = await history(targets.connect(request.params.app, request.params.env));
      return {
        items: records.map(({ objects: _objects, ...summary }) => summary),
      };
    },
  );

  app.post<{ Params: { app: string; env: string } }>(
    "/apps/:app/environments/:env/rollback",
    async (request, reply) => {
      const p = principal(request);
      const body = parseWith(rollbackRequest, request.body, "rollback request");
      const { app: appName, env } = request.params;
      if (!mayDeploy(p.grants, env)) {
        throw new NotAllowedError(`token ${p.name} may not roll back ${env}.`, {
          hint: `Rollbacks need deploy:${env}.`,
        });
      }
      const at = await appAtCommit(services, appName);
      const definition: PipelineDefinition = {
        name: "rollback",
        source: "api",
        triggers: [],
        stages: [{ id: `rollback-${env}`, kind: "rollback", environment: env, to: body.to, dependsOn: [] }],
      };
      const { execution } = await startExecution(services, {
        at: { ...at, pipeline: definition },
        event: { kind: "manual", source: "api", actor: actorOf(p), args: {} },
        triggerKey: `rollback:${randomUUID()}`,
        args: {},
        actor: actorOf(p),
        source: sourceOf(request),
      });
      return reply.code(201).send(executionView(execution, await services.store.stages(execution.id)));
    },
  );

  app.get("/audit", async (request) => {
    const query = parseWith(auditQuery, request.query, "query");
    const rows = await services.audit.list({ ...query, executionId: query.execution });
    return { items: rows, next: rows.length === query.limit ? rows.at(-1)!.id : null };
  });

  app.get("/tokens", async (request) => {
    requireAdmin(principal(request));
    return { items: await services.tokens.list() };
  });

  app.post("/tokens", async (request, reply) => {
    const p = requireAdmin(principal(request));
    const body = parseWith(tokenRequest, request.body, "token request");
    const created = await services.tokens.create(body.name, body.roles, actorOf(p));
    await services.audit.append({
      actor: actorOf(p),
      source: sourceOf(request),
      action: "token.create",
      outcome: "created",
      detail: { id: created.id, name: body.name, roles: body.roles },
    });
    return reply.code(201).send(created);
  });

  app.delete<{ Params: { id: string } }>("/tokens/:id", async (request) => {
    const p = requireAdmin(principal(request));
    const revoked = await services.tokens.revoke(request.params.id);
    await services.audit.append({
      actor: actorOf(p),
      source: sourceOf(request),
      action: "token.revoke",
      outcome: revoked ? "revoked" : "not found",
      detail: { id: request.params.id },
    });
    if (!revoked) throw new NotFoundError(`no active token ${request.params.id}.`);
    return { revoked };
  });

  // Live updates: server-sent events, optionally for one app or execution.
  app.get<{ Querystring: { app?: string; execution?: string } }>(
    "/events",
    (request, reply: FastifyReply) => {
      const { app: onlyApp, execution: onlyExecution } = request.query;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write(": connected\n\n");
      const send = (event: LiveEvent) => {
        if (onlyApp && "app" in event && event.app !== onlyApp) return;
        if (
          onlyExecution &&
          !("execution" in event
            ? event.execution === onlyExecution
            : "id" in event && event.id === onlyExecution)
        )
          return;
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const unsubscribe = services.events.subscribe(send);
      const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
      request.raw.on("close", () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}

/**
 * The apps that match a status filter of the app list: `failed` when an environment's last deploy or
 * rollback failed or the latest execution failed; `active` when the latest execution is still going.
 */
function appsWithStatus(
  status: AppStatusFilter,
  states: { app: string; status: string }[],
  latest: { app: string; status: string }[],
): Set<string> {
  if (status === "active") {
    return new Set(latest.filter((e) => ACTIVE_STATUSES.includes(e.status)).map((e) => e.app));
  }
  return new Set([
    ...states.filter((s) => s.status === "failed").map((s) => s.app),
    ...latest.filter((e) => e.status === "failed").map((e) => e.app),
  ]);
}

const ACTIVE_STATUSES: string[] = ["queued", "running", "waiting"] satisfies ExecutionStatus[];

/**
 * Who may start a pipeline: deploy rights on every environment it reaches without an approval first;
 * a pipeline that reaches none that way still needs deploy rights on one it reaches (or any, if it
 * deploys nowhere). A viewer never starts runs.
 */
function requireRunRights(p: Principal, pipeline: PipelineDefinition, environments: string[]): void {
  const ungated = ungatedEnvironments(pipeline);
  const denied = ungated.filter((env) => !mayDeploy(p.grants, env));
  if (denied.length > 0) {
    throw new NotAllowedError(`token ${p.name} may not deploy to ${denied.join(", ")}.`, {
      hint: `Runs of this pipeline need ${denied.map((e) => `deploy:${e}`).join(", ")}.`,
    });
  }
  const reached = deployTargets(pipeline);
  const candidates = reached.length > 0 ? reached : environments;
  if (ungated.length === 0 && !candidates.some((env) => mayDeploy(p.grants, env))) {
    throw new NotAllowedError(`token ${p.name} may not deploy to ${candidates.join(" or ")}.`, {
      hint: "Starting a run needs deploy:<environment> for one of them.",
    });
  }
}

const SESSION_COOKIE = "railyard_session";

function sessionCookie(header: string | undefined): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE && value.length > 0) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

function requireAdmin(p: Principal): Principal {
  if (!isAdmin(p.grants))
    throw new NotAllowedError(`token ${p.name} is not an admin.`, { hint: "Tokens are managed by admins." });
  return p;
}

async function requireExecution(services: ApiServices, id: string): Promise<ExecutionRow> {
  const execution = /^[0-9a-f-]{36}$/.test(id) ? await services.store.get(id) : undefined;
  if (!execution) throw new NotFoundError(`no execution ${id}.`);
  return execution;
}
