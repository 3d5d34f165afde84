/**
 * The test command: unit tests (src/**\/*.test.ts) and integration tests (test/**\/*.test.ts) in one
 * `node --test` run, against one local cluster shared by every file (each file isolates itself in its
 * own namespaces). The cluster is built if needed, started first and stopped last; if this process is
 * killed, the cluster's watchdog stops it.
 *
 *   tsx scripts/run-tests.ts            all tests
 *   tsx scripts/run-tests.ts --unit     unit tests only, no cluster
 *   tsx scripts/run-tests.ts FILE...    only these files (a cluster is started if any is under test/)
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureBinaries } from "../src/localcluster/binaries.js";
import { type LocalCluster, startCluster } from "../src/localcluster/cluster.js";
import { isAlive } from "../src/localcluster/processes.js";
import { SHARED_KUBECONFIG_ENV } from "../test/testkit/cluster.js";

const root = join(import.meta.dirname, "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const named = args.filter((arg) => !arg.startsWith("--"));

function testFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".test.ts"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

const files =
  named.length > 0 ? named : unitOnly ? testFiles("src") : [...testFiles("src"), ...testFiles("test")];
const needsCluster = files.some((file) => file.startsWith("test/") || file.startsWith("test\\"));
const log = (line: string) => process.stderr.write(`${line}\n`);

let cluster: LocalCluster | undefined;
const env = { ...process.env };
if (needsCluster) {
  // Integration tests run the CLI as users do: the bundle behind bin/railyard.js.
  const build = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  await ensureBinaries({ log });
  const name = `test-run-${process.pid}`;
  cluster = await startCluster({
    name,
    stateDir: join(tmpdir(), `railyard-${name}`),
    nodes: 3,
    ownerPid: process.pid,
    log: (line) => log(`[cluster] ${line}`),
  });
  env[SHARED_KUBECONFIG_ENV] = cluster.kubeconfigPath;
}

const child = spawn(
  process.execPath,
  // A test still running after 10 minutes is hung: fail it rather than the whole CI run's time limit.
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-concurrency=3",
    "--test-timeout=600000",
    ...files,
  ],
  { cwd: root, env, stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
const code = await new Promise<number>((resolve) => child.on("close", (c, s) => resolve(c ?? (s ? 1 : 0))));

if (cluster) {
  const pids = Object.values(cluster.pids);
  await cluster.stop();
  const left = pids.filter(isAlive);
  if (left.length > 0) {
    log(`error: control-plane processes still running after the run: ${left.join(", ")}`);
    process.exit(1);
  }
}
process.exit(code);
