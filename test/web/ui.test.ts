import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { stringify } from "yaml";
import { useCluster, type TestCluster } from "../testkit/cluster.js";
import { startGitServer } from "../testkit/git-server.js";
import { githubPushPayload, githubSignature } from "../testkit/github.js";
import {
  ADMIN_TOKEN,
  type AppRepository,
  createAppRepository,
  type ServerFixture,
  startServerFixture,
} from "../server/fixture.js";

/**
 * The web UI end to end: Debian's Chromium, driven by playwright-core, against a real server and the
 * local control plane. Screenshots of each main page go to test-results/screenshots/.
 */
const root = join(import.meta.dirname, "..", "..");
const WEB_DIR = join(root, "web", "dist");
const SHOTS = join(root, "test-results", "screenshots");
const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((path) => existsSync(path));
const SECRET = "ui-test-webhook-secret";
const SECRET_ENV = "RAILYARD_UI_TEST_GITHUB_SECRET";
const APP_FILE = "services/shop/railyard.yaml";
const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;

const appFile = (version: string, extra: Record<string, unknown> = {}) =>
  stringify({
    name: "shop",
    args: { version },
    ...extra,
    replicas: 2,
    containers: [{ name: "app", image: "registry.example.test/shop:{{ version }}" }],
    pipeline: {
      triggers: [{ git: { branches: ["main"] } }],
      stages: [
        { id: "deploy-staging", deploy: "staging" },
        {
          id: "approve-production",
          approval: {
            message: "Check the staging dashboard first.",
            links: [
              { title: "Dashboard", url: "https://grafana.example.test/d/shop" },
              // The app file refuses javascript: links; the UI opens only https ones.
              { title: "Plain", url: "http://grafana.example.test/d/shop" },
            ],
          },
        },
        { id: "deploy-production", deploy: "production" },
      ],
    },
  });

describe("the web UI", () => {
  let cluster: TestCluster;
  let fx: ServerFixture;
  let repo: AppRepository;
  let cloneUrl: string;
  let head: string;
  let browser: Browser;
  let admin: Page;
  let production: string;
  const violations: string[] = [];
  let stopGitServer = async () => {};

  before(async () => {
    assert.ok(CHROMIUM, "Chromium is not installed: run scripts/setup.sh (apt-get install chromium).");
    assert.ok(existsSync(join(WEB_DIR, "index.html")), "The web UI is not built: run npm run build.");
    mkdirSync(SHOTS, { recursive: true });
    cluster = await useCluster();
    const [staging, prod] = await Promise.all([cluster.namespace("ui-stg"), cluster.namespace("ui-prd")]);
    production = prod;
    const git = await startGitServer();
    stopGitServer = () => git.stop();
    cloneUrl = await git.createRepository("shop");
    repo = await createAppRepository({ remote: cloneUrl });
    head = await repo.commit({ [APP_FILE]: appFile("1.0") }, "first");
    process.env[SECRET_ENV] = SECRET;
    const env = (namespace: string) => ({
      cluster: { kubeconfig: cluster.kubeconfigPath },
      namespace,
      imagePolicy: "tag",
    });
    fx = await startServerFixture(
      {
        environments: { staging: env(staging), production: env(prod) },
        repositories: { shop: { url: cloneUrl } },
        apps: { shop: { repository: "shop", path: APP_FILE, branch: "main" } },
        webhooks: { github: { secret: { fromEnv: SECRET_ENV } } },
      },
      { webDir: WEB_DIR },
    );
    // Revision 1 everywhere, through the API, so the UI has a history to roll back to.
    const first = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version: "1.0" } });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    await fx.waitForExecution(first.body.id, ["waiting"]);
    await fx.api("POST", `/api/v1/executions/${first.body.id}/stages/approve-production/approve`, {});
    await fx.waitForExecution(first.body.id, ["succeeded"]);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    admin = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
  });

  after(async () => {
    await browser?.close();
    await stopGitServer();
  });

  /** A page that records what the Content-Security-Policy refused and any uncaught error. */
  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    // The browser's own report names what was refused and where, which its console line does not.
    await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) => {
      console.error("Refused by CSP " + e.violatedDirective + ": " + e.sample + " at " + e.sourceFile + ":" + e.lineNumber + " (" + location.pathname + ")");
    })`);
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) {
        const at = message.location();
        violations.push(`${message.text()} (${page.url()}; ${at.url}:${at.lineNumber})`);
      }
    });
    page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
    page.setDefaultTimeout(30_000);
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${fx.server.url}/`);
    await page.getByText("You are signed out").waitFor();
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
  }

  // caret "initial": hiding the caret would inject a style element, which the page's CSP refuses.
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, caret: "initial" });
  const stage = (page: Page, id: string, status: string) =>
    page.locator(`[data-stage="${id}"][data-status="${status}"]`).waitFor({ timeout: 60_000 });

  it("serves the UI under a strict Content-Security-Policy and signs in with a token kept out of scripts", async () => {
    const response = await fetch(`${fx.server.url}/apps/shop`);
    assert.equal(response.status, 200);
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

    await admin.goto(`${fx.server.url}/`);
    await admin.getByText("You are signed out").waitFor();
    await shot(admin, "sign-in");
    await admin.getByLabel("API token").fill("ry_wrong_token");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByText("unknown or revoked API token").waitFor();
    await signIn(admin, ADMIN_TOKEN);
    const cookies = await admin.context().cookies();
    const session = cookies.find((c) => c.name === "railyard_session");
    assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
    assert.equal(session?.sameSite, "Strict");
    assert.equal(await admin.evaluate("document.cookie"), "", "scripts cannot read the session");
    assert.equal(await admin.evaluate("JSON.stringify(localStorage).includes('ry_')"), false);
    assert.ok(!admin.url().includes(ADMIN_TOKEN));
  });

  it("shows the matrix of apps × environments with versions, revisions and who deployed", async () => {
    const row = admin.locator('[data-app="shop"]');
    await row.waitFor();
    await row.locator('[data-env="staging"][data-status="succeeded"]').waitFor();
    const production = await row.locator('[data-env="production"]').innerText();
    assert.match(production, /1\.0/);
    assert.match(production, /r1/);
    assert.match(production, /admin/);
    await admin.getByLabel("Search apps").fill("nothing-like-this");
    await admin.getByText("No app matches these filters.").waitFor();
    await admin.getByLabel("Search apps").fill("sho");
    await row.waitFor();
    await shot(admin, "overview");
  });

  let run: string;
  it("starts a deploy and watches the pipeline graph go green live, then approves production", async () => {
    await admin.locator('[data-app="shop"] a', { hasText: "shop" }).first().click();
    await admin.getByRole("heading", { name: "shop" }).waitFor();
    await admin.getByRole("button", { name: "Deploy version…" }).click();
    await admin.getByLabel("Version").fill("1.1");
    await admin.getByRole("button", { name: "Start run" }).click();
    await admin.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
    run = admin.url().split("/").at(-1)!;
    await admin.getByTestId("pipeline-graph").waitFor();
    await stage(admin, "deploy-staging", "succeeded");
    await stage(admin, "approve-production", "waiting");
    await admin.getByTestId("stage-message").getByText("Check the staging dashboard first.").waitFor();
    // Only https links open; a plain http link stays text.
    assert.equal(
      await admin.getByRole("link", { name: "Dashboard" }).getAttribute("href"),
      "https://grafana.example.test/d/shop",
    );
    assert.equal(await admin.getByRole("link", { name: "Plain" }).count(), 0);
    await shot(admin, "execution-waiting");

    await admin.getByLabel("Comment (optional)").fill("staging looks fine");
    await admin.getByRole("button", { name: "Approve production" }).click();
    await stage(admin, "deploy-production", "succeeded");
    await admin.locator('[data-stage="approve-production"][data-status="succeeded"]').waitFor();
    await shot(admin, "execution-succeeded");
    const live = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: production });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:1.1");
  });

  it("opens a pod's logs from the live resource tree", async () => {
    await admin.goto(`${fx.server.url}/apps/shop/env/production`);
    const tree = admin.getByTestId("resource-tree");
    await tree.getByText("2/2 ready", { exact: false }).first().waitFor();
    await tree.getByRole("link", { name: "Logs" }).first().click();
    await admin.waitForURL(/\/pods\/shop-[a-z0-9-]+\/logs$/);
    await admin.getByTestId("log-view").getByText("listening on :8080", { exact: false }).waitFor();
    await admin.getByLabel("Search the logs").fill("ready");
    await admin.locator('[data-testid="log-view"] mark').first().waitFor();
    await shot(admin, "pod-logs");
  });

  it("shows a revision's YAML and the diff between two revisions", async () => {
    await admin.goto(`${fx.server.url}/apps/shop/env/production/revisions/2`);
    await admin
      .getByTestId("manifest")
      .getByText("image: registry.example.test/shop:1.1", { exact: false })
      .waitFor();
    await admin.goto(`${fx.server.url}/apps/shop/env/production`);
    await admin.getByLabel("Compare revision 1").check();
    await admin.getByLabel("Compare revision 2").check();
    await admin.getByRole("button", { name: "Compare selected" }).click();
    await admin.waitForURL(/\/diff\?from=1&to=2$/);
    const deployment = admin.locator('[data-object="Deployment/shop"]');
    await deployment.getByText("changed").waitFor();
    await deployment.getByText("+        image: registry.example.test/shop:1.1", { exact: false }).waitFor();
    await shot(admin, "diff");
  });

  it("rolls back from the history after a confirmation naming what changes, and shows the new revision", async () => {
    await admin.goto(`${fx.server.url}/apps/shop/env/production`);
    await admin.locator('[data-revision="1"]').getByRole("button", { name: "Roll back to 1" }).click();
    const dialog = admin.getByRole("dialog");
    await dialog.getByText("Roll shop in production back to revision 1?").waitFor();
    await dialog.getByTestId("rollback-changes").getByText("Deployment shop: changed").waitFor();
    await shot(admin, "rollback-confirm");
    await dialog.getByRole("button", { name: "Roll back to 1" }).click();
    await admin.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
    await stage(admin, "rollback-production", "succeeded");
    await admin.goto(`${fx.server.url}/apps/shop/env/production`);
    const third = admin.locator('[data-revision="3"]');
    await third.getByText("rollback to 1").waitFor();
    await third.getByText("current").waitFor();
    await shot(admin, "app-page");
    const live = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: production });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:1.0");
  });

  it("finds the approval and the rollback in the audit log, made from the UI", async () => {
    await admin.goto(`${fx.server.url}/audit?action=approval.approve`);
    const approval = admin.locator('[data-action="approval.approve"]').first();
    await approval.waitFor();
    const text = await approval.innerText();
    assert.match(text, /token:admin/);
    assert.match(text, /\bui\b/);
    assert.match(text, /staging looks fine/);
    await admin.getByLabel("Action").fill("");
    await admin.getByLabel("App").fill("shop");
    await admin.locator('[data-action="execution.created"]').first().waitFor();
    await shot(admin, "audit");
    const listed = await fx.api("GET", `/api/v1/audit?execution=${run}&action=approval.approve`);
    assert.equal(listed.body.items[0]?.source, "ui");
  });

  it("lets a viewer see a waiting approval but not decide it; the API refuses too", async () => {
    const started = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version: "1.2" } });
    assert.equal(started.status, 201);
    await fx.waitForExecution(started.body.id, ["waiting"]);
    const viewerToken = await fx.token("watcher", ["viewer"]);
    const viewer = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
    await signIn(viewer, viewerToken);
    await viewer.goto(`${fx.server.url}/executions/${started.body.id}`);
    await stage(viewer, "approve-production", "waiting");
    const approve = viewer.getByRole("button", { name: "Approve production" });
    await approve.waitFor();
    assert.equal(await approve.isDisabled(), true);
    await viewer.getByTestId("approval-why-not").getByText("may not approve production").waitFor();
    await shot(viewer, "viewer-approval");
    const status = await viewer.evaluate(
      `fetch("/api/v1/executions/${started.body.id}/stages/approve-production/approve", {
        method: "POST", headers: { "content-type": "application/json", "x-railyard-csrf": "1" }, body: "{}",
      }).then((r) => r.status)`,
    );
    assert.equal(status, 403);
    // Without the CSRF header even a permitted change made with the cookie is refused.
    const forged = await admin.evaluate(
      `fetch("/api/v1/executions/${started.body.id}/cancel", { method: "POST" }).then((r) => r.status)`,
    );
    assert.equal(forged, 403);
    await viewer.setViewportSize({ width: 390, height: 844 });
    await viewer.goto(`${fx.server.url}/`);
    await viewer.locator('[data-app="shop"]').waitFor();
    await shot(viewer, "overview-phone");
    await viewer.context().close();
    await fx.api("POST", `/api/v1/executions/${started.body.id}/cancel`);
  });

  it("renders a script-bearing commit message and annotation as text", async () => {
    // A push whose commit message carries markup, delivered as GitHub signs it (its documented payload).
    const before = head;
    head = await repo.commit({ [APP_FILE]: appFile("1.3") }, XSS);
    const payload = await githubPushPayload(
      repo,
      cloneUrl,
      { before, after: head },
      { message: XSS, sender: "mallory" },
    );
    const body = JSON.stringify(payload);
    const delivered = await fetch(`${fx.server.url}/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(body, SECRET),
      },
      body,
    });
    assert.equal(delivered.status, 202, await delivered.text());
    const { items } = (await fx.api("GET", "/api/v1/executions?app=shop&limit=1")).body;
    assert.equal(items[0].trigger.commit, head);
    await fx.waitForExecution(items[0].id, ["waiting"]);
    // And an annotation someone put on the live Deployment.
    await cluster.kubectl(
      "-n",
      production,
      "annotate",
      "deployment/shop",
      `railyard.test/note=${XSS}`,
      "--overwrite",
    );

    await admin.goto(`${fx.server.url}/executions/${items[0].id}`);
    await admin.getByTestId("commit-message").getByText(XSS).waitFor();
    await admin.goto(`${fx.server.url}/apps/shop/env/production`);
    await admin.getByTestId("annotation").getByText(XSS, { exact: false }).waitFor();
    await shot(admin, "inert-markup");
    assert.equal(await admin.evaluate("window.__pwned"), undefined);
    assert.equal(await admin.locator('img[src="x"]').count(), 0);
    assert.equal(await admin.locator("main script").count(), 0);
  });

  it("shows a failed deploy in red with its diagnosis, on the overview and in the pipeline graph", async () => {
    for (const e of (await fx.api("GET", "/api/v1/executions?app=shop&status=waiting")).body.items) {
      await fx.api("POST", `/api/v1/executions/${e.id}/cancel`);
    }
    // kwok's fault stages make the pods of this version crash (tools/cluster/stages/faults.yaml).
    head = await repo.commit(
      { [APP_FILE]: appFile("1.4", { podLabels: { "railyard.dev/fault": "crash-loop" } }) },
      "a version that crashes",
    );
    const started = await fx.api("POST", "/api/v1/apps/shop/runs", { args: { version: "1.4" } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await fx.waitForExecution(started.body.id, ["failed"]);

    await admin.goto(`${fx.server.url}/`);
    const staging = admin.locator('[data-app="shop"] [data-env="staging"][data-status="failed"]');
    await staging.getByText(/crash/i).waitFor();
    assert.match((await staging.getAttribute("class")) ?? "", /failed/);
    // Staging was rolled back automatically: it shows the version it runs (1.3, as revision 6).
    assert.match(await staging.innerText(), /^1\.3\s+r6\b/);
    await shot(admin, "overview-failed");
    await admin.goto(`${fx.server.url}/executions/${started.body.id}`);
    await stage(admin, "deploy-staging", "failed");
    await admin.getByTestId("stage-message").getByText(/crash/i).waitFor();
    await shot(admin, "execution-failed");
  });

  it("is keyboard reachable: an app from the overview, a stage of the pipeline graph", async () => {
    /** Presses Tab until the focused element is the one wanted; fails after `limit` presses. */
    const tabTo = async (page: Page, describe: string, limit = 30) => {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(
          "(document.activeElement.getAttribute('aria-label') || document.activeElement.textContent || '').trim()",
        );
        if (focused === describe) return;
      }
      assert.fail(`Tab never reached "${describe}"`);
    };
    await admin.goto(`${fx.server.url}/`);
    await admin.locator('[data-app="shop"]').waitFor();
    await tabTo(admin, "shop");
    await admin.keyboard.press("Enter");
    await admin.getByRole("heading", { name: "shop" }).waitFor();
    assert.match(admin.url(), /\/apps\/shop$/);

    await admin.goto(`${fx.server.url}/executions/${run}`);
    await stage(admin, "deploy-production", "succeeded");
    await tabTo(admin, "deploy-production: succeeded");
    await admin.keyboard.press("Enter");
    await admin.getByTestId("stage-detail").getByRole("heading", { name: "deploy-production" }).waitFor();
  });

  it("met no Content-Security-Policy refusal and no script error on any page", () => {
    assert.deepEqual(violations, []);
  });
});
