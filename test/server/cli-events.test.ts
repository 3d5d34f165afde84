import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { run } from "../testkit/processes.js";
import { collectEvents, createAppRepository, startServerFixture, tempDir } from "./fixture.js";

const root = join(import.meta.dirname, "..", "..");

describe("the server from the command line, followed live", () => {
  it("`railyard run --wait` starts a pipeline and follows it; server-sent events show every step", async () => {
    const repo = await createAppRepository();
    await repo.commit({
      "railyard.yaml": stringify({
        name: "tick",
        args: { version: "1" },
        containers: [{ name: "app", image: "registry.example.test/tick:{{ version }}" }],
        pipeline: {
          triggers: [],
          stages: [
            { id: "guard", check: 'args.version.startsWith("2")' },
            { id: "pause", wait: "1s" },
          ],
        },
      }),
    });
    const fx = await startServerFixture({
      environments: { staging: { namespace: "tick" } },
      repositories: { apps: { url: repo.url } },
      apps: { tick: { repository: "apps", path: "railyard.yaml" } },
    });
    const viewer = await fx.token("viewer", ["viewer"]);
    const deployer = await fx.token("ci", ["deploy:staging"]);
    const cli = (args: string[], token: string) =>
      run(
        process.execPath,
        [
          join(root, "bin", "railyard.js"),
          "run",
          "tick",
          "--server",
          fx.server.url,
          "--token",
          token,
          ...args,
        ],
        {
          cwd: tempDir("railyard-cli-"),
        },
      );

    const live = await collectEvents(`${fx.server.url}/api/v1/events?app=tick`, (events) =>
      events.some((e) => e.event === "execution" && ["succeeded", "failed"].includes(e.data.status)),
    );
    const ok = await cli(["--set", "version=2.0", "--wait"], deployer);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Execution [0-9a-f-]{36} of tick \(tick\) started\./);
    assert.match(ok.stdout, /succeeded\.\n$/);

    const events = await live.read;
    const stages = events.filter((e) => e.event === "stage").map((e) => `${e.data.stage}:${e.data.status}`);
    assert.deepEqual(stages, [
      "guard:running",
      "guard:succeeded",
      "pause:running",
      "pause:waiting",
      "pause:succeeded",
    ]);
    const statuses = events.filter((e) => e.event === "execution").map((e) => e.data.status);
    assert.deepEqual(statuses, ["running", "waiting", "running", "succeeded"]);
    assert.ok(events.some((e) => e.event === "audit" && e.data.action === "execution.finished"));

    // A failed condition fails the run: exit 2, with the reason.
    const failed = await cli(["--set", "version=1.0", "--wait"], deployer);
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.stderr, /failed: guard: args.version.startsWith\("2"\) is false/);

    // A viewer may not start runs: exit 1 and what is missing.
    const refused = await cli([], viewer);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /may not deploy to staging/);
    // An unreachable server: exit 3.
    const away = await run(process.execPath, [
      join(root, "bin", "railyard.js"),
      "run",
      "tick",
      "--server",
      "http://127.0.0.1:1",
      "--token",
      "x",
    ]);
    assert.equal(away.code, 3, away.stderr);
  });

  it("retries a deploy whose cluster cannot be reached, with backoff, and records nothing", async () => {
    const repo = await createAppRepository();
    await repo.commit({
      "railyard.yaml": stringify({
        name: "far",
        args: { version: "1" },
        containers: [{ name: "app", image: "registry.example.test/far:{{ version }}" }],
        pipeline: { triggers: [], stages: [{ id: "deploy", deploy: "staging" }] },
      }),
    });
    const dir = tempDir("railyard-far-");
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "gone", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } },
        ],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "gone", context: { cluster: "gone", user: "u" } }],
        "current-context": "gone",
      }),
    );
    const fx = await startServerFixture({
      environments: { staging: { namespace: "far", imagePolicy: "tag", cluster: { kubeconfig } } },
      repositories: { apps: { url: repo.url } },
      apps: { far: { repository: "apps", path: "railyard.yaml" } },
    });
    const started = await fx.api("POST", "/api/v1/apps/far/runs", { args: {} });
    assert.equal(started.status, 201);
    const waiting = await fx.waitForExecution(started.body.id, ["waiting", "failed"]);
    const [deploy] = waiting.stages;
    assert.equal(deploy.status, "waiting");
    assert.match(deploy.message, /attempt 1 failed, retrying in 2s: .*127\.0\.0\.1:1/);
    assert.equal(deploy.output.retries, 1);

    const retried = await fx.waitForExecution(started.body.id, ["waiting"], 20_000).then(async () => {
      for (let i = 0; i < 60; i++) {
        const { body } = await fx.api("GET", `/api/v1/executions/${started.body.id}`);
        if (body.stages[0].output.retries >= 2) return body;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error("no second attempt");
    });
    assert.match(retried.stages[0].message, /attempt 2 failed, retrying in 4s/);

    const cancel = await fx.api("POST", `/api/v1/executions/${started.body.id}/cancel`);
    assert.equal(cancel.body.accepted, true);
    const cancelled = await fx.waitForExecution(started.body.id, ["cancelled"]);
    assert.equal(cancelled.stages[0].status, "cancelled");
  });
});
