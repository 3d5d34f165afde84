import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../kube/objects.js";
import { compareRevisions, manifestText } from "./compare.js";
import type { ReleaseRecord } from "./record.js";

const deployment = (image: string): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop", namespace: "shop-stg" },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "app", image }] } } },
});
const secret = (value: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "shop-secrets", namespace: "shop-stg" },
  type: "Opaque",
  data: { "api-token": Buffer.from(value).toString("base64") },
});
const config = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "shop-stg" },
  data: { greeting: "hi" },
});
const record = (revision: number, objects: KubeObject[]): ReleaseRecord => ({
  app: "shop",
  environment: "staging",
  namespace: "shop-stg",
  revision,
  status: "succeeded",
  objects,
  args: {},
  images: [],
  source: {},
  actor: "dev",
  startedAt: "2026-01-01T00:00:00Z",
});

describe("manifestText", () => {
  it("writes the objects as YAML documents in their stored key order, without Secret values", () => {
    const text = manifestText([deployment("shop:1"), secret("hunter22-value")]);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    assert.deepEqual(
      docs.map((d) => d.kind),
      ["Deployment", "Secret"],
    );
    assert.deepEqual(Object.keys(docs[0]!), ["apiVersion", "kind", "metadata", "spec"]);
    assert.ok(!text.includes(Buffer.from("hunter22-value").toString("base64")));
    assert.deepEqual(docs[1]!.data, { "api-token": "<redacted>" });
  });
});

describe("compareRevisions", () => {
  it("says per object whether it was added, removed, changed or unchanged, with a unified diff", () => {
    const result = compareRevisions(
      record(1, [deployment("shop:1"), config("shop-config-a"), secret("one-secret")]),
      record(2, [deployment("shop:2"), secret("another-secret"), config("shop-config-b")]),
    );
    assert.equal(result.from, 1);
    assert.equal(result.to, 2);
    assert.deepEqual(
      result.objects.map((o) => `${o.kind}/${o.name}: ${o.change}`),
      [
        "Deployment/shop: changed",
        "Secret/shop-secrets: unchanged",
        "ConfigMap/shop-config-b: added",
        "ConfigMap/shop-config-a: removed",
      ],
    );
    const [changed, unchanged, added, removed] = result.objects;
    assert.equal(changed!.namespace, "shop-stg");
    assert.match(changed!.diff, /^--- revision 1\n\+\+\+ revision 2\n/m);
    assert.match(changed!.diff, /^- +image: shop:1$/m);
    assert.match(changed!.diff, /^\+ +image: shop:2$/m);
    assert.equal(unchanged!.diff, "");
    assert.match(added!.diff, /^\+kind: ConfigMap$/m);
    assert.match(removed!.diff, /^-kind: ConfigMap$/m);
    const all = JSON.stringify(result);
    for (const value of ["one-secret", "another-secret"]) {
      assert.ok(!all.includes(value) && !all.includes(Buffer.from(value).toString("base64")));
    }
  });

  it("matches an object across an apiVersion change within its group", () => {
    const v1 = { ...config("shop"), apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler" };
    const v2 = { ...v1, apiVersion: "autoscaling/v2" };
    const [only, ...rest] = compareRevisions(record(1, [v1]), record(2, [v2])).objects;
    assert.equal(rest.length, 0);
    assert.equal(only!.change, "changed");
    assert.match(only!.diff, /^\+apiVersion: autoscaling\/v2$/m);
  });
});
