/**
 * Builds the CLI as one ES module, dist/railyard.mjs: a single file starts in about half the time
 * of hundreds of modules, and start-up is most of a short command's run time.
 */
import { build } from "esbuild";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
await build({
  entryPoints: [join(root, "src/cli/main.ts")],
  outfile: join(root, "dist/railyard.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  // Bundled CommonJS dependencies call require(); give the ES module one.
  banner: {
    js: "import { createRequire as __railyardRequire } from 'node:module'; const require = __railyardRequire(import.meta.url);",
  },
  logLevel: "warning",
});
