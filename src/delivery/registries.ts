import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import type { RegistrySettings } from "../adapters/registry/resolve.js";
import type { Project } from "./project.js";

type Reference = string | { fromEnv: string } | { fromFile: string };

/** The platform config's registry settings with credentials read from their references. */
export function resolveRegistrySettings(
  project: Project,
  processEnv: NodeJS.ProcessEnv = process.env,
): Record<string, RegistrySettings> {
  const out: Record<string, RegistrySettings> = {};
  const baseDir = project.configFile ? dirname(project.configFile) : process.cwd();
  const read = (host: string, field: string, ref: Reference): string => {
    if (typeof ref === "string") return ref;
    if ("fromEnv" in ref) {
      const value = processEnv[ref.fromEnv];
      if (!value)
        throw new InputError(
          `registries.${host}.credentials.${field}: environment variable ${ref.fromEnv} is not set.`,
        );
      return value;
    }
    const path = resolve(baseDir, ref.fromFile);
    if (!existsSync(path))
      throw new InputError(`registries.${host}.credentials.${field}: file ${path} does not exist.`);
    return readFileSync(path, "utf8").trim();
  };
  for (const [host, settings] of Object.entries(project.platform?.registries ?? {})) {
    out[host] = {
      insecure: settings.insecure,
      credentials: settings.credentials
        ? {
            username: read(host, "username", settings.credentials.username as Reference),
            password: read(host, "password", settings.credentials.password as Reference),
          }
        : undefined,
    };
  }
  return out;
}
