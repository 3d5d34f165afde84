import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PrerequisiteError, UpstreamError } from "../core/errors.js";
import { CLUSTER_TOOLS_DIR, cacheRoot } from "./paths.js";
import { isAlive } from "./processes.js";
import {
  BINARY_NAMES,
  type BinaryName,
  ETCD_VERSION,
  KUBERNETES_VERSION,
  KWOK_VERSION,
  MINIMUM_GO,
} from "./versions.js";

export interface ControlPlaneBinaries {
  dir: string;
  paths: Record<BinaryName, string>;
  /** kwok's default node and pod stages, copied from its module at build time. */
  defaultStagesFile: string;
}

export type Log = (line: string) => void;

export interface EnsureBinariesOptions {
  cacheDir?: string;
  log?: Log;
  /** Rebuild even when the cache looks complete. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

interface Manifest {
  kubernetes: string;
  etcd: string;
  kwok: string;
  sourceHash: string;
  builtAt: string;
  buildSeconds: number;
  sizes: Record<string, number>;
}

const GO_DIR = join(CLUSTER_TOOLS_DIR, "go");
const K8S_MODULE = join(GO_DIR, "k8s");
const ETCD_MODULE = join(GO_DIR, "etcd");
const K8S_PACKAGES = [
  "k8s.io/kubernetes/cmd/kube-apiserver",
  "k8s.io/kubernetes/cmd/kube-controller-manager",
  "k8s.io/kubernetes/cmd/kube-scheduler",
  "k8s.io/kubernetes/cmd/kubectl",
  "sigs.k8s.io/kwok/cmd/kwok",
];
const K8S_BUILD_TAGS = "selinux,notest";
/** kwokctl's default stages for a cluster with node leases (kwok pkg/kwokctl/runtime/cluster.go). */
const KWOK_DEFAULT_STAGES = [
  "node/fast/node-initialize.yaml",
  "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
];
const STEPS = 4;

/** Returns the cached control-plane binaries, building them first if the cache is missing or stale. */
export async function ensureBinaries(options: EnsureBinariesOptions = {}): Promise<ControlPlaneBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const root = join(options.cacheDir ?? cacheRoot(env), "k8s");
  const dir = join(root, KUBERNETES_VERSION);
  const sourceHash = await hashSources();

  if (!options.force) {
    const verdict = await inspectCache(dir, sourceHash);
    if (verdict === "ok") return describe(dir);
    if (verdict !== "missing") log(`The binary cache at ${dir} is unusable (${verdict}); rebuilding it.`);
  }

  await mkdir(root, { recursive: true });
  const release = await acquireBuildLock(join(root, ".build.lock"), log);
  try {
    // Another process may have finished the build while this one waited for the lock.
    if (!options.force && (await inspectCache(dir, sourceHash)) === "ok") return describe(dir);
    await build(dir, sourceHash, env, log);
    return describe(dir);
  } finally {
    await release();
  }
}

function describe(dir: string): ControlPlaneBinaries {
  const paths = Object.fromEntries(BINARY_NAMES.map((name) => [name, join(dir, name)])) as Record<
    BinaryName,
    string
  >;
  return { dir, paths, defaultStagesFile: join(dir, "kwok-default-stages.yaml") };
}

/** "ok", "missing", or a short reason the cache cannot be used. */
export async function inspectCache(dir: string, sourceHash: string): Promise<string> {
  if (!existsSync(dir)) return "missing";
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return "manifest.json is missing or unreadable";
  }
  if (manifest.sourceHash !== sourceHash) return "it was built from other module versions";
  for (const name of [...BINARY_NAMES, "kwok-default-stages.yaml"]) {
    const expected = manifest.sizes[name];
    const actual = await stat(join(dir, name)).then(
      (s) => s.size,
      () => undefined,
    );
    if (actual === undefined) return `${name} is missing`;
    if (actual !== expected) return `${name} is ${actual} bytes, expected ${expected}`;
  }
  return "ok";
}

async function hashSources(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`${KUBERNETES_VERSION} ${ETCD_VERSION} ${KWOK_VERSION} ${K8S_BUILD_TAGS}\n`);
  for (const file of ["k8s/go.mod", "k8s/go.sum", "etcd/go.mod", "etcd/go.sum"]) {
    hash.update(await readFile(join(GO_DIR, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

async function build(dir: string, sourceHash: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const started = Date.now();
  const elapsed = () => formatDuration(Date.now() - started);
  const go = env.RAILYARD_GO || "go";
  const goEnv = { ...env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });

  log(
    `Building the local Kubernetes control plane (Kubernetes ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}) ` +
      `from source. This happens once per machine and takes about 10-15 minutes on 2 cores; later starts take seconds.`,
  );
  try {
    log(`[1/${STEPS}] checking the Go toolchain and downloading modules (${elapsed()})`);
    await checkGo(go, goEnv);
    for (const module of [ETCD_MODULE, K8S_MODULE]) {
      await runGo(go, ["mod", "download"], module, goEnv).catch((error: unknown) => {
        throw new PrerequisiteError(
          `Could not download the Go modules for the control plane: ${(error as Error).message}`,
          {
            hint: `Check that the Go module proxy (GOPROXY=${env.GOPROXY || "default"}) is reachable from this machine.`,
            cause: error,
          },
        );
      });
    }

    log(`[2/${STEPS}] compiling etcd ${ETCD_VERSION} (${elapsed()})`);
    await compile(go, goEnv, ETCD_MODULE, ["go.etcd.io/etcd/server/v3"], join(partial, "etcd"), "-s -w", "", {
      label: `[2/${STEPS}] etcd`,
      log,
      elapsed,
    });

    log(
      `[3/${STEPS}] compiling kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok (${elapsed()})`,
    );
    await compile(go, goEnv, K8S_MODULE, K8S_PACKAGES, `${partial}/`, kubernetesLdflags(), K8S_BUILD_TAGS, {
      label: `[3/${STEPS}] Kubernetes`,
      log,
      elapsed,
    });

    log(`[4/${STEPS}] collecting kwok's stages and checking versions (${elapsed()})`);
    await writeDefaultStages(go, goEnv, join(partial, "kwok-default-stages.yaml"));
    const reported = await runCapture(join(partial, "kube-apiserver"), ["--version"], goEnv);
    if (!reported.includes(KUBERNETES_VERSION)) {
      throw new UpstreamError(`kube-apiserver reports "${reported.trim()}", expected ${KUBERNETES_VERSION}`);
    }
    const sizes: Record<string, number> = {};
    for (const name of [...BINARY_NAMES, "kwok-default-stages.yaml"]) {
      sizes[name] = (await stat(join(partial, name))).size;
      if (name !== "kwok-default-stages.yaml") await chmod(join(partial, name), 0o755);
    }
    const manifest: Manifest = {
      kubernetes: KUBERNETES_VERSION,
      etcd: ETCD_VERSION,
      kwok: KWOK_VERSION,
      sourceHash,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
      sizes,
    };
    await writeFile(join(partial, "manifest.json"), JSON.stringify(manifest, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    log(`Control plane built in ${elapsed()} and cached at ${dir}.`);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

function kubernetesLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split(".");
  const buildDate = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const flags = ["-s", "-w"];
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    flags.push(
      `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=${buildDate}`,
    );
  }
  return flags.join(" ");
}

async function checkGo(go: string, env: NodeJS.ProcessEnv): Promise<void> {
  const wanted = `go${MINIMUM_GO.major}.${MINIMUM_GO.minor}`;
  const hint =
    `Install Go ${MINIMUM_GO.major}.${MINIMUM_GO.minor} or newer from https://go.dev/dl/ and put it on PATH ` +
    `(or set RAILYARD_GO to the go binary), or use an existing cluster by setting KUBECONFIG.`;
  let version: string;
  try {
    version = (await runCapture(go, ["env", "GOVERSION"], env)).trim();
  } catch (error) {
    throw new PrerequisiteError(
      `Go was not found ("${go}"): Railyard builds its local Kubernetes control plane from source and needs ${wanted}+.`,
      { hint, cause: error },
    );
  }
  const match = /^go(\d+)\.(\d+)/.exec(version);
  const tooOld =
    !match ||
    Number(match[1]) < MINIMUM_GO.major ||
    (Number(match[1]) === MINIMUM_GO.major && Number(match[2]) < MINIMUM_GO.minor);
  if (tooOld) {
    throw new PrerequisiteError(
      `Go ${version || "(unknown version)"} is too old: the control plane needs ${wanted} or newer.`,
      { hint },
    );
  }
}

interface Progress {
  label: string;
  log: Log;
  elapsed: () => string;
}

/** `go build -v` names each package it compiles; counting them against `go list -deps` shows progress. */
async function compile(
  go: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  packages: string[],
  output: string,
  ldflags: string,
  tags: string,
  progress: Progress,
): Promise<void> {
  const tagArgs = tags ? [`-tags=${tags}`] : [];
  const total = (await runCapture(go, ["list", ...tagArgs, "-deps", ...packages], env, cwd))
    .split("\n")
    .filter(Boolean).length;
  let compiled = 0;
  let lastReport = Date.now();
  const args = ["build", "-v", "-trimpath", ...tagArgs, `-ldflags=${ldflags}`, "-o", output, ...packages];
  await runGo(go, args, cwd, env, (line) => {
    if (/^[\w.\-/]+$/.test(line)) compiled += 1;
    if (Date.now() - lastReport >= 20_000) {
      lastReport = Date.now();
      progress.log(
        `${progress.label}: compiled ${compiled} of at most ${total} packages (${progress.elapsed()} elapsed)`,
      );
    }
  });
}

async function writeDefaultStages(go: string, env: NodeJS.ProcessEnv, target: string): Promise<void> {
  const kwokDir = (
    await runCapture(go, ["list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"], env, K8S_MODULE)
  ).trim();
  const parts = await Promise.all(
    KWOK_DEFAULT_STAGES.map((file) => readFile(join(kwokDir, "kustomize", "stage", file), "utf8")),
  );
  await writeFile(target, parts.map((part) => part.trim()).join("\n---\n") + "\n");
}

/** Runs go, streaming stderr lines to `onLine`; on failure the error carries the last lines. */
function runGo(
  go: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    let buffer = "";
    const take = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        onLine(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new UpstreamError(`go ${args[0]} failed (exit ${code}):\n${tail.join("\n")}`));
    });
  });
}

function runCapture(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} failed: ${err.trim()}`)),
    );
  });
}

/** A directory lock holding the builder's PID; a lock left by a dead process is taken over. */
async function acquireBuildLock(lockDir: string, log: Log): Promise<() => Promise<void>> {
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, "pid"), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(await readFile(join(lockDir, "pid"), "utf8").catch(() => "0"));
      // A lock without a PID is either being written this instant or was left by a crash.
      const age = await stat(lockDir).then(
        (s) => Date.now() - s.mtimeMs,
        () => Infinity,
      );
      if (owner ? !isAlive(owner) : age > 10_000) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (owner && !announced) {
        log(`Another process (pid ${owner}) is building the control plane; waiting for it to finish.`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}
