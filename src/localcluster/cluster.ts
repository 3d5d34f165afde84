import { generateKeyPairSync, randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile, appendFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { ConflictError, InputError, NotFoundError, UpstreamError } from "../core/errors.js";
import { type ControlPlaneBinaries, type Log, ensureBinaries, formatDuration } from "./binaries.js";
import { probe } from "./http-probe.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { createNodes, waitForDefaultServiceAccount, waitForNodesReady, type NodeCapacity } from "./nodes.js";
import { clustersRoot, CLUSTER_TOOLS_DIR } from "./paths.js";
import {
  type ComponentProcess,
  belongsTo,
  isAlive,
  logTail,
  sleep,
  spawnComponent,
  stopProcesses,
} from "./processes.js";
import { startWatchdog } from "./watchdog.js";
import { KUBERNETES_VERSION } from "./versions.js";

export interface ClusterOptions {
  /** Names the cluster and its kubeconfig context (`railyard-NAME`); default "local". */
  name?: string;
  /** Where the cluster keeps its data; default ~/.railyard/clusters/NAME. */
  stateDir?: string;
  nodes?: number;
  nodeCapacity?: Partial<NodeCapacity>;
  /** A fixed port for the API server; by default a free port is chosen. */
  apiPort?: number;
  /** Stop the cluster when this process exits, even by SIGKILL (tests); omit for a cluster that outlives its starter. */
  ownerPid?: number;
  cacheDir?: string;
  log?: Log;
}

export interface LocalCluster {
  name: string;
  stateDir: string;
  kubeconfigPath: string;
  kubeconfig: string;
  context: string;
  server: string;
  binaries: ControlPlaneBinaries;
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** What `state.json` records about a running cluster, for `cluster down`, `cluster kubeconfig` and stale cleanup. */
export interface ClusterState {
  name: string;
  kubernetesVersion: string;
  server: string;
  kubeconfigPath: string;
  context: string;
  ports: Ports;
  pids: Record<string, number>;
  watchdogPid?: number;
  startedAt: string;
}

interface Ports {
  etcd: number;
  etcdPeer: number;
  apiServer: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

const DEFAULT_CAPACITY: NodeCapacity = { cpu: "32", memory: "256Gi", pods: "110" };
/** Written only into the `default/kubernetes` EndpointSlice; TEST-NET-1 is never routed, nothing connects to it. */
const ADVERTISE_ADDRESS = "192.0.2.1";
const READY_TIMEOUT_MS = 90_000;

export function clusterStateDir(name: string): string {
  return join(clustersRoot(), name);
}

export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const name = options.name ?? "local";
  if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(name)) {
    throw new InputError(`Cluster name "${name}" is not valid.`, {
      hint: "Use lowercase letters, digits and dashes (at most 42 characters), e.g. --name local.",
    });
  }
  const nodes = options.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100) {
    throw new InputError(`--nodes must be a whole number from 1 to 100, got ${options.nodes}.`);
  }
  const stateDir = resolve(options.stateDir ?? clusterStateDir(name));
  const log = options.log ?? (() => {});

  await clearStaleState(stateDir, name);
  if (options.apiPort !== undefined && !(await isPortFree(options.apiPort))) {
    throw new InputError(`Port ${options.apiPort} on 127.0.0.1 is already in use by another process.`, {
      hint: "Choose another port with --api-port, or leave it out to let Railyard pick a free one.",
    });
  }

  const binaries = await ensureBinaries({ cacheDir: options.cacheDir, log });
  const capacity = { ...DEFAULT_CAPACITY, ...options.nodeCapacity };

  // Free ports are found by binding and releasing, so another process may take one in between:
  // when a component then fails to bind, start again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ name, stateDir, nodes, capacity, binaries, log, options });
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.apiPort !== undefined || attempt >= 3) throw error;
      log(`A port was taken while starting (${error.message}); retrying on other ports.`);
    }
  }
}

class PortTakenError extends Error {}

interface StartPlan {
  name: string;
  stateDir: string;
  nodes: number;
  capacity: NodeCapacity;
  binaries: ControlPlaneBinaries;
  log: Log;
  options: ClusterOptions;
}

async function startOnce(plan: StartPlan): Promise<LocalCluster> {
  const { name, stateDir, binaries, log } = plan;
  const started = Date.now();
  const bin = binaries.paths;
  const dirs = {
    pki: join(stateDir, "pki"),
    certs: join(stateDir, "pki", "apiserver"),
    etcd: join(stateDir, "etcd"),
    logs: join(stateDir, "logs"),
  };
  await rm(stateDir, { recursive: true, force: true });
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });

  const ports = await allocatePorts(plan.options.apiPort);
  const token = randomBytes(24).toString("hex");
  const saKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  });
  await writeFile(join(dirs.pki, "sa.key"), saKey, { mode: 0o600 });
  await writeFile(join(dirs.pki, "tokens.csv"), `${token},railyard-admin,railyard-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  const stages = [
    (await readFile(binaries.defaultStagesFile, "utf8")).trim(),
    (await readFile(join(CLUSTER_TOOLS_DIR, "stages", "faults.yaml"), "utf8")).trim(),
  ];
  await writeContainerLogs(stateDir);
  await writeFile(join(stateDir, "kwok.yaml"), [...stages, clusterLogs(stateDir)].join("\n---\n") + "\n");

  const context = `railyard-${name}`;
  const server = `https://127.0.0.1:${ports.apiServer}`;
  const kubeconfigPath = join(stateDir, "kubeconfig");
  const pidsFile = join(stateDir, "pids");
  const processes: ComponentProcess[] = [];
  const watchdogPid = plan.options.ownerPid
    ? startWatchdog(plan.options.ownerPid, stateDir, pidsFile)
    : undefined;

  const launch = async (component: string, command: string, args: string[]) => {
    const proc = spawnComponent(component, command, args, join(dirs.logs, `${component}.log`));
    processes.push(proc);
    await appendFile(pidsFile, `${proc.pid}\n`);
    return proc;
  };
  const waitHealthy = async (proc: ComponentProcess, url: string, isHealthy: (body: string) => boolean) => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!isAlive(proc.pid)) {
        const tail = logTail(proc.logFile);
        if (/address already in use/i.test(tail))
          throw new PortTakenError(`${proc.name}: address already in use`);
        throw new UpstreamError(
          `${proc.name} exited while starting. Last lines of ${proc.logFile}:\n${tail}`,
          {
            hint: "If the binary itself is broken, rebuild the cache with `railyard cluster build --force`.",
          },
        );
      }
      const answer = await probe(url);
      if (answer && answer.status === 200 && isHealthy(answer.body)) {
        log(`${proc.name} ready (${formatDuration(Date.now() - started)})`);
        return;
      }
      await sleep(100);
    }
    throw new UpstreamError(`${proc.name} did not become ready within ${READY_TIMEOUT_MS / 1000}s.`, {
      hint: `See ${proc.logFile}:\n${logTail(proc.logFile)}`,
    });
  };

  try {
    const etcd = await launch("etcd", bin.etcd, [
      "--name=node0",
      `--data-dir=${dirs.etcd}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=node0=http://127.0.0.1:${ports.etcdPeer}`,
      "--auto-compaction-retention=1",
      "--quota-backend-bytes=2147483648",
      // A throwaway local cluster trades durability on power loss for speed.
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await waitHealthy(etcd, `http://127.0.0.1:${ports.etcd}/health`, (body) => body.includes('"true"'));

    const apiServer = await launch("kube-apiserver", bin["kube-apiserver"], [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.apiServer}`,
      `--advertise-address=${ADVERTISE_ADDRESS}`,
      `--cert-dir=${dirs.certs}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(dirs.pki, "sa.key")}`,
      `--service-account-signing-key-file=${join(dirs.pki, "sa.key")}`,
      `--token-auth-file=${join(dirs.pki, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      "--profiling=false",
    ]);
    await waitHealthy(apiServer, `${server}/readyz`, (body) => body.trim() === "ok");

    const caData = await readFile(join(dirs.certs, "apiserver.crt"));
    const kubeconfig = renderKubeconfig({ context, server, token, caData });
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });

    const controllerManager = await launch("kube-controller-manager", bin["kube-controller-manager"], [
      `--kubeconfig=${kubeconfigPath}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.controllerManager}`,
      "--leader-elect=false",
      `--service-account-private-key-file=${join(dirs.pki, "sa.key")}`,
      `--root-ca-file=${join(dirs.certs, "apiserver.crt")}`,
      "--use-service-account-credentials=false",
      "--node-monitor-grace-period=40s",
      "--profiling=false",
    ]);
    const scheduler = await launch("kube-scheduler", bin["kube-scheduler"], [
      `--kubeconfig=${kubeconfigPath}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.scheduler}`,
      "--leader-elect=false",
      "--profiling=false",
    ]);
    const kwok = await launch("kwok", bin.kwok, [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${join(stateDir, "kwok.yaml")}`,
      "--manage-all-nodes=true",
      "--node-lease-duration-seconds=40",
      `--server-address=127.0.0.1:${ports.kwok}`,
      // Nodes point the API server at kwok's server as their kubelet, so `kubectl logs` works; it
      // serves TLS with the API server's self-signed pair (the API server does not verify kubelets).
      "--node-ip=127.0.0.1",
      `--node-port=${ports.kwok}`,
      `--tls-cert-file=${join(dirs.certs, "apiserver.crt")}`,
      `--tls-private-key-file=${join(dirs.certs, "apiserver.key")}`,
    ]);
    await Promise.all([
      waitHealthy(
        controllerManager,
        `https://127.0.0.1:${ports.controllerManager}/healthz`,
        (b) => b === "ok",
      ),
      waitHealthy(scheduler, `https://127.0.0.1:${ports.scheduler}/healthz`, (b) => b === "ok"),
      waitHealthy(kwok, `http://127.0.0.1:${ports.kwok}/healthz`, () => true),
    ]);

    await createNodes(kubeconfigPath, plan.nodes, plan.capacity);
    await waitForNodesReady(kubeconfigPath, plan.nodes, READY_TIMEOUT_MS);
    log(`${plan.nodes} node(s) Ready (${formatDuration(Date.now() - started)})`);
    await waitForDefaultServiceAccount(kubeconfigPath, READY_TIMEOUT_MS);

    const pids = Object.fromEntries(processes.map((p) => [p.name, p.pid]));
    const state: ClusterState = {
      name,
      kubernetesVersion: KUBERNETES_VERSION,
      server,
      kubeconfigPath,
      context,
      ports,
      pids,
      watchdogPid,
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(stateDir, "state.json"), JSON.stringify(state, null, 2));
    return {
      name,
      stateDir,
      kubeconfigPath,
      kubeconfig,
      context,
      server,
      binaries,
      pids,
      stop: async () => {
        await stopClusterAt(stateDir);
      },
    };
  } catch (error) {
    // Leave nothing half started.
    if (watchdogPid) await stopProcesses([watchdogPid], 1000);
    await stopProcesses(processes.map((p) => p.pid));
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * kwok runs no containers, so it serves the same few log lines for every container (CRI log format),
 * and for `--previous` the last words of a crashed process, which the crash-loop fault stands for.
 */
async function writeContainerLogs(stateDir: string): Promise<void> {
  const at = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
  const cri = (stream: string, lines: string[]) =>
    lines.map((line) => `${at} ${stream} F ${line}\n`).join("");
  await writeFile(
    join(stateDir, "logs", "container.log"),
    cri("stdout", [
      "railyard local cluster: this container is simulated by kwok",
      "listening on :8080",
      "ready",
    ]),
  );
  await writeFile(
    join(stateDir, "logs", "container-previous.log"),
    cri("stderr", [
      "starting",
      "Error: connect ECONNREFUSED 10.96.0.20:5432 (database unreachable)",
      "exiting with code 1",
    ]),
  );
}

function clusterLogs(stateDir: string): string {
  return stringify({
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "ClusterLogs",
    metadata: { name: "railyard-container-logs" },
    spec: {
      logs: [
        {
          logsFile: join(stateDir, "logs", "container.log"),
          previousLogsFile: join(stateDir, "logs", "container-previous.log"),
          follow: false,
        },
      ],
    },
  }).trim();
}

/** Stops a cluster by its state directory; returns false when nothing was running there. */
export async function stopClusterAt(stateDir: string): Promise<boolean> {
  const state = await readState(stateDir);
  const recorded = [
    ...Object.values(state?.pids ?? {}),
    ...(await readFile(join(stateDir, "pids"), "utf8").then(
      (text) => text.split("\n").filter(Boolean).map(Number),
      () => [] as number[],
    )),
  ];
  const marker = `${stateDir}/`;
  const ours = [...new Set(recorded)].filter((pid) => isAlive(pid) && belongsTo(pid, marker));
  if (state?.watchdogPid && isAlive(state.watchdogPid)) await stopProcesses([state.watchdogPid], 1000);
  await stopProcesses(ours);
  const existed = existsSync(stateDir);
  await rm(stateDir, { recursive: true, force: true });
  return existed && (state !== undefined || ours.length > 0);
}

export async function stopCluster(name: string): Promise<boolean> {
  return stopClusterAt(clusterStateDir(name));
}

export async function readState(stateDir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

/** The running cluster's state, or a NotFoundError that says how to start it. */
export async function requireRunning(name: string): Promise<ClusterState> {
  const stateDir = clusterStateDir(name);
  const state = await readState(stateDir);
  if (!state || !Object.values(state.pids).every((pid) => isAlive(pid) && belongsTo(pid, `${stateDir}/`))) {
    throw new NotFoundError(`No local cluster named "${name}" is running.`, {
      hint: `Start it with \`railyard cluster up --name ${name}\`.`,
    });
  }
  return state;
}

/** A cluster of this name that still runs is a conflict; one whose processes died is cleaned up. */
async function clearStaleState(stateDir: string, name: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  const state = await readState(stateDir);
  const alive = Object.values(state?.pids ?? {}).filter(
    (pid) => isAlive(pid) && belongsTo(pid, `${stateDir}/`),
  );
  if (state && alive.length === Object.keys(state.pids).length && alive.length > 0) {
    throw new ConflictError(
      `A local cluster named "${name}" is already running (API server ${state.server}).`,
      {
        hint: `Use it (kubeconfig: ${state.kubeconfigPath}), stop it with \`railyard cluster down --name ${name}\`, or pick another --name.`,
      },
    );
  }
  await stopClusterAt(stateDir);
}

async function allocatePorts(apiPort: number | undefined): Promise<Ports> {
  const servers = await Promise.all(
    Array.from({ length: 6 }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolveServer(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  const [etcd, etcdPeer, apiServer, controllerManager, scheduler, kwok] = ports as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { etcd, etcdPeer, apiServer: apiPort ?? apiServer, controllerManager, scheduler, kwok };
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolvePort(true)));
  });
}
