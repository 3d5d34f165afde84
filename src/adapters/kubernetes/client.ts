import { Agent, request as httpsRequest } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { KubeObject } from "../../core/kube/objects.js";
import { type ClusterCredentials, execCredentialToken } from "./kubeconfig.js";

/** RAILYARD_DEBUG_HTTP=1 prints every API request with its status and duration to stderr. */
const TRACE = Boolean(process.env.RAILYARD_DEBUG_HTTP);

/** One API request as observers see it: the server's metrics, the benchmarks. */
export interface ObservedRequest {
  method: string;
  path: string;
  dryRun: boolean;
  status: number;
  /** performance.now() when the request was sent. */
  startedAt: number;
  seconds: number;
}

/** Observers of every API request; none in the CLI. */
export const requestObservers: ((request: ObservedRequest) => void)[] = [];

/** An error answer from the API server: the HTTP status and the Kubernetes Status body. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: { message?: string; reason?: string } | string,
  ) {
    super(typeof body === "string" ? body : (body.message ?? `HTTP ${code}`));
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Return the body as text (pod logs) instead of parsing JSON. */
  text?: boolean;
  /** Aborts the request (a watch or a followed log). */
  signal?: AbortSignal;
  /** Socket idle timeout; default 30 s. A watch is idle between events, so it sets its own. */
  timeoutMs?: number;
}

/** One event of a watch stream. */
export interface WatchEvent<T = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/**
 * A small Kubernetes API client: one keep-alive HTTPS agent, the kubeconfig's credentials, JSON in and
 * out, and discovery of resource names for any kind. Railyard needs a handful of verbs, and loading a
 * full generated client costs most of a CLI command's start-up.
 */
export class KubeClient {
  readonly server: string;
  private readonly agent: Agent | undefined;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();
  private token: string | undefined;

  constructor(private readonly credentials: ClusterCredentials) {
    this.server = credentials.server.replace(/\/+$/, "");
    this.token = credentials.token;
    if (this.server.startsWith("https:")) {
      this.agent = new Agent({
        keepAlive: true,
        maxSockets: 16,
        ca: credentials.ca,
        cert: credentials.clientCert,
        key: credentials.clientKey,
        rejectUnauthorized: !credentials.insecureSkipTlsVerify,
      });
    }
  }

  get defaultNamespace(): string | undefined {
    return this.credentials.namespace;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const started = TRACE || requestObservers.length > 0 ? performance.now() : 0;
    const { status, body } = await this.send(method, path, options);
    if (requestObservers.length > 0) {
      const observed = {
        method,
        path,
        dryRun: Boolean(options.query?.dryRun),
        status,
        startedAt: started,
        seconds: (performance.now() - started) / 1000,
      };
      for (const observe of requestObservers) observe(observed);
    }
    if (TRACE) {
      const dryRun = options.query?.dryRun ? " (dry-run)" : "";
      const took = (performance.now() - started).toFixed(1);
      const at = started.toFixed(0);
      process.stderr.write(
        `[http] ${method} ${path}${dryRun} ${status} ${took}ms (sent ${at}ms after start)\n`,
      );
    }
    if (status >= 400) {
      let parsed: KubeApiError["body"] = body;
      try {
        parsed = JSON.parse(body) as { message?: string };
      } catch {
        // not a Status object
      }
      throw new KubeApiError(status, parsed);
    }
    if (options.text) return body as T;
    return (body ? JSON.parse(body) : undefined) as T;
  }

  /**
   * Streams a response body (pod logs with follow) to `onChunk` until the server closes it or `signal`
   * aborts (then it resolves quietly). `onOpen` runs once the server has answered with a success, before
   * the first chunk; a promise `onChunk` returns is awaited, so a slow reader slows the stream down.
   */
  async stream(
    path: string,
    query: RequestOptions["query"],
    onChunk: (chunk: string) => void | Promise<void>,
    options: { signal?: AbortSignal; timeoutMs?: number; onOpen?: () => void } = {},
  ): Promise<void> {
    const { signal } = options;
    let res: IncomingMessage;
    try {
      res = await this.open("GET", path, { query, signal, timeoutMs: options.timeoutMs });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    if ((res.statusCode ?? 0) >= 400) {
      let body = "";
      for await (const chunk of res) body += String(chunk);
      throw new KubeApiError(res.statusCode ?? 0, body);
    }
    options.onOpen?.();
    res.setEncoding("utf8");
    try {
      for await (const chunk of res) {
        if (signal?.aborted) break;
        await onChunk(chunk as string);
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    } finally {
      res.destroy();
    }
  }

  /**
   * Watches a collection: calls `onEvent` for each event as it arrives until `signal` aborts or the
   * server ends the watch. Without a resourceVersion the server first sends the current objects.
   */
  async watch<T = KubeObject>(
    path: string,
    query: RequestOptions["query"],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.open("GET", path, {
      query: { ...query, watch: 1, allowWatchBookmarks: true },
      signal,
      timeoutMs: 0,
    });
    if ((res.statusCode ?? 0) >= 400) {
      let body = "";
      for await (const chunk of res) body += String(chunk);
      throw new KubeApiError(res.statusCode ?? 0, body);
    }
    res.setEncoding("utf8");
    let buffered = "";
    try {
      for await (const chunk of res) {
        buffered += chunk as string;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<{ status: number; body: string }> {
    const res = await this.open(method, path, options);
    let body = "";
    res.setEncoding("utf8");
    for await (const chunk of res) body += chunk as string;
    return { status: res.statusCode ?? 0, body };
  }

  private open(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: options.text ? "*/*" : "application/json" };
    if (payload !== undefined) {
      headers["Content-Type"] = options.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const token = this.bearerToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (this.credentials.username !== undefined) {
      const basic = Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ""}`).toString(
        "base64",
      );
      headers.Authorization = `Basic ${basic}`;
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        { method, headers, agent: this.agent, timeout: options.timeoutMs ?? 30_000, signal: options.signal },
        resolve,
      );
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })),
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  private bearerToken(): string | undefined {
    if (!this.token && this.credentials.exec) this.token = execCredentialToken(this.credentials.exec);
    return this.token;
  }

  /** The REST path of an object (or of its collection when `name` is omitted). */
  async path(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<string> {
    const info = await this.resource(apiVersion, kind);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = info.namespaced
      ? `/namespaces/${encodeURIComponent(namespace ?? this.defaultNamespace ?? "default")}`
      : "";
    return `${base}${ns}/${info.plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  objectPath(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<string> {
    return this.path(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name);
  }

  /** Loads the resource lists of these API versions in parallel, ahead of the objects that need them. */
  async prefetchDiscovery(apiVersions: string[]): Promise<void> {
    await Promise.all([...new Set(apiVersions)].map((apiVersion) => this.resources(apiVersion)));
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = (await this.resources(apiVersion)).get(kind);
    if (!info) {
      throw new KubeApiError(404, { message: `the server has no resource of kind ${kind} in ${apiVersion}` });
    }
    return info;
  }

  private resources(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let resources = this.discovery.get(apiVersion);
    if (!resources) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      resources = this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
        "GET",
        base,
      ).then(
        (list) =>
          new Map(
            list.resources
              .filter((r) => !r.name.includes("/"))
              .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
          ),
      );
      resources.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, resources);
    }
    return resources;
  }
}
