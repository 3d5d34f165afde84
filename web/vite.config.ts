import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The web UI: built into web/dist, which `railyard server` serves at `/`. */
export const config = defineConfig({
  root: here,
  base: "/",
  logLevel: "warn",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or styles anywhere: the Content-Security-Policy allows only files from here.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      // Mantine marks its modules "use client" for React Server Components; a browser bundle has none.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
  // `npx vite web` during development: the API and event stream come from a running server.
  server: { host: "127.0.0.1", proxy: { "/api": "http://127.0.0.1:7700" } },
});

// eslint-disable-next-line no-restricted-syntax -- Vite reads the default export of its config file
export default config;
