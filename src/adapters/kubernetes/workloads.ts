import type { Deployment, KubeEvent, Pod, ReplicaSet } from "../../core/kube/objects.js";
import { isNotFound } from "./errors.js";
import type { KubeTarget } from "./target.js";

/** A Deployment with what is needed to judge and explain its rollout. */
export interface DeploymentState {
  deployment: Deployment;
  replicaSets: ReplicaSet[];
  pods: Pod[];
}

const ns = (namespace: string) => `/namespaces/${encodeURIComponent(namespace)}`;

export async function readDeployment(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<Deployment | undefined> {
  return target.call(`read Deployment ${namespace}/${name}`, () =>
    target.client
      .request<Deployment>("GET", `/apis/apps/v1${ns(namespace)}/deployments/${encodeURIComponent(name)}`)
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      }),
  );
}

/** The ReplicaSets a Deployment owns and the pods its selector matches. */
export async function readDeploymentParts(
  target: KubeTarget,
  deployment: Deployment,
): Promise<Omit<DeploymentState, "deployment">> {
  const namespace = deployment.metadata.namespace!;
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const [replicaSets, pods] = await Promise.all([
    target.call(`list ReplicaSets of ${namespace}/${deployment.metadata.name}`, () =>
      target.client.request<{ items: ReplicaSet[] }>("GET", `/apis/apps/v1${ns(namespace)}/replicasets`, {
        query: { labelSelector },
      }),
    ),
    listPods(target, namespace, labelSelector),
  ]);
  const uid = deployment.metadata.uid;
  const owned = replicaSets.items.filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === uid));
  return { replicaSets: owned, pods };
}

export async function readDeploymentState(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<DeploymentState | undefined> {
  const deployment = await readDeployment(target, namespace, name);
  return deployment ? { deployment, ...(await readDeploymentParts(target, deployment)) } : undefined;
}

export async function listEvents(target: KubeTarget, namespace: string): Promise<KubeEvent[]> {
  const list = await target.call(`list events in ${namespace}`, () =>
    target.client.request<{ items: KubeEvent[] }>("GET", `/api/v1${ns(namespace)}/events`),
  );
  return list.items;
}

export async function listPods(target: KubeTarget, namespace: string, labelSelector: string): Promise<Pod[]> {
  const list = await target.call(`list pods in ${namespace}`, () =>
    target.client.request<{ items: Pod[] }>("GET", `/api/v1${ns(namespace)}/pods`, {
      query: { labelSelector },
    }),
  );
  return list.items;
}

function logPath(namespace: string, pod: string): string {
  return `/api/v1${ns(namespace)}/pods/${encodeURIComponent(pod)}/log`;
}

/** The last lines a container wrote (its previous run when it restarted); undefined when logs are unavailable. */
export async function containerLogTail(
  target: KubeTarget,
  namespace: string,
  pod: string,
  container: string,
  lines = 20,
): Promise<string | undefined> {
  for (const previous of [true, false]) {
    try {
      const text = await target.client.request<string>("GET", logPath(namespace, pod), {
        query: { container, tailLines: lines, previous },
        text: true,
      });
      if (text.trim()) return target.scrub(text);
    } catch {
      // No kubelet logs for this container (yet), or none kept from a previous run.
    }
  }
  return undefined;
}

/**
 * Streams a container's log lines (following when asked) until the stream ends or `signal` aborts.
 * `onOpen` runs once the API server has accepted the request, before any text: a caller that answers
 * over HTTP sends its headers then, and an error before it is still an ordinary error answer.
 */
export async function streamContainerLog(
  target: KubeTarget,
  namespace: string,
  pod: string,
  container: string,
  options: { follow: boolean; tailLines: number; signal?: AbortSignal; onOpen?: () => void },
  onText: (text: string) => void | Promise<void>,
): Promise<void> {
  // Text is scrubbed a whole line at a time: a secret split across two chunks is still found.
  let partial = "";
  await target.call(`read the logs of ${namespace}/${pod}/${container}`, () =>
    target.client.stream(
      logPath(namespace, pod),
      { container, follow: options.follow, tailLines: options.tailLines },
      async (chunk) => {
        const text = partial + chunk;
        const end = text.lastIndexOf("\n") + 1;
        partial = text.slice(end);
        if (end > 0) await onText(target.scrub(text.slice(0, end)));
      },
      // A followed log is quiet between lines: only the caller's signal ends it.
      { signal: options.signal, onOpen: options.onOpen, timeoutMs: options.follow ? 0 : undefined },
    ),
  );
  if (partial && !options.signal?.aborted) await onText(target.scrub(partial));
}

export async function readPod(target: KubeTarget, namespace: string, name: string): Promise<Pod | undefined> {
  return target.call(`read Pod ${namespace}/${name}`, () =>
    target.client
      .request<Pod>("GET", `/api/v1${ns(namespace)}/pods/${encodeURIComponent(name)}`)
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      }),
  );
}

export async function listDeployments(
  target: KubeTarget,
  namespace: string,
  labelSelector: string,
): Promise<Deployment[]> {
  const list = await target.call(`list Deployments in ${namespace}`, () =>
    target.client.request<{ items: Deployment[] }>("GET", `/apis/apps/v1${ns(namespace)}/deployments`, {
      query: { labelSelector },
    }),
  );
  return list.items;
}

/**
 * The latest state of Deployments, kept by a watch that starts at the resourceVersion of a read
 * (list-then-watch, as `kubectl rollout status` does), so a finished rollout is seen the moment the
 * controller reports it rather than at the next poll. Where a watch cannot be held, `read` is a GET.
 */
export class DeploymentWatch {
  private static readonly MAX_WATCHES = 5;
  private readonly latest = new Map<string, Deployment | undefined>();
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  private started = 0;

  constructor(private readonly target: KubeTarget) {}

  async read(namespace: string, name: string): Promise<Deployment | undefined> {
    const key = `${namespace}/${name}`;
    if (this.latest.has(key)) return this.latest.get(key);
    const deployment = await readDeployment(this.target, namespace, name);
    const resourceVersion = deployment?.metadata.resourceVersion;
    if (resourceVersion && this.started < DeploymentWatch.MAX_WATCHES && !this.controller.signal.aborted) {
      this.follow(key, namespace, name, resourceVersion, deployment);
    }
    return deployment;
  }

  /** True while every one of these Deployments is followed by a live watch. */
  following(keys: string[]): boolean {
    return keys.every((key) => this.latest.has(key));
  }

  /** Resolves at the next watch event, or after `timeoutMs`. */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.push(wake);
    });
  }

  stop(): void {
    this.controller.abort();
    this.notify();
  }

  private follow(key: string, namespace: string, name: string, resourceVersion: string, current: Deployment) {
    this.started++;
    this.latest.set(key, current);
    this.target.client
      .watch<Deployment>(
        `/apis/apps/v1${ns(namespace)}/deployments`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion },
        (event) => {
          if (event.type === "ADDED" || event.type === "MODIFIED") this.latest.set(key, event.object);
          else if (event.type === "DELETED") this.latest.set(key, undefined);
          // An ERROR (410 Gone: the version is too old) ends the watch; the next read starts over.
          else if (event.type === "ERROR") this.latest.delete(key);
          this.notify();
        },
        this.controller.signal,
      )
      .catch(() => {})
      .finally(() => {
        this.latest.delete(key);
        this.notify();
      });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
