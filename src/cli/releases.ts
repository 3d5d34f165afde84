import type { Command } from "commander";
import type { ReleaseRecord } from "../core/release/record.js";
import { inventorySelector } from "../core/render/render.js";
import { connectEnvironment, history, rollback, status } from "../delivery/releases.js";
import { listPods, streamContainerLog } from "../adapters/kubernetes/workloads.js";
import { outputFormat, revisionNumber, timeoutOption } from "./options.js";
import { terminalReporter } from "./reporter.js";

interface EnvOptions {
  env: string;
  config?: string;
  output: "text" | "json";
}

function ago(iso: string | undefined): string {
  if (!iso) return "-";
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 90) return `${seconds}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function describe(record: ReleaseRecord): string {
  if (record.rollbackOf !== undefined) return record.message ?? `rollback to revision ${record.rollbackOf}`;
  if (record.status === "failed") {
    return `${record.diagnosis ?? record.message ?? "failed"}${record.rolledBackBy ? ` (rolled back by revision ${record.rolledBackBy})` : ""}`;
  }
  return record.message ?? "deploy";
}

/** history · status · rollback · logs: what runs where, and going back. */
export function registerReleaseCommands(program: Command): void {
  program
    .command("history")
    .description("list the revisions of an app in an environment")
    .argument("<app>")
    .requiredOption("--env <env>", "environment")
    .option("--config <file>", "platform config")
    .option("-o, --output <format>", "text or json", outputFormat, "text")
    .action(async (app: string, opts: EnvOptions) => {
      const records = await history(connectEnvironment(opts.config, app, opts.env));
      if (opts.output === "json") {
        const summaries = records.map(({ objects, ...rest }) => ({ ...rest, objects: objects.length }));
        process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
        return;
      }
      if (records.length === 0) {
        process.stdout.write(`${app} has never been deployed to ${opts.env}.\n`);
        return;
      }
      const rows = [["REVISION", "STATUS", "DEPLOYED", "BY", "IMAGES", "COMMIT", "DESCRIPTION"]];
      for (const r of records) {
        rows.push([
          String(r.revision),
          r.status,
          ago(r.startedAt),
          r.actor,
          r.images
            .map((i) => i.deployed.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+$/, "@sha256:$1…"))
            .join(",") || "-",
          r.source.commit ? `${r.source.commit.slice(0, 7)}${r.source.dirty ? "+dirty" : ""}` : "-",
          describe(r),
        ]);
      }
      process.stdout.write(table(rows));
    });

  program
    .command("status")
    .description("show the live state of an app: revision, health, pods ready, drift")
    .argument("<app>")
    .requiredOption("--env <env>", "environment")
    .option("--config <file>", "platform config")
    .option("-o, --output <format>", "text or json", outputFormat, "text")
    .action(async (app: string, opts: EnvOptions) => {
      const s = await status(connectEnvironment(opts.config, app, opts.env));
      if (opts.output === "json") {
        const { revision, ...rest } = s;
        const summary = revision
          ? { revision: revision.revision, status: revision.status, images: revision.images }
          : null;
        process.stdout.write(`${JSON.stringify({ ...rest, revision: summary }, null, 2)}\n`);
        return;
      }
      const lines = [
        `app:       ${s.app}`,
        `env:       ${s.environment}`,
        `revision:  ${s.revision ? `${s.revision.revision} (${s.revision.status}, ${ago(s.revision.finishedAt ?? s.revision.startedAt)} by ${s.revision.actor})` : "none"}`,
        `health:    ${s.health} — ${s.message}`,
        `pods:      ${s.pods.ready}/${s.pods.desired} ready`,
        `images:    ${s.revision?.images.map((i) => i.deployed).join(", ") || "-"}`,
        `drift:     ${s.drift.length === 0 ? "no" : `yes — ${s.drift.join("; ")}`}`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  program
    .command("rollback")
    .description("re-apply an earlier revision as a new revision (default: the last good one)")
    .argument("<app>")
    .requiredOption("--env <env>", "environment")
    .option("--config <file>", "platform config")
    .option("--to <revision>", "the revision to go back to", revisionNumber)
    .addOption(timeoutOption())
    .option("--no-wait-lock", "fail instead of waiting when a deploy of the app is running")
    .action(async (app: string, opts: EnvOptions & { to?: number; timeout: number; waitLock: boolean }) => {
      const result = await rollback(connectEnvironment(opts.config, app, opts.env), {
        to: opts.to,
        timeoutMs: opts.timeout,
        waitForLock: opts.waitLock,
        reporter: terminalReporter(),
      });
      process.stdout.write(
        `${app} rolled back to revision ${result.record.rollbackOf} as revision ${result.record.revision} in ${opts.env}\n`,
      );
    });

  program
    .command("logs")
    .description("print (or follow) the logs of an app's pods")
    .argument("<app>")
    .requiredOption("--env <env>", "environment")
    .option("--config <file>", "platform config")
    .option("-f, --follow", "keep streaming")
    .option("--tail <lines>", "lines per container", (v) => Number(v), 100)
    .action(async (app: string, opts: EnvOptions & { follow?: boolean; tail: number }) => {
      const where = connectEnvironment(opts.config, app, opts.env);
      const pods = await listPods(where.target, where.namespace, inventorySelector(app, opts.env));
      if (pods.length === 0) {
        process.stdout.write(`${app} has no pods in ${opts.env}.\n`);
        return;
      }
      const streams = pods.flatMap((pod) =>
        (pod.spec?.containers ?? []).map(async (container) => {
          const prefix = `[${pod.metadata.name}/${container.name}] `;
          let partial = "";
          try {
            await streamContainerLog(
              where.target,
              where.namespace,
              pod.metadata.name!,
              container.name,
              { follow: opts.follow ?? false, tailLines: opts.tail },
              (text) => {
                const lines = (partial + text).split("\n");
                partial = lines.pop() ?? "";
                for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
              },
            );
            if (partial) process.stdout.write(`${prefix}${partial}\n`);
          } catch (error) {
            process.stderr.write(`${prefix}logs unavailable: ${(error as Error).message}\n`);
          }
        }),
      );
      await Promise.all(streams);
    });
}
