import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { stringify } from "yaml";
import { PlatformSource } from "../config.js";
import { EnvironmentTargets } from "../targets.js";
import { registerAppViews } from "./app-views.js";
import { errorBody, httpStatus } from "./errors.js";

/**
 * The log stream's plumbing against a fake API server: what the cluster is asked, and that a client
 * going away ends the request to the cluster. The real cluster's side is in test/server/ui-api.test.ts.
 */
const SECRET = "fake-secret-value-5150";
const dir = mkdtempSync(join(tmpdir(), "railyard-views-"));
let cluster: Server;
let app: FastifyInstance;
let url: string;
const logRequests: { query: URLSearchParams; closed: Promise<void> }[] = [];

const pod = (name: string, labels: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop-stg", labels },
  spec: { containers: [{ name: "app" }, { name: "proxy" }] },
});
const pods: Record<string, unknown> = {
  "shop-1": pod("shop-1", { "railyard.dev/app": "shop", "railyard.dev/environment": "staging" }),
  "shop-prod-1": pod("shop-prod-1", { "railyard.dev/app": "shop", "railyard.dev/environment": "production" }),
  other: pod("other", { app: "other" }),
};

function fakeApiServer(req: IncomingMessage, res: ServerResponse): void {
  const { pathname, searchParams } = new URL(req.url ?? "/", "http://x");
  const log = /^\/api\/v1\/namespaces\/shop-stg\/pods\/([^/]+)\/log$/.exec(pathname);
  if (log) {
    const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
    logRequests.push({ query: searchParams, closed });
    res.writeHead(200, { "content-type": "text/plain" });
    // The secret is split across two writes: the scrubber still finds it.
    res.write(`line 1 token=${SECRET.slice(0, 8)}`);
    setTimeout(() => res.write(`${SECRET.slice(8)}\nline 2\n`), 20);
    if (searchParams.get("follow") !== "true") setTimeout(() => res.end(), 40);
    return;
  }
  const found = /^\/api\/v1\/namespaces\/shop-stg\/pods\/([^/]+)$/.exec(pathname);
  const object = found ? pods[found[1]!] : undefined;
  if (object) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(object));
    return;
  }
  if (pathname === "/apis/apps/v1/namespaces/shop-stg/deployments") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ items: [] }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", message: "not found", reason: "NotFound", code: 404 }));
}

const kubeconfig = (server: string) =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  });

before(async () => {
  cluster = createServer(fakeApiServer);
  await new Promise<void>((resolve) => cluster.listen(0, "127.0.0.1", resolve));
  const port = (cluster.address() as AddressInfo).port;
  writeFileSync(join(dir, "fake.kubeconfig"), kubeconfig(`http://127.0.0.1:${port}`));
  // Port 9 (discard) on loopback: nothing listens there.
  writeFileSync(join(dir, "down.kubeconfig"), kubeconfig("http://127.0.0.1:9"));
  process.env.RAILYARD_VIEWS_TEST_SECRET = SECRET;
  writeFileSync(
    join(dir, "railyard.config.yaml"),
    stringify({
      environments: {
        staging: {
          namespace: "shop-stg",
          cluster: { kubeconfig: "fake.kubeconfig" },
          secrets: { token: { fromEnv: "RAILYARD_VIEWS_TEST_SECRET" } },
        },
        down: { namespace: "shop-down", cluster: { kubeconfig: "down.kubeconfig" } },
      },
    }),
  );
  app = Fastify({ logger: false, forceCloseConnections: true });
  app.setErrorHandler((error, _request, reply) => {
    void reply.code(httpStatus(error)).send(errorBody(error));
  });
  await app.register(
    async (api) =>
      registerAppViews(api, new EnvironmentTargets(new PlatformSource(join(dir, "railyard.config.yaml")))),
    { prefix: "/api/v1" },
  );
  url = await app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await app?.close();
  cluster?.closeAllConnections();
  await new Promise((resolve) => cluster?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const logsOf = (pod: string, query = "", env = "staging") =>
  `${url}/api/v1/apps/shop/environments/${env}/pods/${pod}/logs${query}`;

describe("pod logs through the API", () => {
  it("answers text with the environment's secrets scrubbed, asking for the pod's first container by default", async () => {
    const res = await fetch(logsOf("shop-1"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    const text = await res.text();
    assert.equal(text, "line 1 token=***\nline 2\n");
    const asked = logRequests.at(-1)!.query;
    assert.equal(asked.get("container"), "app");
    assert.equal(asked.get("tailLines"), "500");
    assert.equal(asked.get("follow"), "false");
  });

  it("streams with follow=1 and ends the cluster's stream when the client goes away", async () => {
    const controller = new AbortController();
    const res = await fetch(logsOf("shop-1", "?follow=1&container=proxy&tailLines=20"), {
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const upstream = logRequests.at(-1)!;
    assert.equal(upstream.query.get("follow"), "true");
    assert.equal(upstream.query.get("container"), "proxy");
    assert.equal(upstream.query.get("tailLines"), "20");
    const reader = res.body!.getReader();
    let received = "";
    while (!received.includes("line 2")) received += Buffer.from((await reader.read()).value!).toString();
    assert.equal(received, "line 1 token=***\nline 2\n");
    controller.abort();
    await reader.read().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      upstream.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("the cluster's log stream stayed open")), 5_000);
      }),
    ]).finally(() => clearTimeout(timer));
  });

  it("refuses pods that are not the app's in that environment, and unknown containers", async () => {
    for (const pod of ["other", "shop-prod-1", "missing"]) {
      const res = await fetch(logsOf(pod));
      assert.equal(res.status, 404, pod);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /shop has no pod/);
    }
    assert.equal((await fetch(logsOf("shop-1", "?container=nope"))).status, 404);
    assert.equal((await fetch(logsOf("shop-1", "?tailLines=5001"))).status, 400);
    assert.equal((await fetch(logsOf("shop-1", "?follow=yes"))).status, 400);
    assert.equal((await fetch(logsOf("Shop_1"))).status, 400);
  });

  it("maps an unreachable cluster to 502 and an unknown environment to 404", async () => {
    const down = await fetch(`${url}/api/v1/apps/shop/environments/down/resources`);
    assert.equal(down.status, 502);
    assert.match(
      ((await down.json()) as { error: { message: string } }).error.message,
      /Cannot reach the cluster/,
    );
    assert.equal((await fetch(logsOf("shop-1", "", "down"))).status, 502);
    assert.equal((await fetch(`${url}/api/v1/apps/shop/environments/nowhere/resources`)).status, 404);
  });
});
