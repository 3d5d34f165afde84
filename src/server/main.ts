import { join, resolve } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { sql } from "kysely";
import { type ObservedRequest, requestObservers } from "../adapters/kubernetes/client.js";
import { openStore, type Store } from "../adapters/store/store.js";
import { AuditLog } from "./audit.js";
import { TokenStore } from "./auth/tokens.js";
import { PlatformSource } from "./config.js";
import { EventBus } from "./events.js";
import { relayEvents } from "./events-relay.js";
import { ExecutionStore } from "./executions/store.js";
import { Worker } from "./executions/worker.js";
import { registerApi } from "./http/api.js";
import { errorBody, httpStatus } from "./http/errors.js";
import { refuseOversizeBeforeContinue } from "./http/expect-continue.js";
import { HOOK_BODY_LIMIT, registerHooks } from "./http/hooks.js";
import { openApiDocument } from "./http/openapi.js";
import { registerSecurityHeaders, registerWeb } from "./http/web.js";
import { Metrics } from "./metrics.js";
import { Overview } from "./overview.js";

export interface ServerOptions {
  configFile: string;
  host?: string;
  port?: number;
  /** PostgreSQL URL; default the embedded store in `dataDir`. */
  databaseUrl?: string;
  /** Embedded store, checkouts: default `.railyard/` beside the platform config. */
  dataDir?: string;
  /** A token created (or kept) at start with the admin role: how the first admin gets in. */
  adminToken?: string;
  leaseMs?: number;
  pollMs?: number;
  workers?: number;
  /** Run the worker (default true); a server may also only serve the API. */
  work?: boolean;
  log?: (line: string) => void;
  version?: string;
  /** The built web UI (web/dist), served at `/`; without one, `/` says the UI is not built. */
  webDir?: string;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  worker: Worker;
  close(): Promise<void>;
}

/** The largest JSON body the API reads; webhooks have their own limit (HOOK_BODY_LIMIT). */
const API_BODY_LIMIT = 1024 * 1024;

/** The composition root of `railyard server`: store, worker, API, webhooks, health, metrics and the web UI. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const platform = new PlatformSource(options.configFile);
  const dataDir = resolve(options.dataDir ?? join(platform.baseDir, ".railyard"));
  const store = await openStore({ databaseUrl: options.databaseUrl, dataDir: join(dataDir, "store") });
  const events = new EventBus();
  const metrics = new Metrics();
  const observe = (request: ObservedRequest) =>
    metrics.kubeRequest(request.method, request.status, request.seconds);
  requestObservers.push(observe);
  const audit = new AuditLog(store.db, (entry) =>
    events.publish({ type: "audit", id: entry.id, action: entry.action, app: entry.app }),
  );
  const executions = new ExecutionStore(store.db);
  const overview = new Overview(store.db);
  const tokens = new TokenStore(store.db);
  if (options.adminToken) await tokens.create("admin", ["admin"], "server start", options.adminToken);

  const checkoutsDir = join(dataDir, "checkouts");
  const worker = new Worker({
    store: executions,
    audit,
    events,
    metrics,
    overview,
    platform,
    checkoutsDir,
    leaseMs: options.leaseMs,
    pollMs: options.pollMs,
    concurrency: options.workers,
    log,
  });
  const services = {
    platform,
    store: executions,
    audit,
    tokens,
    events,
    overview,
    checkoutsDir,
    kick: () => worker.kick(),
  };

  const app = Fastify({ bodyLimit: API_BODY_LIMIT, logger: false, forceCloseConnections: true });
  refuseOversizeBeforeContinue(app.server, (url) =>
    url.startsWith("/hooks/") ? HOOK_BODY_LIMIT : API_BODY_LIMIT,
  );
  registerSecurityHeaders(app);
  app.setErrorHandler((error, request, reply) => {
    const status = httpStatus(error);
    if (status >= 500) log(`${request.method} ${request.url}: ${(error as Error).stack ?? String(error)}`);
    void reply.code(status).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ error: { code: "NotFound", message: `no route ${request.method} ${request.url}` } });
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await sql`select 1`.execute(store.db);
      return { status: "ready", store: store.kind, config: platform.lastError ?? "ok" };
    } catch (error) {
      return reply.code(503).send({ status: "not ready", reason: (error as Error).message });
    }
  });
  app.get("/metrics", async (_request, reply) => {
    const rows = await store.db
      .selectFrom("executions")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute();
    const executionsByStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    return reply.type("text/plain; version=0.0.4").send(metrics.render({ executionsByStatus }));
  });
  const document = openApiDocument(options.version ?? "0");
  app.get("/api/openapi.json", async () => document);
  await app.register(async (api) => registerApi(api, services), { prefix: "/api/v1" });
  await app.register(async (hooks) => registerHooks(hooks, { ...services, metrics }), { prefix: "/hooks" });
  registerWeb(app, { dir: options.webDir, log });

  const relay = options.databaseUrl ? await relayEvents(events, options.databaseUrl, log) : undefined;
  const url = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 7700 });
  if (options.work ?? true) worker.start();
  log(
    `Railyard server on ${url} (store: ${store.kind === "postgres" ? "PostgreSQL" : `embedded, ${dataDir}`})`,
  );

  return {
    url,
    app,
    store,
    worker,
    async close() {
      await worker.stop();
      await relay?.close();
      await app.close();
      await store.close();
      requestObservers.splice(requestObservers.indexOf(observe), 1);
    },
  };
}
