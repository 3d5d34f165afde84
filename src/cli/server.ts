import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError, type Command } from "commander";
import { InputError, RolloutError, UpstreamError } from "../core/errors.js";
import { collectSet } from "./options.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number");
  return n;
}

/**
 * A positive whole number from an environment variable, or undefined when it is not set. The worker's
 * timings are tuning knobs for operators and tests, not flags every user should see.
 */
function positiveIntegerFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InputError(`${name}=${raw} is not a positive whole number.`, {
      hint: `Set ${name} to a number like 15000, or unset it for the default.`,
    });
  }
  return n;
}

/** `server` runs Railyard's server; `run` asks a server to start an app's pipeline. */
export function registerServerCommands(program: Command): void {
  program
    .command("server")
    .description("run the server: API, webhooks, pipelines (embedded store unless DATABASE_URL is set)")
    .option("--config <file>", "platform config", "railyard.config.yaml")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", port, 7700)
    .option("--data-dir <dir>", "embedded store and checkouts (default .railyard/ beside the config)")
    .action(async (opts: { config: string; host: string; port: number; dataDir?: string }) => {
      // Loaded only here: the other commands start faster without the server's dependencies.
      const { startServer } = await import("../server/main.js");
      const { findPackageRoot } = await import("../server/http/web.js");
      // From the sources this module is src/cli/server.ts; in the bundle, import.meta.url is
      // dist/railyard.cjs (scripts/build.ts): either way the package root is a few folders up.
      const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
      const webDir =
        process.env.RAILYARD_WEB_DIR || (packageRoot ? join(packageRoot, "web", "dist") : undefined);
      const server = await startServer({
        configFile: opts.config,
        host: opts.host,
        port: opts.port,
        dataDir: opts.dataDir ?? process.env.RAILYARD_DATA_DIR,
        databaseUrl: process.env.DATABASE_URL || undefined,
        adminToken: process.env.RAILYARD_ADMIN_TOKEN || undefined,
        leaseMs: positiveIntegerFromEnv("RAILYARD_LEASE_MS"),
        pollMs: positiveIntegerFromEnv("RAILYARD_POLL_MS"),
        workers: positiveIntegerFromEnv("RAILYARD_WORKERS"),
        version: program.version(),
        webDir,
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });

  program
    .command("run")
    .description("start an app's pipeline on a Railyard server")
    .argument("<app>")
    .option("--pipeline <name>", "pipeline (default the app's)")
    .option("--set <key=value>", "arg for this run (repeatable)", collectSet, {})
    .option("--commit <sha>", "commit of the app's repository (default its branch head)")
    .option(
      "--server <url>",
      "server URL (or RAILYARD_SERVER)",
      process.env.RAILYARD_SERVER ?? "http://127.0.0.1:7700",
    )
    .option("--token <token>", "API token (or RAILYARD_TOKEN)")
    .option("--wait", "follow the execution until it finishes (exit 2 if it fails)")
    .action(
      async (
        app: string,
        opts: {
          pipeline?: string;
          set: Record<string, string>;
          commit?: string;
          server: string;
          token?: string;
          wait?: boolean;
        },
      ) => {
        const token = opts.token ?? process.env.RAILYARD_TOKEN;
        if (!token) throw new InputError("no API token.", { hint: "Pass --token or set RAILYARD_TOKEN." });
        const call = async (method: string, path: string, body?: unknown) => {
          let response: Response;
          try {
            response = await fetch(new URL(path, opts.server), {
              method,
              headers: {
                authorization: `Bearer ${token}`,
                "x-railyard-client": "cli",
                ...(body ? { "content-type": "application/json" } : {}),
              },
              body: body ? JSON.stringify(body) : undefined,
            });
          } catch (error) {
            throw new UpstreamError(
              `cannot reach the server at ${opts.server}: ${(error as Error).message}`,
              {
                hint: "Check --server, and that `railyard server` is running.",
              },
            );
          }
          const payload = (await response.json().catch(() => ({}))) as {
            error?: { message: string; hint?: string };
          } & Record<string, unknown>;
          if (!response.ok) {
            const message = payload.error?.message ?? `HTTP ${response.status}`;
            throw response.status >= 500
              ? new UpstreamError(`server: ${message}`, { hint: payload.error?.hint })
              : new InputError(`server refused: ${message}`, { hint: payload.error?.hint });
          }
          return payload;
        };
        const execution = await call("POST", `/api/v1/apps/${encodeURIComponent(app)}/runs`, {
          pipeline: opts.pipeline,
          commit: opts.commit,
          args: opts.set,
        });
        process.stdout.write(
          `Execution ${String(execution.id)} of ${app} (${String(execution.pipeline)}) started.\n`,
        );
        if (!opts.wait) return;
        let last = "";
        for (;;) {
          const current = await call("GET", `/api/v1/executions/${String(execution.id)}`);
          const stages = (current.stages as { id: string; status: string; message: string | null }[]) ?? [];
          const line = stages.map((s) => `${s.id}: ${s.status}`).join(", ");
          if (line !== last) process.stdout.write(`  ${line}\n`);
          last = line;
          if (["succeeded", "failed", "cancelled", "superseded"].includes(String(current.status))) {
            if (current.status === "succeeded") {
              process.stdout.write(`Execution ${String(current.id)} succeeded.\n`);
              return;
            }
            throw new RolloutError(
              `Execution ${String(current.id)} ${String(current.status)}: ${String(current.message ?? "")}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      },
    );
}
