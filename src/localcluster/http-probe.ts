import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * GETs a health endpoint of a local component and returns status and body, or undefined when nothing
 * answers. Certificates are not verified: these are self-signed serving certs of processes we just
 * started on 127.0.0.1, and only health endpoints are read this way.
 */
export function probe(url: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { method: "GET", timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}
