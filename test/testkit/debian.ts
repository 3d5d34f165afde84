import { run } from "./processes.js";

/**
 * Installs Debian packages a test needs when they are missing. `make test` installs them up front
 * (scripts/setup.sh); this keeps a single test file runnable on its own.
 */
export async function ensureDebianPackages(packages: string[]): Promise<void> {
  const missing: string[] = [];
  for (const pkg of packages) {
    const status = await run("dpkg-query", ["-W", "-f=${Status}", pkg]);
    if (!status.stdout.includes("install ok installed")) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Missing Debian packages: ${missing.join(" ")}. Install them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = await run("apt-get", ["update", "-qq"], { env });
  if (update.code !== 0) throw new Error(`apt-get update failed:\n${update.stderr}`);
  const install = await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    env,
  });
  if (install.code !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed:\n${install.stderr}`);
}
