import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { deploy } from "../../src/delivery/deploy.js";
import { useCluster } from "../testkit/cluster.js";
import { recordingReporter } from "./fixture.js";

const SELF_KINDS = [
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "ConfigMap",
  "Service",
  "PodDisruptionBudget",
  "Deployment",
  "StatefulSet",
];
const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "railyard-self-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("Railyard's own manifests", () => {
  it("deploy the server with two replicas and PostgreSQL, by Railyard", async () => {
    const cluster = await useCluster();
    // The manifests bind the service account in namespace railyard: deploy there.
    await cluster.core.createNamespace({ body: { metadata: { name: "railyard" } } }).catch(() => {});
    await cluster.core
      .createNamespacedSecret({
        namespace: "railyard",
        body: {
          metadata: { name: "railyard" },
          stringData: {
            "database-url": "postgres://railyard:pw@postgres:5432/railyard",
            "postgres-password": "pw",
            "admin-token": "ry_test",
          },
        },
      })
      .catch(() => {});
    const configFile = join(dir, "railyard.config.yaml");
    writeFileSync(
      configFile,
      stringify({
        environments: {
          self: {
            cluster: { kubeconfig: cluster.kubeconfigPath },
            namespace: "railyard",
            imagePolicy: "tag",
            // Cluster-scoped kinds must be allowed explicitly: the server's RBAC is one of them.
            allowedKinds: SELF_KINDS,
          },
        },
      }),
    );

    const result = await deploy({
      appFile: join(root, "deploy", "railyard.yaml"),
      configFile,
      env: "self",
      reporter: recordingReporter(),
    });
    assert.equal(result.record.status, "succeeded");

    const server = await cluster.apps.readNamespacedDeployment({ name: "railyard", namespace: "railyard" });
    assert.equal(server.status?.readyReplicas, 2);
    assert.equal(server.spec?.template.spec?.containers[0]?.image, "railyard:0.1.0");
    assert.equal(server.spec?.template.spec?.serviceAccountName, "railyard");
    const postgres = await cluster.apps.readNamespacedStatefulSet({
      name: "postgres",
      namespace: "railyard",
    });
    assert.equal(postgres.spec?.replicas, 1);
    const binding = await cluster.kubectl(
      "get",
      "clusterrolebinding",
      "railyard-deployer",
      "-o",
      "jsonpath={.subjects[0].namespace}",
    );
    assert.equal(binding, "railyard");
  });
});
