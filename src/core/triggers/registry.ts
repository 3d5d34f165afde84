/**
 * Registry notifications (`POST /hooks/registry`): the envelope the CNCF Distribution registry (and
 * registries compatible with it) posts to its notification endpoints. The body's Content-Type is
 * `application/vnd.docker.distribution.events.v1+json` (`…events.v2+json` from Distribution v3);
 * the server checks that, this module reads the JSON.
 *
 * Only manifest pushes start anything: a `docker push` also reports each layer and config blob, and
 * pulls, mounts and deletes change nothing worth deploying.
 */
import { z } from "zod";
import type { ImagePushEvent } from "./events.js";
import { checkPayload, compact, parsePayload, payloadError } from "./payload.js";

/** Manifests and indexes (multi-platform lists), Docker and OCI; schema-1 manifests are long gone. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];

const SUBJECT = "registry notification";
const HINT =
  "Point the registry's notifications endpoint at /hooks/registry; the body must be an events envelope.";

// The same syntaxes as distribution/reference (see src/core/images/reference.ts).
const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Every event needs this much to be sorted; registries vary in the rest of what they send. */
const envelope = z.looseObject({
  events: z.array(
    z.looseObject({
      id: z.string().min(1),
      action: z.string().min(1),
      target: z.looseObject({ mediaType: z.string().optional() }),
    }),
  ),
});

/** A manifest push, checked strictly: these fields become the event. */
const manifestPush = z.looseObject({
  id: z.string().min(1),
  target: z.looseObject({
    mediaType: z.string(),
    digest: z.string().regex(DIGEST, { error: "must be a digest like sha256:<64 hex digits>" }),
    repository: z.string().regex(REPOSITORY, { error: "must be a repository path like shop/api" }),
    tag: z.string().regex(TAG, { error: "must be an image tag" }).optional(),
  }),
  request: z.looseObject({
    host: z.string().regex(/^[^\s/]+$/, { error: "must be a host name with an optional port" }),
  }),
  actor: z.looseObject({ name: z.string().optional() }).optional(),
});

/**
 * Signatures and attestations pushed by cosign are manifests too, tagged `sha256-<digest>.sig` (or
 * `.att`, `.sbom`); they describe an image rather than being one to deploy.
 */
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}\.[a-z]+$/;

/**
 * Returns the manifest pushes in a notification envelope and how many other events it held.
 * Throws `InputError` naming every bad field when the envelope or a manifest push is malformed.
 */
export function parseRegistryEnvelope(payload: unknown): { events: ImagePushEvent[]; ignored: number } {
  const { events } = parsePayload(envelope, payload, SUBJECT, HINT);
  const pushes: ImagePushEvent[] = [];
  const problems: string[] = [];
  events.forEach((event, index) => {
    if (event.action !== "push") return;
    if (event.target.mediaType === undefined) {
      problems.push(`events[${index}].target.mediaType is missing`);
      return;
    }
    if (!MANIFEST_MEDIA_TYPES.includes(event.target.mediaType)) return;
    const checked = checkPayload(manifestPush, event, ["events", index]);
    if (!checked.ok) {
      problems.push(...checked.problems);
      return;
    }
    const { id, target, request, actor } = checked.data;
    if (target.tag !== undefined && SIGNATURE_TAG.test(target.tag)) return;
    // Distribution sends `actor: {}` for anonymous pushes; other registries send an empty name.
    const actorName = actor?.name === "" ? undefined : actor?.name;
    pushes.push(
      compact({
        kind: "image-push",
        source: "registry",
        deliveryId: id,
        sender: actorName,
        registryHost: request.host,
        repository: target.repository,
        tag: target.tag,
        digest: target.digest,
        mediaType: target.mediaType,
        actor: actorName,
      }),
    );
  });
  if (problems.length > 0) throw payloadError(SUBJECT, problems, HINT);
  return { events: pushes, ignored: events.length - pushes.length };
}
