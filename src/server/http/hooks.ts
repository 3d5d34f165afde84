import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError, NotFoundError, PrerequisiteError, UpstreamError } from "../../core/errors.js";
import type { ImagePushEvent, TriggerEvent, WebhookResult } from "../../core/triggers/events.js";
import { parseGithubEvent, verifyGithubSignature } from "../../core/triggers/github.js";
import { parseGitlabEvent, verifyGitlabToken } from "../../core/triggers/gitlab.js";
import { matchAny } from "../../core/triggers/match.js";
import { parseRegistryEnvelope } from "../../core/triggers/registry.js";
import type { Metrics } from "../metrics.js";
import {
  type AppAtCommit,
  type AppFailure,
  appAtCommit,
  appFailure,
  appPaths,
  appsForGitEvent,
  type RunServices,
  startExecution,
} from "../runs.js";
import { AuthenticationError } from "./errors.js";

/** GitHub caps webhook payloads at 25 MB; anything larger is refused from its Content-Length, unread. */
export const HOOK_BODY_LIMIT = 25 * 1024 * 1024;

interface Started {
  app: string;
  execution: string;
  created: boolean;
  reason: string;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new InputError(`the body is not JSON: ${(error as Error).message}`);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Webhooks, authenticated by their signatures only (no API token). A payload is a hint: the app
 * file is read from the repository at the commit, and image digests are resolved when deploying.
 */
export function registerHooks(app: FastifyInstance, services: RunServices & { metrics: Metrics }): void {
  // Signatures are computed over the exact bytes sent: keep the raw body, parse after verifying.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  const secretOf = (kind: "github" | "gitlab" | "registry"): string => {
    const hooks = services.platform.current().webhooks;
    const ref =
      kind === "github"
        ? hooks?.github?.secret
        : kind === "gitlab"
          ? hooks?.gitlab?.token
          : hooks?.registry?.token;
    if (!ref) {
      throw new NotFoundError(`${kind} webhooks are not configured on this server.`, {
        hint: `Add webhooks.${kind} to the platform config.`,
      });
    }
    try {
      return services.platform.secret(ref, `webhooks.${kind}`);
    } catch (error) {
      // The server is misconfigured, not the sender wrong: a 5xx, so the sender retries later.
      throw new PrerequisiteError((error as Error).message, {
        hint: "Set it in the server's environment.",
        cause: error,
      });
    }
  };

  const handle =
    (
      source: "github" | "gitlab" | "registry",
      fn: (request: FastifyRequest, raw: Buffer) => Promise<unknown>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await fn(request, raw);
        services.metrics.webhook(source, "accepted");
        // A ping is answered, not accepted for later work.
        const ping = typeof result === "object" && result !== null && "ping" in result;
        return reply.code(ping ? 200 : 202).send(result);
      } catch (error) {
        services.metrics.webhook(
          source,
          error instanceof AuthenticationError ? "unauthenticated" : "refused",
        );
        throw error;
      }
    };

  app.post(
    "/github",
    handle("github", async (request, raw) => {
      if (!verifyGithubSignature(raw, header(request, "x-hub-signature-256"), secretOf("github"))) {
        throw new AuthenticationError("the X-Hub-Signature-256 signature does not match the body.", {
          hint: "Check the webhook secret on both sides.",
        });
      }
      const event = header(request, "x-github-event") ?? "";
      const result = parseGithubEvent(event, header(request, "x-github-delivery"), parseJson(raw));
      return onGitResult(services, result, "github");
    }),
  );

  app.post(
    "/gitlab",
    handle("gitlab", async (request, raw) => {
      if (!verifyGitlabToken(header(request, "x-gitlab-token"), secretOf("gitlab"))) {
        throw new AuthenticationError("the X-Gitlab-Token does not match.", {
          hint: "Check the webhook token.",
        });
      }
      const result = parseGitlabEvent(
        header(request, "x-gitlab-event") ?? "",
        parseJson(raw),
        header(request, "x-gitlab-event-uuid"),
      );
      return onGitResult(services, result, "gitlab");
    }),
  );

  // The registry's notification endpoint is configured with `headers: {Authorization: [Bearer <token>]}`.
  app.post(
    "/registry",
    handle("registry", async (request, raw) => {
      const auth = header(request, "authorization");
      const token = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
      if (!verifyGitlabToken(token, secretOf("registry"))) {
        throw new AuthenticationError("the registry notification carries no valid token.", {
          hint: "Configure the registry's notification endpoint with an Authorization: Bearer header.",
        });
      }
      const { events, ignored } = parseRegistryEnvelope(parseJson(raw));
      const started: Started[] = [];
      const failed: AppFailure[] = [];
      for (const event of events) started.push(...(await onImagePush(services, event, failed)));
      refuseIfTransient(failed);
      return { started, ignored, ...(failed.length > 0 ? { failed } : {}) };
    }),
  );
}

async function onGitResult(services: RunServices, result: WebhookResult, source: "github" | "gitlab") {
  if (result.kind === "ping") return { ping: "pong", zen: result.zen };
  if (result.kind === "ignored") return { ignored: result.reason };
  const event = result.event;
  if (event.kind !== "git-push" && event.kind !== "git-tag" && event.kind !== "merge") {
    return { ignored: `event ${event.kind} is not a git event` };
  }
  const started: Started[] = [];
  const actor = `${source}:${event.sender ?? "unknown"}`;
  const { matched, failed } = await appsForGitEvent(services, event);
  await auditFailures(services, failed, event, actor);
  for (const { at, reason } of matched) {
    const args: Record<string, string> =
      event.kind === "git-tag" ? { version: event.tag.replace(/^v/, "") } : {};
    const { execution, created } = await startExecution(services, {
      at,
      event,
      // The same commit (or tag) starts one execution per app and pipeline, however often it is
      // delivered, and whether it arrives as a push or as the merge that made it (GitHub and GitLab
      // send both for one merge).
      triggerKey: event.kind === "git-tag" ? `git-tag:${event.tag}` : `commit:${event.commit}`,
      args: knownArgs(at.app.args, args),
      actor,
      source: "webhook",
    });
    started.push({ app: at.app.name, execution: execution.id, created, reason });
  }
  refuseIfTransient(failed);
  return { started, ...(failed.length > 0 ? { failed } : {}) };
}

async function onImagePush(
  services: RunServices,
  event: ImagePushEvent,
  failed: AppFailure[],
): Promise<Started[]> {
  const started: Started[] = [];
  const actor = `registry:${event.actor ?? "unknown"}`;
  for (const name of Object.keys(services.platform.current().apps ?? {})) {
    let at: AppAtCommit;
    try {
      at = await appAtCommit(services, name);
    } catch (error) {
      const failure = appFailure(name, error);
      failed.push(failure);
      await auditFailures(services, [failure], event, actor);
      continue;
    }
    const match = matchAny(at.pipeline.triggers, event as TriggerEvent, { appPaths: appPaths(at) });
    if (!match.matched) continue;
    const { execution, created } = await startExecution(services, {
      at,
      event,
      // The same digest starts one execution per app and pipeline, whatever tags point at it.
      triggerKey: `image:${event.digest}`,
      args: knownArgs(at.app.args, event.tag ? { version: event.tag } : {}),
      actor,
      source: "webhook",
    });
    started.push({ app: name, execution: execution.id, created, reason: match.reason });
  }
  return started;
}

/** An app that could not be read is recorded with the trigger that found it so; the others go on. */
async function auditFailures(
  services: RunServices,
  failed: AppFailure[],
  event: TriggerEvent,
  actor: string,
): Promise<void> {
  for (const failure of failed) {
    await services.audit.append({
      actor,
      source: "webhook",
      action: "trigger.failed",
      outcome: failure.transient ? "retry" : "error",
      app: failure.app,
      detail: {
        trigger: event.kind,
        ...("commit" in event ? { commit: event.commit } : {}),
        ...("digest" in event ? { digest: event.digest } : {}),
        message: failure.message,
      },
    });
  }
}

/**
 * A repository that could not be reached may be back soon: answer with an error so the sender
 * delivers again. The apps already started are not started twice (same trigger key).
 */
function refuseIfTransient(failed: AppFailure[]): void {
  const transient = failed.filter((f) => f.transient);
  if (transient.length === 0) return;
  throw new UpstreamError(transient.map((f) => `${f.app}: ${f.message}`).join("; "), {
    hint: "Deliver the event again once the repository can be reached.",
  });
}

/** Trigger-derived args (the pushed tag as `version`) apply only to apps that declare them. */
function knownArgs(
  declared: Record<string, unknown> | undefined,
  args: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(args).filter(([key]) => declared && key in declared));
}
