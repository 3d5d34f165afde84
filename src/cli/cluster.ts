import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { ensureBinaries, formatDuration } from "../localcluster/binaries.js";
import { requireRunning, startCluster, stopCluster } from "../localcluster/cluster.js";

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError("expected a port from 1 to 65535");
  return n;
}

/** `railyard cluster up|down|kubeconfig|build`: a local Kubernetes control plane for demos and tests. */
export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command("cluster")
    .description(
      "run a local Kubernetes control plane (etcd, API server, controllers, scheduler, kwok nodes)",
    );

  cluster
    .command("up")
    .description("start a local cluster and write its kubeconfig")
    .option("--name <name>", "cluster name", "local")
    .option("--nodes <count>", "number of fake nodes", positiveInt, 3)
    .option("--node-cpu <cpu>", "CPU capacity of each node", "32")
    .option("--node-memory <memory>", "memory capacity of each node", "256Gi")
    .option("--node-pods <pods>", "pod capacity of each node", "110")
    .option("--api-port <port>", "fixed API server port on 127.0.0.1 (default: a free port)", port)
    .action(
      async (opts: {
        name: string;
        nodes: number;
        nodeCpu: string;
        nodeMemory: string;
        nodePods: string;
        apiPort?: number;
      }) => {
        const started = Date.now();
        const c = await startCluster({
          name: opts.name,
          nodes: opts.nodes,
          nodeCapacity: { cpu: opts.nodeCpu, memory: opts.nodeMemory, pods: opts.nodePods },
          apiPort: opts.apiPort,
          log: stderrLog,
        });
        process.stdout.write(
          [
            `Cluster "${c.name}" is up: API server ${c.server}, ${opts.nodes} node(s), ready in ${formatDuration(Date.now() - started)}.`,
            `  kubeconfig: ${c.kubeconfigPath}   (context ${c.context})`,
            `  kubectl:    ${c.binaries.paths.kubectl}`,
            `Point kubectl at it:`,
            `  export KUBECONFIG=${c.kubeconfigPath}`,
            `  kubectl get nodes`,
            `Stop it with: railyard cluster down --name ${c.name}`,
            "",
          ].join("\n"),
        );
      },
    );

  cluster
    .command("down")
    .description("stop a local cluster and delete its data")
    .option("--name <name>", "cluster name", "local")
    .action(async (opts: { name: string }) => {
      const stopped = await stopCluster(opts.name);
      process.stdout.write(
        stopped
          ? `Cluster "${opts.name}" stopped and removed.\n`
          : `No local cluster named "${opts.name}" was running.\n`,
      );
    });

  cluster
    .command("kubeconfig")
    .description("print the kubeconfig of a running local cluster")
    .option("--name <name>", "cluster name", "local")
    .option("--path", "print the file's path instead of its content")
    .action(async (opts: { name: string; path?: boolean }) => {
      const state = await requireRunning(opts.name);
      process.stdout.write(
        opts.path ? `${state.kubeconfigPath}\n` : await readFile(state.kubeconfigPath, "utf8"),
      );
    });

  cluster
    .command("build")
    .description("build (or check) the cached control-plane binaries without starting a cluster")
    .option("--force", "rebuild even if the cache is complete")
    .action(async (opts: { force?: boolean }) => {
      const binaries = await ensureBinaries({ force: opts.force, log: stderrLog });
      process.stdout.write(`Control-plane binaries are ready in ${binaries.dir}\n`);
    });
}
