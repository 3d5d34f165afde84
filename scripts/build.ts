/**
 * Builds the CLI as one CommonJS file, dist/railyard.cjs. One file starts in about half the time of
 * hundreds of modules, and CommonJS lets bin/railyard.js load it with a V8 code cache: start-up is most
 * of a short command's run time.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { build as buildWeb } from "vite";

const root = join(import.meta.dirname, "..");
await build({
  entryPoints: [join(root, "src/cli/main.ts")],
  outfile: join(root, "dist/railyard.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  // The server's dependencies load from node_modules when `railyard server` starts: PGlite finds its
  // WebAssembly files beside its own code, and the other commands do not pay for any of them.
  external: ["fastify", "@electric-sql/pglite", "pg", "kysely"],
  target: "node20",
  sourcemap: true,
  // The sources are ES modules; the one import.meta they use becomes this file's URL.
  define: { "import.meta.url": "__railyardModuleUrl" },
  banner: { js: 'const __railyardModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});

// The web UI, served by `railyard server` from web/dist.
await buildWeb({ configFile: join(root, "web/vite.config.ts"), logLevel: "warn" });

// Warm the code cache with a representative command (parse, validate and render an app), so the
// functions most commands need are in it from the first real run on.
const scratch = mkdtempSync(join(tmpdir(), "railyard-build-"));
try {
  rmSync(join(root, "dist/railyard.cjs.v8cache"), { force: true });
  const config = join(scratch, "railyard.config.yaml");
  writeFileSync(
    config,
    "environments:\n  staging: { namespace: hello-staging, domain: example.test, imagePolicy: tag, config: { greeting: hi }, secrets: { api-token: { fromEnv: X } } }\n  production: { namespace: hello, domain: example.test, imagePolicy: tag, config: { greeting: hi }, secrets: { api-token: { fromEnv: X } } }\n",
  );
  const warm = spawnSync(
    process.execPath,
    [
      join(root, "bin/railyard.js"),
      "render",
      "-f",
      join(root, "examples/hello/railyard.yaml"),
      "--config",
      config,
      "--env",
      "staging",
    ],
    { encoding: "utf8" },
  );
  if (warm.status !== 0) throw new Error(`warming the code cache failed: ${warm.stderr}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
