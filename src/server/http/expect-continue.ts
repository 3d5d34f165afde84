import type { Server } from "node:http";
import { SECURITY_HEADERS } from "./web.js";

/**
 * Answers `Expect: 100-continue` (curl and many HTTP clients send it before a large body) with 413
 * when the declared Content-Length is over the limit for that path, so the client never sends the
 * body. Without this Node answers "100 Continue" to every such request, the body starts flowing, and
 * the 413 that the body parser sends later races the upload: the client may see a broken pipe
 * instead of the answer.
 */
export function refuseOversizeBeforeContinue(server: Server, limitFor: (url: string) => number): void {
  server.on("checkContinue", (request, response) => {
    const declared = Number(request.headers["content-length"]);
    const limit = limitFor(request.url ?? "/");
    if (Number.isFinite(declared) && declared > limit) {
      const body = JSON.stringify({
        error: {
          code: "FST_ERR_CTP_BODY_TOO_LARGE",
          message: `Request body is larger than ${limit} bytes`,
        },
      });
      response.writeHead(413, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        connection: "close",
        ...SECURITY_HEADERS,
      });
      response.end(body);
      return;
    }
    response.writeContinue();
    server.emit("request", request, response);
  });
}
