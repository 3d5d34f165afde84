import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { InputError, NotFoundError, RailyardError, UpstreamError } from "../core/errors.js";
import { resolvePipeline } from "../core/pipeline/definition.js";
import type { PipelineDefinition } from "../core/pipeline/types.js";
import { readAppSpec, type AppSpec } from "../core/spec/app.js";
import type { TriggerEvent } from "../core/triggers/events.js";
import { matchAny } from "../core/triggers/match.js";
import { branchHead, checkoutCommit } from "../adapters/git/checkout.js";
import type { AuditLog, AuditSource } from "./audit.js";
import type { PlatformSource } from "./config.js";
import type { ExecutionRow, ExecutionStore } from "./executions/store.js";

export interface RunServices {
  platform: PlatformSource;
  store: ExecutionStore;
  audit: AuditLog;
  checkoutsDir: string;
  /** Tells the local worker there is work now. */
  kick: () => void;
}

/** An app as the server sees it at one commit: its file, its pipeline. */
export interface AppAtCommit {
  app: AppSpec;
  appFile: string;
  repository: string;
  url: string;
  commit: string;
  path: string;
  pipeline: PipelineDefinition;
}

/**
 * Reads an app at a commit of its registered repository (the branch head when no commit is given):
 * the server never trusts a payload's copy of the app file, it fetches the commit itself.
 */
export async function appAtCommit(
  services: RunServices,
  appName: string,
  commit?: string,
): Promise<AppAtCommit> {
  const platform = services.platform.current();
  const entry = platform.apps?.[appName];
  if (!entry) {
    const known = Object.keys(platform.apps ?? {});
    throw new NotFoundError(`app ${appName} is not registered in the platform config.`, {
      hint: known.length
        ? `Known apps: ${known.join(", ")}.`
        : "Add it under apps: with its repository and path.",
    });
  }
  const remote = services.platform.remote(entry.repository);
  const sha = commit ?? (await branchHead(remote, entry.branch ?? "main"));
  const dir = await checkoutCommit(remote, sha, services.checkoutsDir);
  const appFile = join(dir, entry.path);
  let text: string;
  try {
    text = readFileSync(appFile, "utf8");
  } catch {
    throw new NotFoundError(`${entry.path} does not exist in ${entry.repository} at ${sha.slice(0, 12)}.`, {
      hint: "Fix apps.<name>.path in the platform config.",
    });
  }
  const { app, locate } = readAppSpec(text, relative(dir, appFile));
  if (app.name !== appName) {
    throw new InputError(
      `${entry.path} at ${sha.slice(0, 12)} describes app "${app.name}", not "${appName}".`,
      {
        hint: "Register the app under the name its file gives it.",
      },
    );
  }
  const pipeline = resolvePipeline(app, relative(dir, appFile), platform, {
    locateApp: locate,
    platformFile: services.platform.file,
  });
  return {
    app,
    appFile,
    repository: entry.repository,
    url: remote.url,
    commit: sha,
    path: entry.path,
    pipeline,
  };
}

/** The repository-relative paths whose change concerns an app: its file, and its manifests folder. */
export function appPaths(at: AppAtCommit): string[] {
  const paths = [at.path];
  const manifests = (at.app as { manifests?: { path?: string } }).manifests?.path;
  if (manifests) paths.push(`${join(dirname(at.path), manifests)}/**`);
  return paths;
}

export interface StartRequest {
  at: AppAtCommit;
  event: TriggerEvent;
  /** Same key for the same app and pipeline: one execution, however often the trigger arrives. */
  triggerKey: string;
  args: Record<string, string>;
  actor: string;
  source: AuditSource;
}

export async function startExecution(
  services: RunServices,
  request: StartRequest,
): Promise<{ execution: ExecutionRow; created: boolean }> {
  const { at } = request;
  const result = await services.store.create({
    app: at.app.name,
    definition: at.pipeline,
    trigger: request.event as unknown as Record<string, unknown>,
    triggerKey: request.triggerKey,
    args: request.args,
    source: { repository: at.repository, url: at.url, commit: at.commit, path: at.path },
    actor: request.actor,
  });
  await services.audit.append({
    actor: request.actor,
    source: request.source,
    action: result.created ? "execution.created" : "trigger.duplicate",
    outcome: result.created ? "queued" : "ignored",
    app: at.app.name,
    executionId: result.execution.id,
    detail: {
      pipeline: at.pipeline.name,
      trigger: request.event.kind,
      commit: at.commit,
      args: request.args,
    },
  });
  if (result.created) services.kick();
  return result;
}

/**
 * An app a trigger may concern whose app file could not be read (not committed yet, invalid, its
 * repository unreachable). It starts nothing, and holds up no other app.
 */
export interface AppFailure {
  app: string;
  message: string;
  /** The repository could not be reached: the same delivery may succeed later. */
  transient: boolean;
}

export function appFailure(app: string, error: unknown): AppFailure {
  const message =
    error instanceof RailyardError
      ? [error.message, error.hint].filter(Boolean).join(" ")
      : `internal error: ${(error as Error).message}`;
  return { app, message, transient: error instanceof UpstreamError };
}

/** Which registered apps a git event concerns: those whose repository it came from and whose triggers match. */
export async function appsForGitEvent(
  services: RunServices,
  event: Extract<TriggerEvent, { kind: "git-push" | "git-tag" | "merge" }>,
): Promise<{ matched: { at: AppAtCommit; reason: string }[]; failed: AppFailure[] }> {
  const platform = services.platform.current();
  const matched: { at: AppAtCommit; reason: string }[] = [];
  const failed: AppFailure[] = [];
  for (const [name, entry] of Object.entries(platform.apps ?? {})) {
    const remote = services.platform.remote(entry.repository);
    if (!sameRepository(remote.url, event.repository)) continue;
    let at: AppAtCommit;
    try {
      at = await appAtCommit(services, name, event.commit);
    } catch (error) {
      failed.push(appFailure(name, error));
      continue;
    }
    const match = matchAny(at.pipeline.triggers, event, { appPaths: appPaths(at) });
    if (match.matched) matched.push({ at, reason: match.reason });
  }
  return { matched, failed };
}

/** A registered URL and a payload's repository name the same repository (scheme, credentials and `.git` aside). */
export function sameRepository(url: string, repository: { url: string; fullName: string }): boolean {
  const norm = (u: string) =>
    u
      .replace(/^[a-z+]+:\/\//i, "")
      .replace(/^[^@/]+@/, "")
      .replace(/\.git$/, "")
      .replace(/\/+$/, "")
      .toLowerCase();
  const registered = norm(url);
  return registered === norm(repository.url) || registered.endsWith(`/${repository.fullName.toLowerCase()}`);
}
