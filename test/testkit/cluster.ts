import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startCluster } from "../../src/localcluster/cluster.js";
import { ensureBinaries } from "../../src/localcluster/binaries.js";
import { runOk, waitFor } from "./processes.js";

/** Set by scripts/run-tests.ts, which starts one cluster for the whole run. */
export const SHARED_KUBECONFIG_ENV = "RAILYARD_TEST_KUBECONFIG";

export interface TestCluster {
  kubeconfig: string;
  kubeconfigPath: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** Runs the cluster's own kubectl (v1.36) against it. */
  kubectl(...args: string[]): Promise<string>;
  /** A fresh namespace for this test file, deleted when the file's tests end. */
  namespace(prefix: string): Promise<string>;
}

let shared: Promise<TestCluster> | undefined;
const namespaces: string[] = [];
let privateCluster: { stop(): Promise<void> } | undefined;

// One hook for the whole file: hooks registered from inside concurrent tests are not reliably scoped.
after(async () => {
  if (!shared) return;
  const cluster = await shared;
  await Promise.all(namespaces.map((name) => cluster.core.deleteNamespace({ name }).catch(() => {})));
  await privateCluster?.stop();
});

/**
 * The run's shared local cluster. Run through `npm test` it is already up; a test file run on its own
 * starts a private one that stops when the file ends.
 */
export function useCluster(): Promise<TestCluster> {
  shared ??= connect();
  return shared;
}

async function connect(): Promise<TestCluster> {
  let kubeconfigPath = process.env[SHARED_KUBECONFIG_ENV];
  if (!kubeconfigPath) {
    const name = `test-${process.pid}`;
    const cluster = await startCluster({
      name,
      stateDir: join(tmpdir(), `railyard-${name}`),
      nodes: 3,
      ownerPid: process.pid,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    privateCluster = cluster;
    kubeconfigPath = cluster.kubeconfigPath;
  }
  const kubeconfig = readFileSync(kubeconfigPath, "utf8");
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const kubectlPath = (await ensureBinaries()).paths.kubectl;
  return {
    kubeconfig,
    kubeconfigPath,
    kc,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    kubectl: (...args) => runOk(kubectlPath, ["--kubeconfig", kubeconfigPath!, ...args]),
    async namespace(prefix) {
      const name = `${prefix}-${randomBytes(3).toString("hex")}`;
      await core.createNamespace({ body: { metadata: { name, labels: { "railyard.dev/test": "true" } } } });
      namespaces.push(name);
      // Pods are refused until the controller manager has created the namespace's default ServiceAccount.
      await waitFor(`ServiceAccount default in ${name}`, () =>
        core.readNamespacedServiceAccount({ name: "default", namespace: name }).then(() => true),
      );
      return name;
    },
  };
}
