import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { type TestCluster, useCluster } from "../testkit/cluster.js";
import { createProject, simpleApp, type Project } from "./fixture.js";

const VALID = `name: api
args:
  version: "1.0"
containers:
  - name: app
    image: "registry.example.test/shop/api:{{ version }}"
    ports:
      - name: http
        containerPort: 8080
`;

/** Nothing Railyard would write exists in the namespace: no workload, no record, no lock. */
async function assertUntouched(cluster: TestCluster, ns: string): Promise<void> {
  const [deployments, secrets, configMaps, leases, services] = await Promise.all([
    cluster.apps.listNamespacedDeployment({ namespace: ns }),
    cluster.core.listNamespacedSecret({ namespace: ns }),
    cluster.core.listNamespacedConfigMap({
      namespace: ns,
      labelSelector: "app.kubernetes.io/managed-by=railyard",
    }),
    cluster.kubectl("-n", ns, "get", "leases", "-o", "name"),
    cluster.core.listNamespacedService({ namespace: ns }),
  ]);
  assert.equal(deployments.items.length, 0, "no Deployment");
  assert.equal(secrets.items.length, 0, "no Secret (app or release record)");
  assert.equal(configMaps.items.length, 0, "no ConfigMap");
  assert.equal(services.items.length, 0, "no Service");
  assert.equal(leases.trim(), "", "no lock left behind");
}

interface Case {
  name: string;
  app?: string;
  environment?: Record<string, unknown>;
  platform?: Record<string, unknown>;
  prepare?: (project: Project) => void;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  exit?: number;
  stderr: RegExp[];
}

const CASES: Case[] = [
  {
    name: "unknown field, with a suggestion",
    app: VALID.replace("containers:", "replicsa: 2\ncontainers:"),
    stderr: [/railyard\.yaml:\d+:\d+: .*replicsa/, /replicas/],
  },
  {
    name: "wrong type",
    app: VALID.replace("containers:", "replicas: two\ncontainers:"),
    stderr: [/railyard\.yaml:\d+:\d+: replicas/],
  },
  {
    name: "bad image reference",
    app: VALID.replace("registry.example.test/shop/api", "Registry Example/Shop"),
    stderr: [/railyard\.yaml:6:\d+: containers\[0\]\.image/],
  },
  {
    name: "bad hostname",
    app: `${VALID}endpoints:\n  exposes:\n    - name: web\n      host: "bad_host!.example.test"\n`,
    stderr: [/endpoints\.exposes\[0\]\.host/],
  },
  {
    name: "arg used but not defined, with the closest name",
    app: VALID.replace("{{ version }}", "{{ verison }}"),
    stderr: [/verison/, /version/],
  },
  {
    name: "duplicate container names",
    app: `${VALID}  - name: app\n    image: registry.example.test/shop/side:1\n`,
    stderr: [/duplicate|already/i, /containers\[1\]\.name/],
  },
  {
    name: "duplicate port names",
    app: VALID.replace(
      "        containerPort: 8080\n",
      "        containerPort: 8080\n      - name: http\n        containerPort: 9090\n",
    ),
    stderr: [/ports\[1\]\.name/],
  },
  {
    name: "several errors reported together",
    app: VALID.replace("{{ version }}", "{{ verison }}").replace("containers:", "replicsa: 2\ncontainers:"),
    stderr: [/verison/, /replicsa/],
  },
  {
    name: "duplicate YAML key",
    app: `name: api\nname: api2\n${VALID.split("\n").slice(1).join("\n")}`,
    stderr: [/railyard\.yaml:2:\d+:/, /[Dd]uplicate|unique/],
  },
  {
    name: "custom tag",
    app: VALID.replace('"1.0"', "!!js/function 'x'"),
    stderr: [/railyard\.yaml:3:\d+:/, /tag/i],
  },
  {
    name: "YAML bomb",
    app: [
      "a: &a [x,x,x,x,x,x,x,x,x]",
      ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => {
        const prev = String.fromCharCode(97 + i);
        return `${k}: &${k} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`;
      }),
    ].join("\n"),
    stderr: [/alias/i],
  },
  { name: "file over the size cap", app: `${VALID}# ${"x".repeat(300 * 1024)}\n`, stderr: [/larger than/] },
  {
    name: "kind outside the allow-list: the whole deploy is refused, naming the object",
    environment: { allowedKinds: ["Deployment"] },
    stderr: [/Service .*\/api: kind Service is not allowed in environment staging/, /nothing was applied/],
  },
  {
    name: "namespace outside the allow-list: refused before the first write, naming the object",
    app: "name: legacy\nmanifests:\n  path: ./k8s\n",
    prepare: (project) => {
      mkdirSync(join(project.dir, "k8s"));
      const stray = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "stray", namespace: "kube-system" },
      };
      const own = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } };
      writeFileSync(join(project.dir, "k8s", "objects.yaml"), `${stringify(own)}---\n${stringify(stray)}`);
    },
    stderr: [/ConfigMap kube-system\/stray: namespace kube-system is not allowed in environment staging/],
  },
  {
    name: "missing secret source",
    app: `${VALID}    env:\n      - name: TOKEN\n        secret: token\n`,
    environment: { secrets: { token: { fromEnv: "RAILYARD_TEST_UNSET_VARIABLE" } } },
    stderr: [/RAILYARD_TEST_UNSET_VARIABLE is not set/],
  },
  {
    name: "kubeconfig context that does not exist",
    environment: { cluster: { context: "nope" } },
    stderr: [/context "nope" is not in the kubeconfig/],
  },
  {
    name: "unreachable cluster",
    prepare: (project) => {
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "gone", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } },
        ],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "gone", context: { cluster: "gone", user: "u" } }],
        "current-context": "gone",
      };
      writeFileSync(join(project.dir, "gone.kubeconfig"), stringify(kubeconfig));
    },
    environment: { cluster: { kubeconfig: "gone.kubeconfig" } },
    exit: 3,
    stderr: [/Cannot reach the cluster at https:\/\/127\.0\.0\.1:1/],
  },
];

describe("bad input gets a clear error and changes nothing", { concurrency: 4 }, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const cluster = await useCluster();
      const ns = await cluster.namespace("badinput");
      const environment = { ...c.environment };
      if (c.environment?.cluster && !(c.environment.cluster as { kubeconfig?: string }).kubeconfig) {
        environment.cluster = { kubeconfig: cluster.kubeconfigPath, ...(c.environment.cluster as object) };
      }
      const project = createProject(cluster, c.app ?? simpleApp("api"), {
        namespace: ns,
        environment,
        platform: c.platform,
      });
      c.prepare?.(project);
      const result = await project.railyard(
        c.args ?? ["deploy", "--env", "staging", "--timeout", "20s"],
        c.env,
      );
      assert.equal(result.code, c.exit ?? 1, `exit code; stderr:\n${result.stderr}`);
      for (const pattern of c.stderr) assert.match(result.stderr, pattern);
      await assertUntouched(cluster, ns);
    });
  }
});
