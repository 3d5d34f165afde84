import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRecord } from "../../src/core/release/record.js";
import { useCluster } from "../testkit/cluster.js";
import { createProject, simpleApp } from "./fixture.js";

const SECRET = "s3cr3t-Value-4242-zebra";

describe("secret values never leave in clear", () => {
  it("appear in no output, record or error of render, diff, deploy, history and status", async () => {
    const cluster = await useCluster();
    const ns = await cluster.namespace("secrets");
    const app = simpleApp("api");
    (app.containers as Record<string, unknown>[])[0]!.env = [{ name: "API_KEY", secret: "api-key" }];
    const project = createProject(cluster, app, {
      namespace: ns,
      environment: { secrets: { "api-key": { fromEnv: "RAILYARD_TEST_API_KEY" } } },
    });
    const env = { RAILYARD_TEST_API_KEY: SECRET };
    const outputs: string[] = [];
    const runOk = async (args: string[]) => {
      const result = await project.railyard(args, env);
      outputs.push(result.stdout, result.stderr);
      assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
      return result;
    };

    const rendered = await runOk(["render", "--env", "staging"]);
    assert.match(rendered.stdout, /kind: Secret/);
    assert.match(rendered.stdout, /API_KEY: <redacted>|api-key: <redacted>/);
    const firstDiff = await runOk(["diff", "--env", "staging"]);
    assert.match(firstDiff.stdout, /api-key: added/);
    await runOk(["deploy", "--env", "staging"]);
    await runOk(["history", "api", "--env", "staging", "-o", "json"]);
    await runOk(["status", "api", "--env", "staging"]);
    await runOk(["status", "api", "--env", "staging", "-o", "json"]);
    const rotated = await project.railyard(["diff", "--env", "staging"], {
      RAILYARD_TEST_API_KEY: "another-value-99",
    });
    outputs.push(rotated.stdout, rotated.stderr);
    assert.match(rotated.stdout, /api-key: changed/);

    // A rollback re-applies no Secret values (records never hold them) and must not prune the Secret.
    await runOk(["deploy", "--env", "staging", "--set", "version=2.0"]);
    await runOk(["rollback", "api", "--env", "staging", "--to", "1"]);

    // The app's Secret holds the value (that is its job)…
    const secret = await cluster.core.readNamespacedSecret({ name: "api-secrets", namespace: ns });
    assert.equal(Buffer.from(secret.data!["api-key"]!, "base64").toString(), SECRET);
    // …and nothing else does: outputs, release records (raw and decoded), managed objects.
    const records = await cluster.core.listNamespacedSecret({
      namespace: ns,
      labelSelector: "railyard.dev/release=true",
    });
    assert.equal(records.items.length, 3);
    for (const record of records.items) {
      outputs.push(JSON.stringify(record), JSON.stringify(decodeRecord(record.data!.release!)));
    }
    const deployment = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    outputs.push(JSON.stringify(deployment));
    const everything = outputs.join("\n");
    assert.ok(everything.length > 1000, "the outputs were captured");
    assert.ok(!everything.includes(SECRET), "the secret value appears nowhere");
    assert.ok(!everything.includes(Buffer.from(SECRET).toString("base64")), "nor its base64 form");
  });
});
