/**
 * The app file (`railyard.yaml`): its schema, and `loadAppSpec` which parses, checks the schema and the
 * rules across fields, and reports every problem at once.
 */
import { z } from "zod";
import { type Locate, SpecError } from "./issues.js";
import {
  annotations,
  namedRecord,
  ARG_NAME,
  DATA_KEY,
  dnsLabel,
  DNS_SUBDOMAIN,
  ENV_VAR_NAME,
  labels,
  portName,
  portRef,
  scalar,
} from "./names.js";
import { QUANTITY } from "./quantity.js";
import { pipelineSchemas } from "./pipeline.js";
import { checkSchema, exactlyOneOf } from "./schema-issues.js";
import { validateApp } from "./validate-app.js";
import { parseYamlDocument } from "./yaml.js";

const TEMPLATED =
  "May use {{ arg }} and {{ env.name }}, {{ env.namespace }}, {{ env.domain }}, {{ app.name }}, {{ git.sha }}, {{ git.shortSha }}.";

const argName = z
  .string()
  .regex(ARG_NAME, "is not an arg name: letters, digits and _, not starting with a digit")
  .refine(
    (name) => !["app", "env", "git"].includes(name),
    "is reserved for {{ app.* }}, {{ env.* }} and {{ git.* }}",
  );

const args = () =>
  namedRecord(argName, scalar()).describe(
    "Template args with their default values, used as {{ name }}; override with --set name=value.",
  );

const replicas = () => z.number().int().min(0).max(1000).describe("Number of pods to run.");

/** One environment variable; its value comes from exactly one place. */
export type EnvEntry =
  | { name: string; value: string | number | boolean }
  | { name: string; config: string }
  | { name: string; secret: string };

const envEntry = z
  .strictObject({
    name: z.string().regex(ENV_VAR_NAME, "is not an environment variable name ([A-Za-z_][A-Za-z0-9_.-]*)"),
    value: scalar().describe(`A literal value. ${TEMPLATED}`).optional(),
    config: z
      .string()
      .regex(DATA_KEY, "is not a config key")
      .describe("Key in the environment's `config` (platform config).")
      .optional(),
    secret: z
      .string()
      .regex(DATA_KEY, "is not a secret key")
      .describe("Key in the environment's `secrets` (platform config).")
      .optional(),
  })
  .superRefine(...exactlyOneOf(["value", "config", "secret"]))
  // The refinement guarantees one source; the cast gives callers a union they can narrow with `in`.
  .transform((entry) => entry as EnvEntry)
  .describe("An environment variable: `value`, or `config` / `secret` to take it from the environment.");

const memory = z
  .string({ error: "expected a memory quantity such as 256Mi or 1Gi" })
  .regex(QUANTITY, "is not a quantity (e.g. 256Mi, 1Gi, 500M)");
const cpu = z.union(
  [z.string().regex(QUANTITY, "is not a quantity (e.g. 100m, 0.5, 2)"), z.number().nonnegative()],
  { error: "expected a CPU quantity such as 100m or 1" },
);
const resourceList = z.strictObject({ cpu: cpu.optional(), memory: memory.optional() });
const resources = z
  .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
  .describe("CPU and memory the container requests (scheduling) and may use at most (limits).");

const seconds = (min: number) => z.number().int().min(min).optional();
const probe = z
  .strictObject({
    httpGet: z
      .strictObject({ path: z.string().startsWith("/", "must start with /"), port: portRef() })
      .optional(),
    tcpSocket: z.strictObject({ port: portRef() }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    initialDelaySeconds: seconds(0),
    periodSeconds: seconds(1),
    timeoutSeconds: seconds(1),
    failureThreshold: seconds(1),
    successThreshold: seconds(1),
  })
  .superRefine(...exactlyOneOf(["httpGet", "tcpSocket", "exec"]))
  .describe("A Kubernetes probe with exactly one of httpGet, tcpSocket, exec.");

const containerPort = z.strictObject({
  name: portName(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
});

const container = z.strictObject({
  name: dnsLabel().describe("Container name, unique in the app."),
  image: z.string().min(1).describe(`Image reference, e.g. registry.example.io/shop/api:1.4. ${TEMPLATED}`),
  command: z.array(z.string()).describe(`Replaces the image's entrypoint. ${TEMPLATED}`).optional(),
  args: z.array(z.string()).describe(`Arguments to the entrypoint. ${TEMPLATED}`).optional(),
  ports: z
    .array(containerPort)
    .describe("Ports the container listens on; named ports are reused by endpoints, metrics and probes.")
    .optional(),
  env: z.array(envEntry).describe("Environment variables.").optional(),
  resources: resources.optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  startupProbe: probe.optional(),
});

const endpoint = z.strictObject({
  name: dnsLabel().describe("Endpoint name."),
  host: z
    .string()
    .min(1)
    .describe(`Host name the endpoint is reached at, e.g. web.{{ env.domain }}. ${TEMPLATED}`),
  path: z.string().startsWith("/", "must start with /").default("/").describe("URL path prefix."),
  port: portRef()
    .describe("Container port (name or number) to route to; default the first declared port.")
    .optional(),
  tls: z
    .strictObject({
      secretName: z
        .string()
        .regex(DNS_SUBDOMAIN, "is not a Secret name")
        .describe("Secret holding the certificate."),
    })
    .optional(),
});

const containerOverride = z.strictObject({
  image: z.string().min(1).describe(`Image for this environment. ${TEMPLATED}`).optional(),
  resources: resources.optional(),
  env: z
    .array(envEntry)
    .describe("Entries replace the container's entries of the same name, or are added.")
    .optional(),
});

const environmentOverride = z
  .strictObject({
    replicas: replicas().optional(),
    args: args().optional(),
    podLabels: labels().optional(),
    podAnnotations: annotations().optional(),
    containers: namedRecord(dnsLabel(), containerOverride)
      .describe("Changes per container, by name.")
      .optional(),
  })
  .describe("What differs in one environment.");

export const appSchema = z
  .strictObject({
    manifestVersion: z.string().describe('Version of the app file format, e.g. "1.1".').optional(),
    name: dnsLabel(53).describe("App name: lowercase letters, digits and '-', at most 53 characters."),
    args: args().optional(),
    replicas: replicas().default(1),
    podLabels: labels().describe("Labels added to every pod.").optional(),
    podAnnotations: annotations().describe("Annotations added to every pod.").optional(),
    endpoints: z
      .strictObject({ exposes: z.array(endpoint).describe("HTTP endpoints exposed through an Ingress.") })
      .optional(),
    containers: z
      .array(container)
      .min(1)
      .describe("The app's containers (one pod). Required unless `manifests` is given.")
      .optional(),
    metrics: z
      .strictObject({
        port: portRef().describe("Port (name or number) Prometheus scrapes."),
        path: z.string().startsWith("/", "must start with /").default("/metrics"),
      })
      .describe("Prometheus scrape annotations.")
      .optional(),
    service: z
      .strictObject({ type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).optional() })
      .describe("The Service in front of the pods.")
      .optional(),
    manifests: z
      .strictObject({
        path: z
          .string()
          .min(1)
          .describe("Folder (or file) of Kubernetes manifests, relative to the app file."),
        kustomize: z.boolean().describe("Build the folder with Kustomize.").optional(),
        images: namedRecord(dnsLabel(), z.string().min(1))
          .describe(
            `Container name → image, replacing the image of every container of that name. ${TEMPLATED}`,
          )
          .optional(),
      })
      .describe("Deploy an existing folder of manifests instead of `containers`.")
      .optional(),
    environments: namedRecord(dnsLabel(), environmentOverride)
      .describe("Overrides per environment, by the platform config's environment names.")
      .optional(),
    pipeline: z.lazy(() => pipelineSchemas().appPipelineSchema).optional(),
  })
  .meta({
    title: "Railyard app file",
    description: "One service, described next to its code (railyard.yaml).",
  });

export type AppSpec = z.output<typeof appSchema>;

const locations = new WeakMap<AppSpec, Locate>();

/** Where the fields of an app loaded by this module are written, for checks made after loading. */
export function appLocations(app: AppSpec): Locate | undefined {
  return locations.get(app);
}

/** Parses and validates an app file; throws SpecError listing every problem. */
export function readAppSpec(text: string, file: string): { app: AppSpec; locate: Locate } {
  const { value, locate } = parseYamlDocument(text, file);
  const result = checkSchema(appSchema, value, file, locate);
  const issues = [...(result.ok ? [] : result.issues), ...validateApp(value, file, locate)];
  if (!result.ok || issues.length > 0) throw new SpecError(issues);
  locations.set(result.data, locate);
  return { app: result.data, locate };
}

export function loadAppSpec(text: string, file: string): AppSpec {
  return readAppSpec(text, file).app;
}
