import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the nearest folder above this module with the package's tools (sources or bundle). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tools", "cluster"))) return dir;
    if (dirname(dir) === dir) return join(start, "..", "..");
  }
}

/** The Go wrapper modules and stage files shipped with the package. */
export const CLUSTER_TOOLS_DIR = join(PACKAGE_ROOT, "tools", "cluster");

/** Built binaries live outside any work tree so every clone on the machine shares one build. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RAILYARD_CACHE_DIR) return env.RAILYARD_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "railyard");
}

/** Named clusters started by `railyard cluster up` keep their state here (like kind's ~/.kube entries). */
export function clustersRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RAILYARD_HOME) return join(env.RAILYARD_HOME, "clusters");
  return join(homedir(), ".railyard", "clusters");
}
