import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { podLogs, resourceTree, revisionDetail, revisionDiff } from "../../delivery/inspect.js";
import type { EnvironmentTargets } from "../targets.js";
import {
  appEnvironmentParams,
  diffQuery,
  logsQuery,
  parseWith,
  podParams,
  revisionParams,
} from "./schemas.js";

/**
 * What the web UI shows of an app in an environment, read from its cluster: one revision with its
 * objects, the diff between two revisions, the live resource tree, and pod logs. Registered inside
 * the API's scope, so its token check applies; any valid token may read.
 */
export function registerAppViews(app: FastifyInstance, targets: EnvironmentTargets): void {
  app.get("/apps/:app/environments/:env/revisions/:revision", async (request) => {
    const params = parseWith(revisionParams, request.params, "path");
    const where = targets.connect(params.app, params.env);
    const { revision, status, ...rest } = await revisionDetail(where, params.revision);
    return { revision, status, ...rest };
  });

  app.get("/apps/:app/environments/:env/diff", async (request) => {
    const params = parseWith(appEnvironmentParams, request.params, "path");
    const query = parseWith(diffQuery, request.query, "query");
    return revisionDiff(targets.connect(params.app, params.env), query.from, query.to);
  });

  app.get("/apps/:app/environments/:env/resources", async (request) => {
    const params = parseWith(appEnvironmentParams, request.params, "path");
    return resourceTree(targets.connect(params.app, params.env));
  });

  // Plain text. With follow=1 the text is streamed as it comes until the client goes away, which
  // also ends the request to the cluster.
  app.get("/apps/:app/environments/:env/pods/:pod/logs", async (request, reply) => {
    const params = parseWith(podParams, request.params, "path");
    const query = parseWith(logsQuery, request.query, "query");
    const where = targets.connect(params.app, params.env);
    const controller = new AbortController();
    const stop = () => controller.abort();
    request.raw.once("close", stop);
    reply.raw.once("close", stop);
    const options = {
      container: query.container,
      tailLines: query.tailLines,
      signal: controller.signal,
    };
    try {
      if (!query.follow) {
        const parts: string[] = [];
        await podLogs(where, params.pod, { ...options, follow: false }, (text) => void parts.push(text));
        return await reply
          .type("text/plain; charset=utf-8")
          .header("cache-control", "no-store")
          .send(parts.join(""));
      }
      const res = reply.raw;
      let opened = false;
      try {
        await podLogs(
          where,
          params.pod,
          {
            ...options,
            follow: true,
            // Headers go out once the cluster has accepted the request: an error before that is an
            // ordinary error answer.
            onOpen: () => {
              opened = true;
              reply.hijack();
              res.writeHead(200, {
                "content-type": "text/plain; charset=utf-8",
                "cache-control": "no-store",
                "x-accel-buffering": "no",
              });
              res.flushHeaders();
            },
          },
          (text) => write(res, text),
        );
      } catch (error) {
        if (!opened) throw error;
        // The stream broke after it started: the response ends, and the client sees it end.
      }
      if (!opened) {
        // The client went away before the cluster answered.
        reply.hijack();
        res.destroy();
        return;
      }
      res.end();
    } finally {
      request.raw.off("close", stop);
      reply.raw.off("close", stop);
    }
  });
}

/** Writes text, waiting while the client's buffer is full (or until it goes away). */
async function write(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed || res.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
