/* eslint-disable @typescript-eslint/no-explicit-any -- event payloads are walked by assertions */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { type Postgres, startPostgres } from "../testkit/postgres.js";
import { ADMIN_TOKEN, createAppRepository, startServerFixture } from "./fixture.js";

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

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    const response = await fetch(`${b.server.url}/api/v1/events?app=relay`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: controller.signal,
    });
    const events: { event: string; data: any }[] = [];
    const reading = (async () => {
      let buffered = "";
      try {
        for await (const chunk of response.body!) {
          buffered += Buffer.from(chunk).toString("utf8");
          let end: number;
          while ((end = buffered.indexOf("\n\n")) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
            if (events.some((e) => e.event === "execution" && e.data.status === "succeeded"))
              controller.abort();
          }
        }
      } catch {
        // aborted
      } finally {
        clearTimeout(timer);
      }
    })();

    const started = await a.api("POST", "/api/v1/apps/relay/runs", { args: {} });
    assert.equal(started.status, 201);
    await reading;
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
