import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { stringify } from "yaml";
import type { Reporter } from "../../src/delivery/reporter.js";
import { type TestCluster } from "../testkit/cluster.js";
import { run, type RunResult } from "../testkit/processes.js";

const root = join(import.meta.dirname, "..", "..");
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export interface Project {
  dir: string;
  appFile: string;
  configFile: string;
  /** Rewrites the app file (YAML text or an object). */
  writeApp(app: string | object): void;
  /** Runs the railyard CLI as a user would (the compiled build: scripts/run-tests.ts builds it first). */
  railyard(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
}

export interface ProjectOptions {
  namespace: string;
  env?: string;
  environment?: Record<string, unknown>;
  platform?: Record<string, unknown>;
}

/** A temp project: an app file and a platform config whose environment targets the test cluster. */
export function createProject(cluster: TestCluster, app: string | object, options: ProjectOptions): Project {
  const dir = mkdtempSync(join(tmpdir(), "railyard-project-"));
  dirs.push(dir);
  const appFile = join(dir, "railyard.yaml");
  const configFile = join(dir, "railyard.config.yaml");
  const envName = options.env ?? "staging";
  writeFileSync(
    configFile,
    stringify({
      ...options.platform,
      environments: {
        [envName]: {
          cluster: { kubeconfig: cluster.kubeconfigPath },
          namespace: options.namespace,
          imagePolicy: "tag",
          ...options.environment,
        },
      },
    }),
  );
  const writeApp = (value: string | object) =>
    writeFileSync(appFile, typeof value === "string" ? value : stringify(value));
  writeApp(app);
  return {
    dir,
    appFile,
    configFile,
    writeApp,
    railyard: (args, env) =>
      run(process.execPath, [join(root, "bin/railyard.js"), ...args], {
        cwd: dir,
        env: { ...process.env, CI: "true", ...env },
      }),
  };
}

/** A reporter that keeps every line, to assert on what a person would have seen. */
export function recordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (m) => lines.push(m),
    progress: (m) => lines.push(m),
    event: (m) => lines.push(`event: ${m}`),
    warn: (m) => lines.push(`warning: ${m}`),
  };
}

/** A small app in the test cluster: one container with a port, image tag from the `version` arg. */
export function simpleApp(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    args: { version: "1.0" },
    replicas: 2,
    containers: [
      {
        name: "app",
        image: "registry.example.test/shop/api:{{ version }}",
        ports: [{ name: "http", containerPort: 8080 }],
        resources: { requests: { cpu: "10m", memory: "16Mi" } },
      },
    ],
    ...extra,
  };
}
