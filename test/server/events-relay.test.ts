import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { type Postgres, startPostgres } from "../testkit/postgres.js";
import { collectEvents, createAppRepository, startServerFixture } from "./fixture.js";

let postgres: Postgres | undefined;
// A file-level hook: one registered inside a running test may run before the servers are closed.
after(() => postgres?.stop());

describe("live events across replicas", () => {
  it("reach a browser on one server when another server runs the execution", async () => {
    postgres = await startPostgres();
    const databaseUrl = await postgres.createDatabase("relay");
    const repo = await createAppRepository();
    await repo.commit({
      "railyard.yaml": stringify({
        name: "relay",
        args: { version: "1" },
        containers: [{ name: "app", image: "registry.example.test/relay:{{ version }}" }],
        pipeline: {
          triggers: [],
          stages: [
            { id: "guard", check: "true" },
            { id: "pause", wait: "1s" },
          ],
        },
      }),
    });
    const platform = {
      environments: { staging: { namespace: "relay" } },
      repositories: { apps: { url: repo.url } },
      apps: { relay: { repository: "apps", path: "railyard.yaml" } },
    };
    // The worker runs only on `a`; the browser watches `b`.
    const a = await startServerFixture(platform, { databaseUrl });
    const b = await startServerFixture(platform, { databaseUrl, work: false });

    const reading = await collectEvents(`${b.server.url}/api/v1/events?app=relay`, (events) =>
      events.some((e) => e.event === "execution" && e.data.status === "succeeded"),
    );

    const started = await a.api("POST", "/api/v1/apps/relay/runs", { args: {} });
    assert.equal(started.status, 201);
    const events = await reading.read;
    const stages = events.filter((e) => e.event === "stage").map((e) => `${e.data.stage}:${e.data.status}`);
    assert.ok(stages.includes("guard:succeeded"), stages.join(", "));
    assert.ok(stages.includes("pause:succeeded"), stages.join(", "));
    assert.ok(
      events.some(
        (e) => e.event === "execution" && e.data.id === started.body.id && e.data.status === "succeeded",
      ),
    );
  });
});
