/**
 * Container image references, parsed the way the Docker/OCI tooling does (distribution/reference):
 * `[registry[:port]/]repository[:tag][@digest]`, where a first component is a registry only if it
 * has a dot or a colon or is `localhost`; Docker Hub names get `docker.io` and `library/`.
 */
export interface ImageReference {
  /** Registry host as written, e.g. `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/nginx`, `shop/api`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/;

/** Parses an image reference or returns the reason it is not one. */
export function parseImageReference(input: string): ImageReference | { error: string } {
  if (input.length === 0) return { error: "is empty" };
  if (input.length > 4096) return { error: "is longer than 4096 characters" };
  if (/\s/.test(input)) return { error: "contains whitespace" };
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      return { error: `has an invalid digest "${digest}" (expected e.g. sha256:<64 hex>)` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { error: `has an invalid tag "${tag}" (letters, digits, _ . -, at most 128)` };
  }
  const parts = rest.split("/");
  let registry = "docker.io";
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) return { error: `has an invalid registry host "${registry}"` };
  }
  if (parts.length === 0 || parts.some((p) => p.length === 0))
    return { error: "has an empty path component" };
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      return {
        error: `has an invalid repository component "${part}" (lowercase letters, digits, separators . _ -)`,
      };
    }
  }
  if (registry === "docker.io" && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  if (registry.length + repository.length + 1 > 255)
    return { error: "has a name longer than 255 characters" };
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** The reference pinned to a digest, keeping the tag for readers: `registry/repo:tag@sha256:…`. */
export function withDigest(reference: ImageReference, digest: string): string {
  return `${reference.registry}/${reference.repository}${reference.tag ? `:${reference.tag}` : ""}@${digest}`;
}
