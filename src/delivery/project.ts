import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { InputError } from "../core/errors.js";
import type { KubeObject } from "../core/kube/objects.js";
import type { RenderEnvironment } from "../core/render/render.js";
import { type AppSpec, loadAppSpec } from "../core/spec/app.js";
import {
  type PlatformConfig,
  checkAppAgainstEnvironment,
  loadPlatformConfig,
} from "../core/spec/platform.js";
import { SpecError } from "../core/spec/issues.js";
import { parseYamlDocuments } from "../core/spec/yaml.js";
import { cacheRoot } from "../localcluster/paths.js";
import { KUBERNETES_VERSION } from "../localcluster/versions.js";

export type EnvironmentConfig = PlatformConfig["environments"][string];

export interface Project {
  appFile: string;
  app: AppSpec;
  configFile?: string;
  platform?: PlatformConfig;
}

export const DEFAULT_APP_FILE = "railyard.yaml";
export const DEFAULT_CONFIG_FILE = "railyard.config.yaml";

function readText(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new InputError(`${what} ${path} does not exist.`, {
      hint: what === "app file" ? "Pass it with -f FILE." : "Pass it with --config FILE.",
    });
  }
  return readFileSync(path, "utf8");
}

/** Loads and validates the app file and, when present or named, the platform config. */
export function loadProject(appFile = DEFAULT_APP_FILE, configFile?: string): Project {
  const appPath = resolve(appFile);
  const app = loadAppSpec(readText(appPath, "app file"), relative(process.cwd(), appPath) || appPath);
  const configPath = resolve(configFile ?? DEFAULT_CONFIG_FILE);
  if (!configFile && !existsSync(configPath)) return { appFile: appPath, app };
  const configText = readText(configPath, "platform config");
  const platform = loadPlatformConfig(configText, relative(process.cwd(), configPath) || configPath);
  return { appFile: appPath, app, configFile: configPath, platform };
}

/** The named environment, after checking the app's config and secret keys against it. */
export function requireEnvironment(project: Project, envName: string): EnvironmentConfig {
  if (!project.platform || !project.configFile) {
    throw new InputError(
      `--env ${envName} needs a platform config, and ${DEFAULT_CONFIG_FILE} was not found.`,
      {
        hint: "Pass it with --config FILE.",
      },
    );
  }
  const issues = checkAppAgainstEnvironment(
    project.app,
    relative(process.cwd(), project.appFile) || project.appFile,
    project.platform,
    envName,
  );
  if (issues.length > 0) throw new SpecError(issues);
  return project.platform.environments[envName]!;
}

/** Reads every secret the app uses from its reference; all missing sources are reported together. */
export function resolveSecrets(
  project: Project,
  envName: string,
  env: EnvironmentConfig,
  processEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const used = new Set<string>();
  for (const container of project.app.containers ?? []) {
    for (const entry of container.env ?? []) if ("secret" in entry) used.add(entry.secret);
  }
  for (const override of Object.values(project.app.environments?.[envName]?.containers ?? {})) {
    for (const entry of override.env ?? []) if ("secret" in entry) used.add(entry.secret);
  }
  const values: Record<string, string> = {};
  const problems: string[] = [];
  const baseDir = dirname(project.configFile!);
  for (const key of [...used].sort()) {
    const source = env.secrets?.[key];
    if (!source) continue; // reported by requireEnvironment
    if ("fromEnv" in source) {
      const value = processEnv[source.fromEnv];
      if (value === undefined || value === "") {
        problems.push(
          `secret "${key}" of environment ${envName}: environment variable ${source.fromEnv} is not set`,
        );
      } else values[key] = value;
    } else {
      const path = resolve(baseDir, source.fromFile);
      if (!existsSync(path)) {
        problems.push(`secret "${key}" of environment ${envName}: file ${path} does not exist`);
      } else values[key] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    }
  }
  if (problems.length > 0) {
    throw new InputError(`Missing secret sources:\n  ${problems.join("\n  ")}`, {
      hint: "Set the variables or create the files the platform config references.",
    });
  }
  return values;
}

export function renderEnvironment(
  envName: string,
  env: EnvironmentConfig,
  secrets: Record<string, string>,
): RenderEnvironment {
  return {
    name: envName,
    namespace: env.namespace,
    domain: env.domain,
    config: env.config ?? {},
    secrets,
  };
}

/**
 * `kubectl kustomize DIR`, with the kubectl on the PATH or else the one Railyard builds for its local
 * cluster (`railyard cluster build`).
 */
function kustomize(dir: string): string {
  const cached = join(cacheRoot(), "k8s", KUBERNETES_VERSION, "kubectl");
  for (const kubectl of ["kubectl", ...(existsSync(cached) ? [cached] : [])]) {
    try {
      return execFileSync(kubectl, ["kustomize", dir], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new InputError(`kubectl kustomize ${dir} failed: ${stderr.trim()}`, {
        hint: "Fix the kustomization.",
      });
    }
  }
  throw new InputError(`manifests.kustomize needs kubectl, and none was found.`, {
    hint: "Install kubectl, or run `railyard cluster build`, which builds one.",
  });
}

/** The objects of a manifests-mode app: plain YAML files in a folder, or `kubectl kustomize` output. */
export function loadManifests(project: Project): KubeObject[] | undefined {
  const manifests = project.app.manifests;
  if (!manifests) return undefined;
  const dir = resolve(dirname(project.appFile), manifests.path);
  if (!existsSync(dir)) {
    throw new InputError(`manifests.path: ${dir} does not exist.`, {
      hint: "Point it at the folder of manifests.",
    });
  }
  const sources: { file: string; text: string }[] = [];
  if (manifests.kustomize) {
    const text = kustomize(dir);
    sources.push({ file: `${manifests.path} (kustomize)`, text });
  } else {
    const files = statSync(dir).isDirectory()
      ? readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
          .map((e) => join(e.parentPath, e.name))
          .sort()
      : [dir];
    for (const file of files)
      sources.push({ file: relative(process.cwd(), file), text: readFileSync(file, "utf8") });
  }
  const objects: KubeObject[] = [];
  for (const { file, text } of sources) {
    for (const doc of parseYamlDocuments(text, file)) {
      if (doc === null || doc === undefined) continue;
      const object = doc as KubeObject;
      if (!object.apiVersion || !object.kind || !object.metadata?.name) {
        throw new InputError(`${file}: every manifest needs apiVersion, kind and metadata.name.`);
      }
      objects.push(object);
    }
  }
  return objects;
}
