#!/usr/bin/env node
// Runs the bundled CLI when it is built (`npm run build`), the TypeScript sources otherwise (a fresh clone).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "railyard.mjs");
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
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
