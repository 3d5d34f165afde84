import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { CORE_SCHEMA, load } from "js-yaml";
import { InputError } from "../../core/errors.js";

/** What is needed to talk to one cluster as one user: the resolved current context of a kubeconfig. */
export interface ClusterCredentials {
  context: string;
  server: string;
  namespace?: string;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  token?: string;
  clientCert?: Buffer;
  clientKey?: Buffer;
  username?: string;
  password?: string;
  /** An exec credential plugin (cloud providers), run when a token is needed. */
  exec?: { command: string; args: string[]; env: Record<string, string> };
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface KubeconfigFile {
  clusters?: Named<Record<string, unknown>>[];
  users?: Named<Record<string, unknown>>[];
  contexts?: Named<Record<string, unknown>>[];
  "current-context"?: string;
}

/** The kubeconfig files in effect: an explicit path, else $KUBECONFIG (a path list), else ~/.kube/config. */
function kubeconfigPaths(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) return [explicit];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(":").filter(Boolean);
  return [join(homedir(), ".kube", "config")];
}

/** Where Kubernetes mounts a pod's service account credentials. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * A pod's own credentials (its service account), used when no kubeconfig is given or found: how the
 * server reaches the cluster it runs in. Read on each connection, since bound tokens rotate.
 */
export function inClusterCredentials(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
): ClusterCredentials | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const tokenFile = join(dir, "token");
  if (!host || !existsSync(tokenFile)) return undefined;
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  return {
    context: "in-cluster",
    server: `https://${host.includes(":") ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`,
    namespace: read("namespace")?.toString("utf8").trim(),
    ca: read("ca.crt"),
    insecureSkipTlsVerify: false,
    token: readFileSync(tokenFile, "utf8").trim(),
  };
}

/**
 * Reads kubeconfig files the way kubectl merges them (first file wins for each name and for
 * current-context) and resolves one context into credentials. Certificate and token file paths are
 * relative to the file that names them.
 */
export function loadCredentials(
  options: { kubeconfig?: string; context?: string },
  env: NodeJS.ProcessEnv = process.env,
): ClusterCredentials {
  const merged: Required<Pick<KubeconfigFile, "clusters" | "users" | "contexts">> & { current?: string } = {
    clusters: [],
    users: [],
    contexts: [],
  };
  const origin = new Map<object, string>();
  const paths = kubeconfigPaths(options.kubeconfig, env);
  if (!options.kubeconfig && !options.context && !paths.some((path) => existsSync(path))) {
    const inCluster = inClusterCredentials(env);
    if (inCluster) return inCluster;
  }
  for (const path of paths) {
    if (!existsSync(path)) {
      if (options.kubeconfig) throw new InputError(`kubeconfig ${path} does not exist.`);
      continue;
    }
    let file: KubeconfigFile;
    try {
      // kubectl writes plain YAML (or JSON); the small core-schema reader is enough and quick to start.
      file = (load(readFileSync(path, "utf8"), { schema: CORE_SCHEMA }) ?? {}) as KubeconfigFile;
    } catch (error) {
      throw new InputError(`kubeconfig ${path} is not valid YAML: ${(error as Error).message}`);
    }
    for (const list of ["clusters", "users", "contexts"] as const) {
      for (const entry of file[list] ?? []) {
        if (merged[list].some((e) => e.name === entry.name)) continue;
        merged[list].push(entry);
        origin.set(entry, dirname(resolve(path)));
      }
    }
    merged.current ??= file["current-context"] || undefined;
  }
  const contextName = options.context ?? merged.current;
  if (!contextName) {
    throw new InputError(`No kubeconfig context is selected (looked in ${paths.join(", ")}).`, {
      hint: "Set cluster.context for the environment, or a current-context in the kubeconfig.",
    });
  }
  const context = merged.contexts.find((c) => c.name === contextName);
  if (!context) {
    throw new InputError(
      `context "${contextName}" is not in the kubeconfig (contexts: ${merged.contexts.map((c) => c.name).join(", ") || "none"}).`,
    );
  }
  const ctx = (context.context ?? {}) as { cluster?: string; user?: string; namespace?: string };
  const cluster = merged.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster?.cluster)
    throw new InputError(`context "${contextName}" names cluster "${ctx.cluster}", which is not defined.`);
  const user = merged.users.find((u) => u.name === ctx.user);
  const c = cluster.cluster as Record<string, string | boolean | undefined>;
  const u = (user?.user ?? {}) as Record<string, unknown>;
  const clusterDir = origin.get(cluster) ?? process.cwd();
  const userDir = user ? (origin.get(user) ?? process.cwd()) : process.cwd();
  const readData = (data: unknown, file: unknown, dir: string): Buffer | undefined => {
    if (typeof data === "string" && data) return Buffer.from(data, "base64");
    if (typeof file === "string" && file) return readFileSync(isAbsolute(file) ? file : join(dir, file));
    return undefined;
  };
  const exec = u.exec as
    { command?: string; args?: string[]; env?: { name: string; value: string }[] } | undefined;
  return {
    context: contextName,
    server: String(c.server ?? ""),
    namespace: ctx.namespace,
    ca: readData(c["certificate-authority-data"], c["certificate-authority"], clusterDir),
    insecureSkipTlsVerify: c["insecure-skip-tls-verify"] === true,
    token:
      typeof u.token === "string"
        ? u.token
        : typeof u.tokenFile === "string"
          ? readFileSync(isAbsolute(u.tokenFile) ? u.tokenFile : join(userDir, u.tokenFile), "utf8").trim()
          : undefined,
    clientCert: readData(u["client-certificate-data"], u["client-certificate"], userDir),
    clientKey: readData(u["client-key-data"], u["client-key"], userDir),
    username: typeof u.username === "string" ? u.username : undefined,
    password: typeof u.password === "string" ? u.password : undefined,
    exec: exec?.command
      ? {
          command: exec.command,
          args: exec.args ?? [],
          env: Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
        }
      : undefined,
  };
}

/** Runs an exec credential plugin (client.authentication.k8s.io ExecCredential) and returns its token. */
export function execCredentialToken(exec: NonNullable<ClusterCredentials["exec"]>): string {
  const out = execFileSync(exec.command, exec.args, {
    encoding: "utf8",
    env: { ...process.env, ...exec.env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  const token = (JSON.parse(out) as { status?: { token?: string } }).status?.token;
  if (!token) throw new InputError(`the credential plugin ${exec.command} returned no token.`);
  return token;
}
