import { relative } from "node:path";
import type { Command } from "commander";
import { stringify } from "yaml";
import { applyOrder } from "../core/kube/kinds.js";
import { redactSecretValues } from "../core/secrets/redact.js";
import { render } from "../core/render/render.js";
import { appJsonSchema, platformJsonSchema } from "../core/spec/json-schema.js";
import { deploy } from "../delivery/deploy.js";
import { diff } from "../delivery/diff.js";
import {
  DEFAULT_APP_FILE,
  loadManifests,
  loadProject,
  renderEnvironment,
  requireEnvironment,
} from "../delivery/project.js";
import { collectSet, timeoutOption } from "./options.js";
import { terminalReporter } from "./reporter.js";
import { SpecError } from "../core/spec/issues.js";

interface FileOptions {
  file: string;
  config?: string;
}
interface EnvOptions extends FileOptions {
  env: string;
  set?: Record<string, string>;
}

/** A command about one app in one environment: -f, --config, --env and --set. */
function appCommand(program: Command, name: string): Command {
  return program
    .command(name)
    .option("-f, --file <file>", "app file", DEFAULT_APP_FILE)
    .option("--config <file>", "platform config")
    .requiredOption("--env <env>", "environment")
    .option("--set <key=value>", "set an arg (repeatable)", collectSet);
}

/** validate · schema · render · diff · deploy: the app file on its way to a cluster. */
export function registerAppCommands(program: Command): void {
  program
    .command("validate")
    .description("check app files (and the platform config) without contacting a cluster")
    .option("-f, --file <file...>", "app file(s)", [DEFAULT_APP_FILE])
    .option("--config <file>", "platform config (checked when given or present)")
    .option("--env <env>", "also check the app against this environment")
    .action(async (opts: { file: string[]; config?: string; env?: string }) => {
      // Pipelines (and their condition language) load only here: other commands start faster.
      const { resolvePipeline } = await import("../core/pipeline/definition.js");
      const issues = [];
      for (const file of opts.file) {
        try {
          // The platform config, when given or present, is checked too, and so is the app's pipeline.
          const project = loadProject(file, opts.config);
          if (project.platform && project.configFile) {
            const appFile = relative(process.cwd(), project.appFile) || project.appFile;
            const platformFile = relative(process.cwd(), project.configFile) || project.configFile;
            try {
              resolvePipeline(project.app, appFile, project.platform, { platformFile });
            } catch (error) {
              if (error instanceof SpecError) issues.push(...error.issues);
              else throw error;
            }
          }
          if (opts.env) requireEnvironment(project, opts.env);
        } catch (error) {
          if (error instanceof SpecError) issues.push(...error.issues);
          else throw error;
        }
      }
      if (issues.length > 0) throw new SpecError(issues);
      process.stdout.write(
        `${opts.file.length === 1 ? opts.file[0] : `${opts.file.length} app files`}: valid\n`,
      );
    });

  program
    .command("schema")
    .description("print the JSON Schema of the app file (or the platform config) for editors")
    .option("--platform", "the platform config's schema instead")
    .action((opts: { platform?: boolean }) => {
      process.stdout.write(
        `${JSON.stringify(opts.platform ? platformJsonSchema() : appJsonSchema(), null, 2)}\n`,
      );
    });

  appCommand(program, "render")
    .description("print the Kubernetes objects an app becomes in an environment (Secret values hidden)")
    .option("-o, --output <format>", "yaml or json", "yaml")
    .action((opts: EnvOptions & { output: string }) => {
      const project = loadProject(opts.file, opts.config);
      const env = requireEnvironment(project, opts.env);
      // Secret values are never needed to show the shape: render with placeholders.
      const secrets = Object.fromEntries(Object.keys(env.secrets ?? {}).map((key) => [key, ""]));
      const rendered = render({
        app: project.app,
        environment: renderEnvironment(opts.env, env, secrets),
        set: opts.set,
        manifests: loadManifests(project),
      });
      const objects = applyOrder(rendered.objects).map(redactSecretValues);
      process.stdout.write(
        opts.output === "json"
          ? `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`
          : objects.map((o) => stringify(o)).join("---\n"),
      );
    });

  appCommand(program, "diff")
    .description("show what a deploy would change (server-side dry-run, like kubectl diff)")
    .option("--force-conflicts", "take over fields another field manager owns")
    .action(async (opts: EnvOptions & { forceConflicts?: boolean }) => {
      const diffs = await diff({
        appFile: opts.file,
        configFile: opts.config,
        env: opts.env,
        set: opts.set,
        forceConflicts: opts.forceConflicts,
      });
      for (const d of diffs) {
        if (d.action === "unchanged" && !d.text) process.stdout.write(`${d.ref}: unchanged\n`);
        else process.stdout.write(d.text.endsWith("\n") ? d.text : `${d.text}\n`);
      }
    });

  appCommand(program, "deploy")
    .description("apply the app to an environment, wait for the rollout, explain and roll back a failure")
    .addOption(timeoutOption())
    .option("--no-rollback", "leave a failed revision in place instead of rolling back")
    .option("--no-wait-lock", "fail instead of waiting when another deploy of the app is running")
    .option("--force-conflicts", "take over fields another field manager owns")
    .action(
      async (
        opts: EnvOptions & {
          timeout: number;
          rollback: boolean;
          waitLock: boolean;
          forceConflicts?: boolean;
        },
      ) => {
        const result = await deploy({
          appFile: opts.file,
          configFile: opts.config,
          env: opts.env,
          set: opts.set,
          timeoutMs: opts.timeout,
          rollbackOnFailure: opts.rollback,
          waitForLock: opts.waitLock,
          forceConflicts: opts.forceConflicts,
          reporter: terminalReporter(),
        });
        const images = result.record.images.map((i) => i.deployed).join(", ");
        process.stdout.write(
          `${result.record.app} revision ${result.record.revision} deployed to ${result.record.environment}` +
            (images ? ` (${images})` : "") +
            "\n",
        );
      },
    );
}
