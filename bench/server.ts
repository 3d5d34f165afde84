/**
 * The server's figures (issue 4), each printed with its goal:
 *   1. registry push → first apply request to the API server (p95; goal ≤ 250 ms), measured from the
 *      registry's notification reaching Railyard, and also from `skopeo copy` returning;
 *   2. GitHub push webhook → first apply request (p95; goal ≤ 1 s), including the git fetch;
 *   3. 200 concurrent executions on one server: all complete, and how long it took;
 *   4. the first page of the app list with 3,000 app-environments under load (p95; goal ≤ 100 ms),
 *      and the server's RSS with them (goal ≤ 256 MiB), for the embedded store and for PostgreSQL.
 *
 *   npx tsx bench/server.ts [--runs 20]
 *   npx tsx bench/server.ts --list-only      (4. alone)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type ObservedRequest, requestObservers } from "../src/adapters/kubernetes/client.js";
import { openStore } from "../src/adapters/store/store.js";
import { startCluster } from "../src/localcluster/cluster.js";
import { Overview } from "../src/server/overview.js";
import { startServer } from "../src/server/main.js";
import { startGitServer } from "../test/testkit/git-server.js";
import { startPostgres } from "../test/testkit/postgres.js";
import { freePort, runOk } from "../test/testkit/processes.js";
import { startRegistry } from "../test/testkit/registry.js";

const root = join(import.meta.dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const ADMIN = "ry_bench_admin";
const GITHUB_SECRET = "bench-github-secret";
const REGISTRY_TOKEN = "bench-registry-token";

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const debug = (line: string) => {
  if (process.env.RAILYARD_DEBUG) process.stderr.write(`[bench ${performance.now().toFixed(0)}] ${line}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app list under load, and the server's RSS, with 3,000 app-environments (1,000 apps × 3). */
async function listFigures(work: string, label: string, databaseUrl?: string) {
  const dir = mkdtempSync(join(work, "list-"));
  const apps = Object.fromEntries(
    Array.from({ length: 1000 }, (_, i) => [
      `app-${String(i).padStart(4, "0")}`,
      { repository: "apps", path: "x.yaml" },
    ]),
  );
  const environments = Object.fromEntries(
    ["dev", "staging", "production"].map((env) => [env, { namespace: env }]),
  );
  writeFileSync(
    join(dir, "railyard.config.yaml"),
    stringify({ environments, repositories: { apps: { url: "https://git.example.test/apps.git" } }, apps }),
  );
  const store = await openStore({ databaseUrl, dataDir: join(dir, ".railyard", "store") });
  const overview = new Overview(store.db);
  for (const app of Object.keys(apps)) {
    await Promise.all(
      Object.keys(environments).map((environment) =>
        overview.record({
          app,
          environment,
          revision: 7,
          status: "succeeded",
          images: [
            { container: "app", deployed: `registry.example.test/${app}:1.2.3@sha256:${"a".repeat(64)}` },
          ],
          args: { version: "1.2.3" },
          message: "revision 7 is live",
          executionId: randomUUID(),
          actor: "token:ci",
        }),
      ),
    );
  }
  await store.close();
  const listPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(root, "bin", "railyard.js"),
      "server",
      "--config",
      join(dir, "railyard.config.yaml"),
      "--port",
      String(listPort),
    ],
    {
      env: { ...process.env, RAILYARD_ADMIN_TOKEN: ADMIN, DATABASE_URL: databaseUrl ?? "" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  try {
    const base = `http://127.0.0.1:${listPort}`;
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(200);
    }
    const get = async () => {
      const started = performance.now();
      const response = await fetch(`${base}/api/v1/apps?limit=100`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const body = (await response.json()) as { items: unknown[] };
      if (body.items.length !== 100) throw new Error("short page");
      return performance.now() - started;
    };
    for (let i = 0; i < 20; i++) await get(); // warm up
    // Load: 10 clients back to back for 5 s.
    const latencies: number[] = [];
    const until = performance.now() + 5_000;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (performance.now() < until) latencies.push(await get());
      }),
    );
    const rss = Number(readFileSync(`/proc/${child.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;
    return {
      label,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      requests: latencies.length,
      rss,
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

function printLists(lists: Awaited<ReturnType<typeof listFigures>>[]) {
  console.log("app list, first page of 100 apps with 3,000 app-environments, 10 concurrent clients for 5 s:");
  for (const l of lists) {
    console.log(
      `  ${l.label}: p50 ${fmt(l.p50)}, p95 ${fmt(l.p95)} over ${l.requests} requests (goal p95 ≤ 100 ms); server RSS ${l.rss.toFixed(0)} MiB (goal ≤ 256 MiB)`,
    );
  }
}

// --list-only: just the app list and memory figures (no cluster, registry or git server needed).
if (process.argv.includes("--list-only")) {
  const work = mkdtempSync(join(tmpdir(), "railyard-bench-list-"));
  const postgres = await startPostgres();
  try {
    printLists([
      await listFigures(work, "embedded store (PGlite)"),
      await listFigures(work, "PostgreSQL", await postgres.createDatabase("bench")),
    ]);
  } finally {
    await postgres.stop();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "railyard-bench-server-"));
const cluster = await startCluster({
  name: "bench-server",
  stateDir: join(work, "cluster"),
  nodes: 3,
  ownerPid: process.pid,
});
const cleanups: (() => Promise<unknown>)[] = [() => cluster.stop()];
try {
  const kubectl = (...args: string[]) =>
    runOk(cluster.binaries.paths.kubectl, ["--kubeconfig", cluster.kubeconfigPath, ...args]);
  await kubectl("create", "namespace", "bench-server");
  await sleep(1500); // the namespace's default ServiceAccount

  // The app lives in a repository served over HTTP; its pipeline deploys on image pushes and git pushes.
  const git = await startGitServer();
  cleanups.push(() => git.stop());
  const repoUrl = await git.createRepository("apps");
  const checkout = join(work, "checkout");
  await runOk("git", ["clone", "-q", repoUrl, checkout]);
  const gitIn = (...args: string[]) =>
    runOk("git", ["-C", checkout, "-c", "user.name=Bench", "-c", "user.email=bench@example.test", ...args]);

  const port = await freePort();
  const registry = await startRegistry({
    notifications: {
      url: `http://127.0.0.1:${port}/hooks/registry`,
      headers: { Authorization: `Bearer ${REGISTRY_TOKEN}` },
    },
  });
  cleanups.push(() => registry.stop());
  await registry.pushImage("bench/app", "1.0.0");

  const writeApp = async (version: string, message: string) => {
    const app = {
      name: "app",
      args: { version },
      replicas: 1,
      containers: [{ name: "app", image: `${registry.host}/bench/app:{{ version }}` }],
      pipeline: {
        // Pushes of 1.x images start it; 2.x images are pushed ahead of the git pushes that use them.
        triggers: [{ image: { repository: "bench/app", tags: "<2.0.0" } }, { git: { branches: ["main"] } }],
        stages: [{ id: "deploy", deploy: "bench" }],
      },
    };
    mkdirSync(join(checkout, "app"), { recursive: true });
    writeFileSync(join(checkout, "app", "railyard.yaml"), stringify(app));
    await gitIn("add", "-A");
    await gitIn("commit", "-q", "-m", message);
    await gitIn("push", "-q", "origin", "HEAD:main");
    return (await gitIn("rev-parse", "HEAD")).trim();
  };
  await writeApp("1.0.0", "first");

  const platform = {
    environments: {
      bench: { cluster: { kubeconfig: cluster.kubeconfigPath }, namespace: "bench-server" },
      scratch: { cluster: { kubeconfig: cluster.kubeconfigPath }, namespace: "bench-server" },
    },
    repositories: { apps: { url: repoUrl } },
    apps: { app: { repository: "apps", path: "app/railyard.yaml", branch: "main" } },
    webhooks: {
      github: { secret: { fromEnv: "BENCH_GITHUB_SECRET" } },
      registry: { token: { fromEnv: "BENCH_REGISTRY_TOKEN" } },
    },
  };
  process.env.BENCH_GITHUB_SECRET = GITHUB_SECRET;
  process.env.BENCH_REGISTRY_TOKEN = REGISTRY_TOKEN;
  const serverDir = join(work, "server");
  mkdirSync(serverDir);
  const configFile = join(serverDir, "railyard.config.yaml");
  writeFileSync(configFile, stringify(platform));
  const log = process.env.RAILYARD_DEBUG
    ? (line: string) => process.stderr.write(`[server] ${line}\n`)
    : () => {};
  const server = await startServer({ configFile, port, adminToken: ADMIN, pollMs: 200, log });
  cleanups.unshift(() => server.close());
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await response.json()) as Record<string, unknown>;
  };

  // The first apply (not a dry-run) the server sends after `since`.
  const firstApply = (since: number) => {
    const applied = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no apply within 60 s")), 60_000);
      const observe = (request: ObservedRequest) => {
        if (request.method !== "PATCH" || request.dryRun || request.startedAt < since) return;
        clearTimeout(timer);
        requestObservers.splice(requestObservers.indexOf(observe), 1);
        resolve(request.startedAt);
      };
      requestObservers.push(observe);
    });
    applied.catch(() => {}); // awaited by the caller unless it failed first
    return applied;
  };
  const waitIdle = async () => {
    for (let i = 0; i < 600; i++) {
      const page = (await api("GET", "/api/v1/executions?limit=5")) as { items: { status: string }[] };
      if (page.items.every((e) => ["succeeded", "failed", "cancelled", "superseded"].includes(e.status)))
        return;
      await sleep(100);
    }
  };
  // Warm the checkout cache and the code paths once.
  debug(
    `warm-up run: ${JSON.stringify(await api("POST", "/api/v1/apps/app/runs", { args: { version: "1.0.0" } })).slice(0, 300)}`,
  );
  await waitIdle();
  debug(`warm-up done: ${JSON.stringify(await api("GET", "/api/v1/executions?limit=1")).slice(0, 600)}`);

  // 1. Registry push → first apply. The server hears of the push from the registry's notification.
  const fromNotification: number[] = [];
  const fromPush: number[] = [];
  let notifiedAt = 0;
  const hookObserver = server.app.server;
  hookObserver.on("request", (req) => {
    if (req.url === "/hooks/registry") notifiedAt = performance.now();
  });
  for (let run = 1; run <= runs; run++) {
    notifiedAt = 0;
    const since = performance.now();
    const applied = firstApply(since);
    await registry.pushImage("bench/app", `1.1.${run}`, { "run.txt": String(run) });
    const pushed = performance.now();
    debug(`pushed 1.1.${run}`);
    const at = await applied.catch(async (error: unknown) => {
      const page = await api("GET", "/api/v1/executions?limit=3");
      throw new Error(
        `${String(error)} after pushing 1.1.${run}; latest executions: ${JSON.stringify(page, null, 1)}`,
      );
    });
    fromPush.push(at - pushed);
    if (notifiedAt) fromNotification.push(at - notifiedAt);
    await waitIdle();
  }

  // 2. GitHub push webhook → first apply, including the fetch of the pushed commit.
  const fromWebhook: number[] = [];
  for (let run = 1; run <= runs; run++)
    await registry.pushImage("bench/app", `2.0.${run}`, { "v.txt": `2.0.${run}` });
  await waitIdle();
  for (let run = 1; run <= runs; run++) {
    const before = (await gitIn("rev-parse", "HEAD")).trim();
    const commit = await writeApp(`2.0.${run}`, `bench ${run}`);
    const payload = JSON.stringify({
      ref: "refs/heads/main",
      before,
      after: commit,
      created: false,
      deleted: false,
      forced: false,
      repository: { full_name: "bench/apps", clone_url: repoUrl, html_url: repoUrl },
      sender: { login: "bench" },
      pusher: { name: "bench" },
      head_commit: {
        id: commit,
        message: `bench ${run}`,
        author: { name: "Bench", username: "bench" },
        added: [],
        removed: [],
        modified: ["app/railyard.yaml"],
      },
      commits: [
        {
          id: commit,
          message: `bench ${run}`,
          author: { name: "Bench", username: "bench" },
          added: [],
          removed: [],
          modified: ["app/railyard.yaml"],
        },
      ],
    });
    const signature = `sha256=${createHmac("sha256", GITHUB_SECRET).update(payload).digest("hex")}`;
    const since = performance.now();
    const applied = firstApply(since);
    const response = await fetch(`${server.url}/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": signature,
      },
      body: payload,
    });
    const answer = await response.text();
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}: ${answer}`);
    debug(`webhook ${run}: ${answer}`);
    fromWebhook.push((await applied) - since);
    await waitIdle();
  }

  // 3. 200 concurrent executions: 20 apps × 10 runs of a pipeline that checks a condition and waits.
  const concurrentApps = Array.from({ length: 20 }, (_, i) => `c${i}`);
  for (const name of concurrentApps) {
    writeFileSync(
      join(checkout, "app", `${name}.yaml`),
      stringify({
        name,
        args: { version: "1" },
        containers: [{ name: "app", image: "registry.example.test/c:{{ version }}" }],
        pipeline: {
          triggers: [],
          stages: [
            { id: "check", check: 'args.version != ""' },
            { id: "pause", wait: "2s" },
          ],
        },
      }),
    );
  }
  await gitIn("add", "-A");
  await gitIn("commit", "-q", "-m", "concurrent apps");
  await gitIn("push", "-q", "origin", "HEAD:main");
  writeFileSync(
    configFile,
    stringify({
      ...platform,
      apps: {
        ...platform.apps,
        ...Object.fromEntries(
          concurrentApps.map((name) => [
            name,
            { repository: "apps", path: `app/${name}.yaml`, branch: "main" },
          ]),
        ),
      },
    }),
  );
  const concurrentStarted = performance.now();
  const ids = (
    await Promise.all(
      concurrentApps.flatMap((name) =>
        Array.from({ length: 10 }, (_, i) =>
          api("POST", `/api/v1/apps/${name}/runs`, { args: { version: String(i + 1) } }),
        ),
      ),
    )
  ).map((e) => e.id as string);
  const finals: Record<string, number> = {};
  for (const id of ids) {
    for (;;) {
      const execution = await api("GET", `/api/v1/executions/${id}`);
      const status = execution.status as string;
      if (["succeeded", "failed", "cancelled", "superseded"].includes(status)) {
        finals[status] = (finals[status] ?? 0) + 1;
        break;
      }
      await sleep(200);
    }
  }
  const concurrentMs = performance.now() - concurrentStarted;
  await server.close();
  cleanups.shift();

  // 4. The app list with 3,000 app-environments (1,000 apps × 3 environments), server in its own process.
  const postgres = await startPostgres();
  cleanups.push(() => postgres.stop());
  const lists = [
    await listFigures(work, "embedded store (PGlite)"),
    await listFigures(work, "PostgreSQL", await postgres.createDatabase("bench")),
  ];

  console.log(`\nregistry push → first apply request (${runs} pushes)`);
  console.log(
    `  from the notification reaching Railyard: p50 ${fmt(percentile(fromNotification, 50))}, p95 ${fmt(percentile(fromNotification, 95))} (goal p95 ≤ 250 ms)`,
  );
  console.log(
    `  from skopeo copy returning:              p50 ${fmt(percentile(fromPush, 50))}, p95 ${fmt(percentile(fromPush, 95))}`,
  );
  console.log(`GitHub push webhook → first apply request, git fetch included (${runs} pushes)`);
  console.log(
    `  p50 ${fmt(percentile(fromWebhook, 50))}, p95 ${fmt(percentile(fromWebhook, 95))} (goal p95 ≤ 1000 ms)`,
  );
  console.log(
    `200 concurrent executions (20 apps × 10, check + 2 s wait each): ${JSON.stringify(finals)} in ${(concurrentMs / 1000).toFixed(1)} s`,
  );
  printLists(lists);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
