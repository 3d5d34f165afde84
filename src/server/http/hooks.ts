import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InputError, NotFoundError } from "../../core/errors.js";
import type { ImagePushEvent, TriggerEvent, WebhookResult } from "../../core/triggers/events.js";
import { parseGithubEvent, verifyGithubSignature } from "../../core/triggers/github.js";
import { parseGitlabEvent, verifyGitlabToken } from "../../core/triggers/gitlab.js";
import { matchAny } from "../../core/triggers/match.js";
import { parseRegistryEnvelope } from "../../core/triggers/registry.js";
import type { Metrics } from "../metrics.js";
import { appAtCommit, appPaths, appsForGitEvent, type RunServices, startExecution } from "../runs.js";
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
    return services.platform.secret(ref, `webhooks.${kind}`);
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
        return reply.code(202).send(result);
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
      for (const event of events) started.push(...(await onImagePush(services, event)));
      return { started, ignored };
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
  for (const { at, reason } of await appsForGitEvent(services, event)) {
    const args: Record<string, string> =
      event.kind === "git-tag" ? { version: event.tag.replace(/^v/, "") } : {};
    const { execution, created } = await startExecution(services, {
      at,
      event,
      // The same commit (or tag) starts one execution per app and pipeline, however often it is delivered.
      triggerKey: `${event.kind}:${event.kind === "git-tag" ? event.tag : event.commit}`,
      args: knownArgs(at.app.args, args),
      actor: `${source}:${event.sender ?? "unknown"}`,
      source: "webhook",
    });
    started.push({ app: at.app.name, execution: execution.id, created, reason });
  }
  return { started };
}

async function onImagePush(services: RunServices, event: ImagePushEvent): Promise<Started[]> {
  const started: Started[] = [];
  for (const name of Object.keys(services.platform.current().apps ?? {})) {
    const at = await appAtCommit(services, name);
    const match = matchAny(at.pipeline.triggers, event as TriggerEvent, { appPaths: appPaths(at) });
    if (!match.matched) continue;
    const { execution, created } = await startExecution(services, {
      at,
      event,
      // The same digest starts one execution per app and pipeline, whatever tags point at it.
      triggerKey: `image:${event.digest}`,
      args: knownArgs(at.app.args, event.tag ? { version: event.tag } : {}),
      actor: `registry:${event.actor ?? "unknown"}`,
      source: "webhook",
    });
    started.push({ app: name, execution: execution.id, created, reason: match.reason });
  }
  return started;
}

/** Trigger-derived args (the pushed tag as `version`) apply only to apps that declare them. */
function knownArgs(
  declared: Record<string, unknown> | undefined,
  args: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(args).filter(([key]) => declared && key in declared));
}
