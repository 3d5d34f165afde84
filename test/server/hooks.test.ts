import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { useCluster, type TestCluster } from "../testkit/cluster.js";
import { ensureDebianPackages } from "../testkit/debian.js";
import { startGitServer } from "../testkit/git-server.js";
import { githubPushPayload, githubSignature } from "../testkit/github.js";
import { run } from "../testkit/processes.js";
import {
  type AppRepository,
  createAppRepository,
  type ServerFixture,
  startServerFixture,
} from "./fixture.js";

const SECRET = "it's a secret to everybody";
const SECRET_ENV = "RAILYARD_TEST_GITHUB_SECRET";
const APP_FILE = "services/shop/railyard.yaml";
const testdata = join(import.meta.dirname, "..", "..", "testdata", "triggers");

const appFile = (version: string) =>
  stringify({
    name: "shop",
    args: { version },
    containers: [{ name: "app", image: "registry.example.test/shop:{{ version }}" }],
    pipeline: {
      triggers: [{ git: { branches: ["main"] } }, { git: { merges: ["main"] } }],
      stages: [{ id: "deploy-staging", deploy: "staging" }],
    },
  });

const pushPayload = (repo: AppRepository, cloneUrl: string, before: string, after: string) =>
  githubPushPayload(repo, cloneUrl, { before, after });

const sign = (body: string | Buffer, secret = SECRET) => githubSignature(body, secret);

interface Delivery {
  event?: string;
  delivery?: string;
  /** The X-Hub-Signature-256 header; null leaves it out. Default: the right one. */
  signature?: string | null;
}

describe("GitHub webhooks", () => {
  let cluster: TestCluster;
  let staging: string;
  let repo: AppRepository;
  let cloneUrl: string;
  let head: string;
  let fx: ServerFixture;
  let platform: { apps: Record<string, unknown> } & Record<string, unknown>;
  let stopGitServer = async () => {};
  after(() => stopGitServer());

  before(async () => {
    cluster = await useCluster();
    staging = await cluster.namespace("hooks-stg");
    const git = await startGitServer();
    stopGitServer = () => git.stop();
    cloneUrl = await git.createRepository("shop");
    repo = await createAppRepository({ remote: cloneUrl });
    head = await repo.commit({ [APP_FILE]: appFile("1.0"), "docs/readme.md": "# shop\n" }, "first");
    process.env[SECRET_ENV] = SECRET;
    platform = {
      environments: {
        staging: { cluster: { kubeconfig: cluster.kubeconfigPath }, namespace: staging, imagePolicy: "tag" },
      },
      repositories: { shop: { url: cloneUrl } },
      apps: { shop: { repository: "shop", path: APP_FILE, branch: "main" } },
      webhooks: { github: { secret: { fromEnv: SECRET_ENV } } },
    };
    fx = await startServerFixture(platform);
  });

  const deliver = async (body: string | Buffer, options: Delivery = {}) => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/5a1c2d3",
      "x-github-event": options.event ?? "push",
      "x-github-delivery": options.delivery ?? randomUUID(),
      "x-github-hook-id": "512345678",
    };
    const signature = options.signature === undefined ? sign(body) : options.signature;
    if (signature !== null) headers["x-hub-signature-256"] = signature;
    const response = await fetch(`${fx.server.url}/hooks/github`, { method: "POST", headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text: the assertion shows it
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: parsed as any };
  };

  /** Commits files and returns the push event's body for that commit. */
  const push = async (files: Record<string, string>) => {
    const before = head;
    head = await repo.commit(files);
    return JSON.stringify(await pushPayload(repo, cloneUrl, before, head));
  };

  const executions = async () => {
    const { status, body } = await fx.api("GET", "/api/v1/executions?app=shop&limit=100");
    assert.equal(status, 200, JSON.stringify(body));
    return body.items as { id: string; trigger: { commit?: string; deliveryId?: string } }[];
  };

  let firstRun: string;
  let duplicatedRun: string;

  it("a signed push that changes the app file starts one execution, which deploys the pushed commit", async () => {
    const body = await push({ [APP_FILE]: appFile("1.1") });
    const response = await deliver(body);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal(response.body.started.length, 1, JSON.stringify(response.body));
    assert.equal(response.body.started[0].app, "shop");
    assert.equal(response.body.started[0].created, true);

    const listed = await executions();
    assert.equal(listed.length, 1, JSON.stringify(listed));
    firstRun = listed[0]!.id;
    assert.equal(firstRun, response.body.started[0].execution);
    const done = await fx.waitForExecution(firstRun, ["succeeded", "failed"]);
    assert.equal(done.status, "succeeded", JSON.stringify(done.stages));
    assert.equal(done.source.commit, head);
    assert.equal(done.stages[0].id, "deploy-staging");
    assert.equal(done.stages[0].status, "succeeded");
    // The server read the app file at the pushed commit itself: version 1.1 is live.
    const live = await cluster.apps.readNamespacedDeployment({ name: "shop", namespace: staging });
    assert.equal(live.spec?.template.spec?.containers[0]?.image, "registry.example.test/shop:1.1");
  });

  it("a push that changes only other paths is accepted and starts nothing", async () => {
    const count = (await executions()).length;
    const body = await push({ "docs/readme.md": "# shop\n\nNow with docs.\n" });
    assert.deepEqual(JSON.parse(body).head_commit.modified, ["docs/readme.md"]);
    const response = await deliver(body);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.deepEqual(response.body.started, []);
    assert.equal((await executions()).length, count);
  });

  it("refuses a forged or missing signature with 401 and starts nothing", async () => {
    const count = (await executions()).length;
    const body = await push({ [APP_FILE]: appFile("1.2") });

    const forged = await deliver(body, { signature: sign(body, "not the secret") });
    assert.equal(forged.status, 401, JSON.stringify(forged.body));
    assert.match(forged.body.error.message, /signature/);
    const missing = await deliver(body, { signature: null });
    assert.equal(missing.status, 401, JSON.stringify(missing.body));
    const garbled = await deliver(body, { signature: "sha256=not-hex" });
    assert.equal(garbled.status, 401, JSON.stringify(garbled.body));
    // A body changed after signing is as good as forged.
    const tampered = await deliver(body.replace("octo-pusher", "mallory"), { signature: sign(body) });
    assert.equal(tampered.status, 401, JSON.stringify(tampered.body));
    assert.equal((await executions()).length, count, "nothing was started");

    // The same delivery, signed with the secret, is one the server acts on.
    const genuine = await deliver(body);
    assert.equal(genuine.status, 202, JSON.stringify(genuine.body));
    assert.equal((await executions()).length, count + 1);
  });

  it("starts one execution for a delivery sent twice", async () => {
    const count = (await executions()).length;
    const body = await push({ [APP_FILE]: appFile("1.3") });
    const delivery = randomUUID();
    const first = await deliver(body, { delivery });
    const second = await deliver(body, { delivery });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.equal(first.body.started[0].created, true);
    assert.equal(second.body.started[0].created, false);
    assert.equal(second.body.started[0].execution, first.body.started[0].execution);
    duplicatedRun = first.body.started[0].execution;
    // GitHub's "Redeliver" and a retrying proxy: at the same moment, and under a new delivery id.
    const more = await Promise.all([
      deliver(body, { delivery }),
      deliver(body, { delivery }),
      deliver(body, { delivery: randomUUID() }),
    ]);
    for (const response of more) assert.equal(response.status, 202, JSON.stringify(response.body));

    const listed = await executions();
    assert.equal(listed.length, count + 1, JSON.stringify(listed.map((e) => e.trigger)));
    assert.equal(listed.filter((e) => e.trigger.commit === head).length, 1);
  });

  it("starts one execution for a merged pull request and the push of its merge commit", async () => {
    const count = (await executions()).length;
    const body = await push({ [APP_FILE]: appFile("1.3.1") });
    const merged = JSON.parse(readFileSync(join(testdata, "github-pr-merged.json"), "utf8"));
    merged.pull_request.merge_commit_sha = head;
    Object.assign(merged.repository, { full_name: "acme/shop", clone_url: cloneUrl });
    const responses = [await deliver(body), await deliver(JSON.stringify(merged), { event: "pull_request" })];
    for (const response of responses) {
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.equal(response.body.started.length, 1, JSON.stringify(response.body));
    }
    const listed = await executions();
    assert.equal(
      listed.filter((e) => e.trigger.commit === head).length,
      1,
      `one commit, one run: ${JSON.stringify(listed.map((e) => e.trigger))}`,
    );
    assert.equal(listed.length, count + 1);
  });

  it("still starts an app's run when another app of the repository cannot be read", async () => {
    // A second app registered before its file was committed: the server reloads the changed config.
    const broken = {
      ...platform,
      apps: { ...platform.apps, web: { repository: "shop", path: "web/railyard.yaml" } },
    };
    writeFileSync(fx.configFile, stringify(broken));
    try {
      const count = (await executions()).length;
      const body = await push({ [APP_FILE]: appFile("1.3.2") });
      const response = await deliver(body);
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.deepEqual(
        response.body.started.map((s: { app: string; created: boolean }) => `${s.app} ${s.created}`),
        ["shop true"],
      );
      assert.equal((await executions()).length, count + 1);
      // Why web did not start is told to the sender and kept in the audit log.
      assert.match(JSON.stringify(response.body.failed), /web\/railyard.yaml does not exist/);
      const audit = await fx.api("GET", "/api/v1/audit?app=web&limit=10");
      assert.equal(audit.body.items[0]?.action, "trigger.failed", JSON.stringify(audit.body.items));
      assert.equal(audit.body.items[0]?.actor, "github:octo-pusher");
    } finally {
      writeFileSync(fx.configFile, stringify(platform));
    }
  });

  it("answers a ping with a pong", async () => {
    const count = (await executions()).length;
    const body = readFileSync(join(testdata, "github-ping.json"), "utf8");
    const response = await deliver(body, { event: "ping" });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.ping, "pong");
    assert.equal((await executions()).length, count);
  });

  it("refuses a malformed body with 400 and keeps serving", async () => {
    const count = (await executions()).length;
    const truncated = (await push({ [APP_FILE]: appFile("1.4") })).slice(0, 200);
    const response = await deliver(truncated);
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.match(response.body.error.message, /JSON/);
    // JSON, but not a push: the fields it lacks are named.
    const notAPush = await deliver(JSON.stringify({ ref: "refs/heads/main", commits: "many" }));
    assert.equal(notAPush.status, 400, JSON.stringify(notAPush.body));
    assert.match(notAPush.body.error.message, /after/);

    const health = await fetch(`${fx.server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await executions()).length, count);
  });

  it("refuses a 50 MB body with 413", async (t) => {
    const big = Buffer.alloc(50 * 1024 * 1024, " ");
    big.write('{"zen":"', 0);
    big.write('"}', big.length - 2);
    const file = join(fx.dir, "big.json");
    writeFileSync(file, big);
    const headers = [
      "content-type: application/json",
      "x-github-event: ping",
      `x-github-delivery: ${randomUUID()}`,
      `x-hub-signature-256: ${sign(big)}`,
    ];
    // curl, as a sender would: it reads the answer while still sending, as HTTP/1.1 clients should, so
    // an early 413 (and the connection closed after it) is seen rather than a broken pipe.
    await ensureDebianPackages(["curl"]);
    const post = async (extra: string[]) => {
      const started = Date.now();
      const result = await run("curl", [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        ...headers.flatMap((h) => ["-H", h]),
        ...extra,
        "--data-binary",
        `@${file}`,
        `${fx.server.url}/hooks/github`,
      ]);
      return { status: Number(result.stdout), ms: Date.now() - started, error: result.stderr };
    };
    const sized = await post([]);
    t.diagnostic(`50 MB body answered ${sized.status} in ${sized.ms} ms`);
    assert.equal(sized.status, 413, sized.error);
    // Sent in chunks, without a Content-Length to refuse it by.
    const chunked = await post(["-H", "transfer-encoding: chunked"]);
    t.diagnostic(`50 MB chunked body answered ${chunked.status} in ${chunked.ms} ms`);
    assert.equal(chunked.status, 413, chunked.error);
    const health = await fetch(`${fx.server.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it("records the webhook-triggered execution in the audit log with the sender as actor", async () => {
    const audit = await fx.api("GET", `/api/v1/audit?execution=${firstRun}&limit=100`);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const entries = (audit.body.items as { action: string; actor: string; source: string; outcome: string }[])
      .map((e) => `${e.action} ${e.actor} ${e.source} ${e.outcome}`)
      .reverse();
    assert.deepEqual(entries, [
      "execution.created github:octo-pusher webhook queued",
      "execution.started github:octo-pusher server running",
      "stage.deploy github:octo-pusher server succeeded",
      "execution.finished github:octo-pusher server succeeded",
    ]);
    const created = audit.body.items.find((e: { action: string }) => e.action === "execution.created");
    assert.equal(created.app, "shop");
    assert.equal(
      created.detail.commit,
      (await fx.api("GET", `/api/v1/executions/${firstRun}`)).body.source.commit,
    );
    // The repeated deliveries were recorded as such, with who sent them.
    const duplicates = await fx.api(
      "GET",
      `/api/v1/audit?action=trigger.duplicate&execution=${duplicatedRun}&limit=100`,
    );
    assert.equal(duplicates.body.items.length, 4, JSON.stringify(duplicates.body.items));
    for (const entry of duplicates.body.items) {
      assert.equal(`${entry.actor} ${entry.source} ${entry.outcome}`, "github:octo-pusher webhook ignored");
    }
  });
});
