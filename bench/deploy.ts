/**
 * `railyard deploy` against its baseline, `kubectl apply --server-side -f <rendered>` followed by
 * `kubectl rollout status`: the same app, the same local cluster, each run rolling a new version out,
 * runs alternating so machine noise hits both alike. Prints each pair and the median of the pairwise
 * ratios. Also times `railyard validate` over 1,000 app files in one process.
 *
 *   npx tsx bench/deploy.ts [--runs 20]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { startCluster } from "../src/localcluster/cluster.js";

const root = join(import.meta.dirname, "..");
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const railyardBin = join(root, "bin", "railyard.js");

function time(command: string, args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const build = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], {
  cwd: root,
  stdio: "inherit",
});
if (build.status !== 0) process.exit(1);

const work = mkdtempSync(join(tmpdir(), "railyard-bench-"));
const cluster = await startCluster({
  name: "bench",
  stateDir: join(work, "cluster"),
  nodes: 3,
  ownerPid: process.pid,
});
try {
  const kubectl = cluster.binaries.paths.kubectl;
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of ["bench-railyard", "bench-kubectl"])
    await core.createNamespace({ body: { metadata: { name } } });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // default ServiceAccounts

  const app = {
    name: "api",
    args: { version: "0" },
    replicas: 3,
    containers: [
      {
        name: "app",
        image: "registry.example.test/shop/api:{{ version }}",
        ports: [{ name: "http", containerPort: 8080 }],
        env: [{ name: "MODE", value: "bench" }],
        resources: { requests: { cpu: "10m", memory: "16Mi" } },
      },
    ],
    endpoints: { exposes: [{ name: "web", host: "api.bench.example.test" }] },
  };
  writeFileSync(join(work, "railyard.yaml"), stringify(app));
  const environment = (namespace: string) => ({
    cluster: { kubeconfig: cluster.kubeconfigPath },
    namespace,
    imagePolicy: "tag",
  });
  writeFileSync(
    join(work, "railyard.config.yaml"),
    stringify({
      environments: { bench: environment("bench-railyard"), baseline: environment("bench-kubectl") },
    }),
  );

  /** Waits until both namespaces hold exactly the desired pods, none terminating. */
  const settle = async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const counts = await Promise.all(
        ["bench-railyard", "bench-kubectl"].map(async (namespace) => {
          const pods = await core.listNamespacedPod({ namespace });
          return pods.items.length === 0 || pods.items.every((p) => !p.metadata?.deletionTimestamp)
            ? pods.items.length
            : -1;
        }),
      );
      if (counts.every((n) => n === 0 || n === app.replicas)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  };

  const rows: { run: number; railyard: number; kubectl: number; ratio: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    const version = `1.${run}`;
    const rendered = spawnSync(
      process.execPath,
      [railyardBin, "render", "--env", "baseline", "--set", `version=${version}`],
      { cwd: work, encoding: "utf8" },
    );
    if (rendered.status !== 0) throw new Error(rendered.stderr);
    writeFileSync(join(work, "rendered.yaml"), rendered.stdout);
    const deployRailyard = () =>
      time(process.execPath, [railyardBin, "deploy", "--env", "bench", "--set", `version=${version}`], work);
    const deployKubectl = () =>
      time(
        kubectl,
        ["--kubeconfig", cluster.kubeconfigPath, "apply", "--server-side", "-f", "rendered.yaml"],
        work,
      ) +
      time(
        kubectl,
        [
          "--kubeconfig",
          cluster.kubeconfigPath,
          "-n",
          "bench-kubectl",
          "rollout",
          "status",
          "deployment/api",
        ],
        work,
      );
    // Alternate which goes first so a slow moment of the machine does not always hit the same side,
    // and let the cluster settle in between: a rollout is "done" while its old pods are still being
    // deleted, and that cleanup would slow whichever side runs next.
    let railyard: number;
    let baseline: number;
    if (run % 2) {
      railyard = deployRailyard();
      await settle();
      baseline = deployKubectl();
    } else {
      baseline = deployKubectl();
      await settle();
      railyard = deployRailyard();
    }
    await settle();
    rows.push({ run, railyard, kubectl: baseline, ratio: railyard / baseline });
  }

  // validate: 1,000 app files in one process.
  const files: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const file = join(work, `app-${i}.yaml`);
    writeFileSync(file, stringify({ ...app, name: `api-${i}` }));
    files.push(file);
  }
  const validateMs = median(
    [1, 2, 3].map(() =>
      time(process.execPath, [railyardBin, "validate", ...files.flatMap((f) => ["-f", f])], work),
    ),
  );

  console.log("run  railyard deploy (ms)  kubectl apply+rollout status (ms)  ratio");
  for (const r of rows) {
    console.log(
      `${String(r.run).padStart(3)}  ${r.railyard.toFixed(0).padStart(20)}  ${r.kubectl.toFixed(0).padStart(33)}  ${r.ratio.toFixed(2).padStart(5)}`,
    );
  }
  console.log(
    `median: railyard ${median(rows.map((r) => r.railyard)).toFixed(0)} ms, kubectl ${median(rows.map((r) => r.kubectl)).toFixed(0)} ms, ` +
      `median of pairwise ratios ${median(rows.map((r) => r.ratio)).toFixed(2)}x (goal <= 1.2x)`,
  );
  console.log(
    `railyard validate, 1,000 app files in one process: ${validateMs.toFixed(0)} ms (median of 3; goal <= 1000 ms)`,
  );
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
