#!/usr/bin/env node
// Runs the bundled CLI (`npm run build`) through a V8 code cache kept beside it, or the TypeScript
// sources when there is no bundle (a fresh clone before its first build).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { Script } from "node:vm";
import { setFlagsFromString } from "node:v8";

// A short command allocates a few tens of megabytes: a larger young generation spares it most of
// the garbage collections a default-sized one would run during start-up. The long-running server
// keeps the default, smaller one.
if (process.argv[2] !== "server") {
  setFlagsFromString("--max-semi-space-size=16");
  setFlagsFromString("--min-semi-space-size=16");
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "railyard.cjs");

if (existsSync(bundle)) {
  const cacheFile = `${bundle}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // first run after a build
  }
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
  const script = new Script(source, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit so it holds the functions this command compiled, not only the top level.
    process.once("exit", () => {
      try {
        writeFileSync(cacheFile, script.createCachedData());
      } catch {
        // a read-only install runs without the cache
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
} else {
  const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
  const result = spawnSync(
    process.execPath,
    [tsx, join(root, "src", "cli", "main.ts"), ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  process.exit(result.status ?? 1);
}
