/**
 * The web UI's budgets, in one run:
 *   1. initial JavaScript: what index.html loads before the first screen, gzipped as the server sends it
 *      (budget 300 KB);
 *   2. the overview with 3,000 app-environments (1,000 apps × 3 environments): time from the API's
 *      answer to the matrix on screen and answering input (budget 1 s), in Debian's Chromium.
 *
 *   npx tsx bench/web.ts [--runs 10]
 *
 * Needs `npm run build` (web/dist) and Chromium (scripts/setup.sh installs it).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { stringify } from "yaml";
import { openStore } from "../src/adapters/store/store.js";
import { startServer } from "../src/server/main.js";
import { Overview } from "../src/server/overview.js";

const root = join(import.meta.dirname, "..");
const webDir = join(root, "web", "dist");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 10;
const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const ADMIN = "ry_bench_admin";
const JS_BUDGET = 300 * 1024;
const READY_BUDGET_MS = 1000;

if (!existsSync(join(webDir, "index.html"))) throw new Error("web/dist is missing: run npm run build first.");
if (!CHROMIUM) throw new Error("Chromium is missing: run scripts/setup.sh.");

// 1. Initial JavaScript: the entry script and the modules it preloads.
const html = readFileSync(join(webDir, "index.html"), "utf8");
const scripts = [
  ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g),
].map((m) => m[1]!);
const initial = scripts.map((src) => {
  const bytes = readFileSync(join(webDir, src));
  return { src, raw: bytes.length, gzip: gzipSync(bytes).length };
});
const initialGzip = initial.reduce((sum, s) => sum + s.gzip, 0);

// 2. The overview with 3,000 app-environments.
const dir = mkdtempSync(join(tmpdir(), "railyard-bench-web-"));
const environments = ["dev", "staging", "production"];
const apps = Object.fromEntries(
  Array.from({ length: 1000 }, (_, i) => [
    `app-${String(i).padStart(4, "0")}`,
    { repository: "apps", path: "x.yaml" },
  ]),
);
writeFileSync(
  join(dir, "railyard.config.yaml"),
  stringify({
    environments: Object.fromEntries(environments.map((env) => [env, { namespace: env }])),
    repositories: { apps: { url: "https://git.example.test/apps.git" } },
    apps,
  }),
);
const dataDir = join(dir, ".railyard");
const store = await openStore({ dataDir: join(dataDir, "store") });
const overview = new Overview(store.db);
for (const [n, app] of Object.keys(apps).entries()) {
  await Promise.all(
    environments.map((environment) =>
      overview.record({
        app,
        environment,
        revision: 7,
        status: n % 50 === 0 && environment === "production" ? "failed" : "succeeded",
        images: [
          { container: "app", deployed: `registry.example.test/${app}:1.2.3@sha256:${"a".repeat(64)}` },
        ],
        args: { version: "1.2.3" },
        message:
          n % 50 === 0
            ? "Deployment app: 2 of 3 pods cannot start: image not found (ImagePullBackOff)."
            : "live",
        executionId: randomUUID(),
        actor: "token:ci",
      }),
    ),
  );
}
await store.close();

const server = await startServer({
  configFile: join(dir, "railyard.config.yaml"),
  dataDir,
  port: 0,
  adminToken: ADMIN,
  work: false,
  webDir,
  log: () => {},
});
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
const samples: { api: number; ready: number; rows: number }[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.getByLabel("API token").fill(ADMIN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("[data-app]").first().waitFor();
  for (let i = 0; i < runs; i++) {
    await page.goto(`${server.url}/`, { waitUntil: "load" });
    await page.waitForFunction(() => performance.getEntriesByName("railyard:overview-ready").length > 0);
    const figures = (await page.evaluate(`(() => {
      const api = performance.getEntriesByType("resource").find((e) => e.name.includes("/api/v1/apps?"));
      const ready = performance.getEntriesByName("railyard:overview-ready")[0];
      return { api: api.responseEnd, ready: ready.startTime, rows: document.querySelectorAll("[data-app]").length };
    })()`)) as { api: number; ready: number; rows: number };
    samples.push(figures);
  }
  // Interaction after load: typing a search narrows the 1,000 apps through the server.
  const typed = performance.now();
  await page.getByLabel("Search apps").fill("app-09");
  await page.locator('[data-app="app-0900"]').waitFor();
  await page.locator('[data-app="app-0000"]').waitFor({ state: "detached" });
  const searchMs = performance.now() - typed;

  const afterApi = samples.map((s) => s.ready - s.api).sort((a, b) => a - b);
  const median = afterApi[Math.floor(afterApi.length / 2)]!;
  const worst = afterApi.at(-1)!;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`initial JS (${initial.map((s) => s.src).join(", ")}): ${kb(initialGzip)} gzipped`);
  console.log(`  budget ${kb(JS_BUDGET)} → ${(initialGzip / JS_BUDGET).toFixed(2)} of budget`);
  console.log(
    `overview, 3,000 app-environments (first page of 200 apps, ${samples[0]!.rows} rows drawn): ready after the API answered, ${runs} loads`,
  );
  console.log(
    `  median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms; budget ${READY_BUDGET_MS} ms → ${(median / READY_BUDGET_MS).toFixed(2)} of budget`,
  );
  console.log(`  API answered at ${samples.map((s) => s.api.toFixed(0)).join(", ")} ms after navigation`);
  console.log(
    `search "app-09" typed → list narrowed: ${searchMs.toFixed(0)} ms (200 ms of it is the input debounce)`,
  );
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
