import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import { isClusterScoped } from "../kube/kinds.js";
import type { KubeObject } from "../kube/objects.js";
import type { AppSpec } from "../spec/app.js";
import { interpolate } from "../spec/template.js";

/** The environment as render needs it: resolved from the platform config by the caller. */
export interface RenderEnvironment {
  name: string;
  namespace: string;
  domain?: string;
  config: Record<string, string | number | boolean>;
  /** Resolved secret values by key; only the keys the app uses are read. */
  secrets: Record<string, string>;
}

export interface GitSource {
  sha: string;
  dirty: boolean;
}

export interface RenderInput {
  app: AppSpec;
  environment: RenderEnvironment;
  /** `--set` values; they override the app's args and the environment's overrides. */
  set?: Record<string, string>;
  git?: GitSource;
  /** The app's manifests (manifests mode), already parsed by the caller. */
  manifests?: KubeObject[];
  /** Container name → image to run instead of the rendered reference (digest-pinned images). */
  pinnedImages?: Record<string, string>;
}

export interface RenderedApp {
  objects: KubeObject[];
  /** Container name → image reference as rendered from the app file, before pinning. */
  images: Record<string, string>;
  /** The args after defaults, environment overrides and `--set`. */
  args: Record<string, string>;
}

export const MANAGED_BY = "railyard";

type ContainerSpec = NonNullable<AppSpec["containers"]>[number];
type EnvOverride = NonNullable<AppSpec["environments"]>[string];

/** Labels on every object Railyard renders; `railyard.dev/app` + `railyard.dev/environment` are the inventory. */
export function inventoryLabels(app: string, environment: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "railyard.dev/app": app,
    "railyard.dev/environment": environment,
  };
}

/** Selects an app's objects in an environment; the pods of a rendered Deployment carry the labels too. */
export function inventorySelector(app: string, environment: string): string {
  return `railyard.dev/app=${app},railyard.dev/environment=${environment}`;
}

/** Turns an app, an environment and args into Kubernetes objects. Pure: same input, same objects. */
export function render(input: RenderInput): RenderedApp {
  const { app, environment } = input;
  const override: EnvOverride = app.environments?.[environment.name] ?? {};
  const args = resolveArgs(app, override, input.set ?? {});
  const vars = templateVars(input, args);
  const labels = inventoryLabels(app.name, environment.name);
  // The version labels the workload and its pods only: on every object it would make each deploy
  // "change" Services and ConfigMaps that did not change.
  const version = args.version ? labelValue(args.version) : undefined;
  const versioned = version ? { ...labels, "app.kubernetes.io/version": version } : labels;

  if (app.manifests) return renderManifests(input, args, vars, versioned);

  const containers = (app.containers ?? []).map((container) => mergeContainer(container, override));
  const images = Object.fromEntries(
    containers.map((c) => [c.name, interpolate(c.image, vars, `containers.${c.name}.image`)]),
  );
  const objects: KubeObject[] = [];
  const namespace = environment.namespace;
  const meta = (name: string) => ({ name, namespace, labels: { ...labels } });

  const configKeys = usedKeys(containers, "config");
  let configMapName: string | undefined;
  if (configKeys.length > 0) {
    const data = Object.fromEntries(configKeys.map((key) => [key, String(environment.config[key])]));
    configMapName = `${app.name}-config-${contentHash(data)}`;
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: meta(configMapName), data });
  }
  const secretKeys = usedKeys(containers, "secret");
  const secretName = `${app.name}-secrets`;
  if (secretKeys.length > 0) {
    const data = Object.fromEntries(
      secretKeys.map((key) => [key, Buffer.from(environment.secrets[key] ?? "").toString("base64")]),
    );
    objects.push({ apiVersion: "v1", kind: "Secret", metadata: meta(secretName), type: "Opaque", data });
  }

  const selector = { "app.kubernetes.io/name": app.name, "railyard.dev/environment": environment.name };
  const podAnnotations: Record<string, string> = { ...app.podAnnotations, ...override.podAnnotations };
  if (app.metrics) {
    podAnnotations["prometheus.io/scrape"] = "true";
    podAnnotations["prometheus.io/port"] = String(resolvePort(containers, app.metrics.port));
    podAnnotations["prometheus.io/path"] = app.metrics.path ?? "/metrics";
  }
  objects.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...meta(app.name), labels: { ...versioned } },
    spec: {
      replicas: override.replicas ?? app.replicas ?? 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...versioned, ...selector, ...app.podLabels, ...override.podLabels },
          ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}),
        },
        spec: {
          containers: containers.map((c) =>
            renderContainer(
              c,
              vars,
              input.pinnedImages?.[c.name] ?? images[c.name]!,
              configMapName,
              secretName,
            ),
          ),
        },
      },
    },
  });

  const ports = containers.flatMap((c) => c.ports ?? []);
  const exposes = app.endpoints?.exposes ?? [];
  // An app that is exposed but declares no port is assumed to listen on 80, the Ingress default.
  const servicePorts =
    ports.length > 0
      ? ports.map((p) => ({
          name: p.name,
          port: p.containerPort,
          targetPort: p.name,
          protocol: p.protocol ?? "TCP",
        }))
      : exposes.length > 0
        ? [{ name: "http", port: 80, targetPort: 80, protocol: "TCP" }]
        : [];
  if (servicePorts.length > 0) {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(app.name),
      spec: { type: app.service?.type ?? "ClusterIP", selector, ports: servicePorts },
    });
  }

  if (exposes.length > 0) {
    const defaultPort = ports[0] ? { name: ports[0].name } : { name: "http" };
    objects.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(app.name),
      spec: {
        rules: exposes.map((endpoint, i) => ({
          host: interpolate(endpoint.host, vars, `endpoints.exposes[${i}].host`),
          http: {
            paths: [
              {
                path: endpoint.path ?? "/",
                pathType: "Prefix",
                backend: {
                  service: {
                    name: app.name,
                    port:
                      endpoint.port === undefined
                        ? defaultPort
                        : typeof endpoint.port === "number"
                          ? { number: endpoint.port }
                          : { name: endpoint.port },
                  },
                },
              },
            ],
          },
        })),
        ...(exposes.some((e) => e.tls)
          ? {
              tls: exposes
                .map((e, i) => ({ e, i }))
                .filter(({ e }) => e.tls)
                .map(({ e, i }) => ({
                  hosts: [interpolate(e.host, vars, `endpoints.exposes[${i}].host`)],
                  secretName: e.tls!.secretName,
                })),
            }
          : {}),
      },
    });
  }
  return { objects, images, args };
}

function resolveArgs(
  app: AppSpec,
  override: EnvOverride,
  set: Record<string, string>,
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...app.args, ...override.args })) merged[key] = String(value);
  for (const [key, value] of Object.entries(set)) {
    if (!(key in merged)) {
      const known = Object.keys(merged);
      throw new InputError(`--set ${key}=${value}: the app defines no arg "${key}".`, {
        hint: known.length ? `Known args: ${known.join(", ")}.` : "Declare it under `args:` in the app file.",
      });
    }
    merged[key] = value;
  }
  return merged;
}

function templateVars(input: RenderInput, args: Record<string, string>): Record<string, unknown> {
  const { environment, git } = input;
  return {
    ...args,
    app: { name: input.app.name },
    env: { name: environment.name, namespace: environment.namespace, domain: environment.domain ?? "" },
    git: { sha: git?.sha ?? "", shortSha: git?.sha.slice(0, 7) ?? "" },
  };
}

function mergeContainer(container: ContainerSpec, override: EnvOverride): ContainerSpec {
  const patch = override.containers?.[container.name];
  if (!patch) return container;
  const env = [...(container.env ?? [])];
  for (const entry of patch.env ?? []) {
    const at = env.findIndex((e) => e.name === entry.name);
    if (at >= 0) env[at] = entry;
    else env.push(entry);
  }
  return {
    ...container,
    image: patch.image ?? container.image,
    resources: patch.resources ?? container.resources,
    env,
  };
}

function usedKeys(containers: ContainerSpec[], kind: "config" | "secret"): string[] {
  const keys = new Set<string>();
  for (const c of containers) {
    for (const e of c.env ?? []) {
      if (kind in e) keys.add((e as Record<string, string>)[kind]!);
    }
  }
  return [...keys].sort();
}

function renderContainer(
  c: ContainerSpec,
  vars: Record<string, unknown>,
  image: string,
  configMapName: string | undefined,
  secretName: string,
): Record<string, unknown> {
  const where = `containers.${c.name}`;
  const env = (c.env ?? []).map((e) => {
    if ("value" in e)
      return { name: e.name, value: interpolate(String(e.value), vars, `${where}.env.${e.name}`) };
    if ("config" in e)
      return { name: e.name, valueFrom: { configMapKeyRef: { name: configMapName, key: e.config } } };
    return { name: e.name, valueFrom: { secretKeyRef: { name: secretName, key: e.secret } } };
  });
  const out: Record<string, unknown> = { name: c.name, image };
  if (c.command) out.command = c.command.map((part, i) => interpolate(part, vars, `${where}.command[${i}]`));
  if (c.args) out.args = c.args.map((part, i) => interpolate(part, vars, `${where}.args[${i}]`));
  if (c.ports) {
    out.ports = c.ports.map((p) => ({
      name: p.name,
      containerPort: p.containerPort,
      protocol: p.protocol ?? "TCP",
    }));
  }
  if (env.length > 0) out.env = env;
  if (c.resources) out.resources = normalizeResources(c.resources);
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"] as const) {
    if (c[probe]) out[probe] = c[probe];
  }
  return out;
}

function normalizeResources(resources: NonNullable<ContainerSpec["resources"]>): Record<string, unknown> {
  const fix = (r?: { cpu?: string | number; memory?: string }) =>
    r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])) : undefined;
  return Object.fromEntries(
    Object.entries({ requests: fix(resources.requests), limits: fix(resources.limits) }).filter(([, v]) => v),
  );
}

function resolvePort(containers: ContainerSpec[], port: string | number): number {
  if (typeof port === "number") return port;
  for (const c of containers) {
    const found = c.ports?.find((p) => p.name === port);
    if (found) return found.containerPort;
  }
  throw new InputError(`metrics.port: no container declares a port named "${port}".`);
}

/** Manifests mode: the team's own objects, placed in the environment's namespace, labelled, images bound. */
function renderManifests(
  input: RenderInput,
  args: Record<string, string>,
  vars: Record<string, unknown>,
  labels: Record<string, string>,
): RenderedApp {
  const bindings = input.app.manifests?.images ?? {};
  const images = Object.fromEntries(
    Object.entries(bindings).map(([container, ref]) => [
      container,
      interpolate(ref, vars, `manifests.images.${container}`),
    ]),
  );
  const bound = new Set<string>();
  const objects = (input.manifests ?? []).map((original) => {
    const object = structuredClone(original);
    object.metadata = { ...object.metadata, labels: { ...object.metadata.labels, ...labels } };
    if (!isClusterScoped(object.kind) && !object.metadata.namespace) {
      object.metadata.namespace = input.environment.namespace;
    }
    for (const container of podContainers(object)) {
      const image = input.pinnedImages?.[container.name] ?? images[container.name];
      if (image) {
        container.image = image;
        bound.add(container.name);
      }
    }
    return object;
  });
  const unbound = Object.keys(images).filter((name) => !bound.has(name));
  if (unbound.length > 0) {
    throw new InputError(
      `manifests.images names container(s) ${unbound.join(", ")} that no workload in ${input.app.manifests?.path} has.`,
      { hint: "Use the container names from the manifests' pod templates." },
    );
  }
  return { objects, images, args };
}

/** The containers of a workload's pod template, for image binding. */
export function podContainers(object: KubeObject): { name: string; image?: string }[] {
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!spec) return [];
  const podSpec =
    object.kind === "CronJob"
      ? ((spec.jobTemplate as { spec?: { template?: { spec?: unknown } } })?.spec?.template?.spec as
          { containers?: unknown[]; initContainers?: unknown[] } | undefined)
      : object.kind === "Pod"
        ? (spec as { containers?: unknown[]; initContainers?: unknown[] })
        : ((spec.template as { spec?: unknown })?.spec as
            { containers?: unknown[]; initContainers?: unknown[] } | undefined);
  return [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])] as {
    name: string;
    image?: string;
  }[];
}

/** 10 hex characters of sha256 over a key-sorted map: enough to change a name when the content changes. */
export function contentHash(data: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(data)
      .sort()
      .map((key) => [key, data[key]]),
  );
  return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
}

/** Label values are at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
function labelValue(value: string): string | undefined {
  const cleaned = value
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return cleaned || undefined;
}
