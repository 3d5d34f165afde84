import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError } from "../errors.js";
import { parseRegistryEnvelope } from "./registry.js";

const testdata = join(import.meta.dirname, "../../../testdata/triggers");
type Envelope = { events: Record<string, unknown>[] };
const envelope = (): Envelope =>
  JSON.parse(readFileSync(join(testdata, "registry-push.json"), "utf8")) as Envelope;
/** The fixture's manifest push, changed. */
const manifestPush = (target: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => {
  const event = envelope().events[1]!;
  return { ...event, ...rest, target: { ...(event.target as object), ...target } };
};

function throwsInput(run: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("parseRegistryEnvelope", () => {
  it("keeps the manifest push and ignores the layer push and the pull", () => {
    assert.deepEqual(parseRegistryEnvelope(envelope()), {
      events: [
        {
          kind: "image-push",
          source: "registry",
          deliveryId: "3b7f0e42-8c55-4d1a-b6e9-71a4c0f2d9e8",
          sender: "ci-bot",
          registryHost: "localhost:5000",
          repository: "shop/api",
          tag: "1.4.0",
          digest: "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          actor: "ci-bot",
        },
      ],
      ignored: 2,
    });
  });

  it("accepts every manifest and index media type, with or without a tag", () => {
    const types = [
      "application/vnd.docker.distribution.manifest.v2+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.oci.image.index.v1+json",
    ];
    const events = types.map((mediaType, i) =>
      manifestPush({ mediaType, tag: i % 2 === 0 ? undefined : "1.4.0" }),
    );
    const result = parseRegistryEnvelope({ events });
    assert.deepEqual(
      result.events.map((event) => [event.mediaType, event.tag]),
      types.map((type, i) => [type, i % 2 === 0 ? undefined : "1.4.0"]),
    );
    assert.equal(result.ignored, 0);
  });

  it("ignores blobs, schema-1 manifests, other actions and cosign signatures", () => {
    const events = [
      manifestPush({ mediaType: "application/vnd.docker.container.image.rootfs.diff+x-gtar" }),
      manifestPush({ mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws" }),
      manifestPush({}, { action: "mount" }),
      // Deletes carry only digest and repository (tag deletes not even a digest).
      { id: "del-1", action: "delete", target: { repository: "shop/api", tag: "1.4.0" } },
      manifestPush({ tag: `sha256-${"a".repeat(64)}.sig` }),
    ];
    assert.deepEqual(parseRegistryEnvelope({ events }), { events: [], ignored: 5 });
    assert.deepEqual(parseRegistryEnvelope({ events: [] }), { events: [], ignored: 0 });
  });

  it("an anonymous push has no actor", () => {
    const [event] = parseRegistryEnvelope({ events: [manifestPush({}, { actor: {} })] }).events;
    assert.equal(event?.actor, undefined);
    assert.equal(event?.sender, undefined);
    assert.equal(
      parseRegistryEnvelope({ events: [manifestPush({}, { actor: { name: "" } })] }).events[0]?.actor,
      undefined,
    );
  });
});

describe("parseRegistryEnvelope malformed envelopes", () => {
  it("rejects bodies that are not envelopes", () => {
    throwsInput(() => parseRegistryEnvelope([]), /^registry notification: must be an object, got an array$/);
    throwsInput(() => parseRegistryEnvelope("events"), /must be an object, got the string "events"/);
    throwsInput(() => parseRegistryEnvelope({}), /^registry notification: events is missing$/);
    throwsInput(() => parseRegistryEnvelope({ events: {} }), /events must be an array, got an object/);
    throwsInput(() => parseRegistryEnvelope({ events: [null] }), /events\[0\] must be an object, got null/);
  });

  it("every event needs an id, an action and a target", () => {
    throwsInput(
      () => parseRegistryEnvelope({ events: [{ action: "pull" }] }),
      /events\[0\]\.id is missing/,
      /events\[0\]\.target is missing/,
    );
  });

  it("a manifest push needs a digest, a repository and the request host, all named", () => {
    const events = [
      envelope().events[0]!,
      manifestPush({ digest: undefined, repository: "Shop/API" }, { request: { method: "PUT" } }),
      manifestPush({ tag: "bad tag" }),
      manifestPush({ mediaType: undefined }),
    ];
    throwsInput(
      () => parseRegistryEnvelope({ events }),
      /events\[1\]\.target\.digest is missing/,
      /events\[1\]\.target\.repository must be a repository path like shop\/api/,
      /events\[1\]\.request\.host is missing/,
      /events\[2\]\.target\.tag must be an image tag/,
      /events\[3\]\.target\.mediaType is missing/,
    );
  });
});
