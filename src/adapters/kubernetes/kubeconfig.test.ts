import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inClusterCredentials } from "./kubeconfig.js";

describe("inClusterCredentials", () => {
  it("reads the pod's service account and the API server's address from the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "railyard-sa-"));
    try {
      writeFileSync(join(dir, "token"), "eyJ-token\n");
      writeFileSync(join(dir, "ca.crt"), "CA");
      writeFileSync(join(dir, "namespace"), "railyard\n");
      const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
      const credentials = inClusterCredentials(env, dir);
      assert.equal(credentials?.server, "https://10.96.0.1:443");
      assert.equal(credentials?.token, "eyJ-token");
      assert.equal(credentials?.namespace, "railyard");
      assert.equal(credentials?.ca?.toString(), "CA");
      assert.equal(
        inClusterCredentials({ KUBERNETES_SERVICE_HOST: "fd00::1" }, dir)?.server,
        "https://[fd00::1]:443",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is absent outside a pod", () => {
    assert.equal(inClusterCredentials({}, "/nonexistent"), undefined);
    assert.equal(inClusterCredentials({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }, "/nonexistent"), undefined);
  });
});
