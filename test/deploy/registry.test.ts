import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deploy } from "../../src/delivery/deploy.js";
import { useCluster } from "../testkit/cluster.js";
import { startRegistry } from "../testkit/registry.js";
import { createProject, recordingReporter, simpleApp } from "./fixture.js";

describe("images are deployed by digest", () => {
  it("resolves a tag through the registry's API and runs the digest", async (t) => {
    const cluster = await useCluster();
    const registry = await startRegistry();
    t.after(() => registry.stop());
    const digest = await registry.pushImage("shop/api", "1.0");
    const ns = await cluster.namespace("digest");
    const app = simpleApp("api");
    (app.containers as { image: string }[])[0]!.image = `${registry.host}/shop/api:{{ version }}`;
    const project = createProject(cluster, app, { namespace: ns, environment: { imagePolicy: "digest" } });

    const result = await deploy({
      appFile: project.appFile,
      configFile: project.configFile,
      env: "staging",
      reporter: recordingReporter(),
    });
    const pinned = `${registry.host}/shop/api:1.0@${digest}`;
    assert.deepEqual(result.record.images, [
      { container: "app", reference: `${registry.host}/shop/api:1.0`, digest, deployed: pinned },
    ]);
    const d = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    assert.equal(d.spec?.template.spec?.containers[0]?.image, pinned);

    const missing = await project.railyard(["deploy", "--env", "staging", "--set", "version=9.9"]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /not found/);
    const still = await cluster.apps.readNamespacedDeployment({ name: "api", namespace: ns });
    assert.equal(still.spec?.template.spec?.containers[0]?.image, pinned, "nothing changed");
  });
});
