import { createHash } from "node:crypto";
import { InputError, NotFoundError, UpstreamError } from "../../core/errors.js";
import { type ImageReference, parseImageReference, withDigest } from "../../core/images/reference.js";
import { registryRequest } from "./client.js";
import { badAnswer, quoted } from "./failures.js";
import { endpointFor, type RegistryEndpoint, type RegistryResponse } from "./transport.js";

/*
 * Resolves image tags to manifest digests through the OCI distribution API, so deploys pin images by
 * digest, and lists a repository's tags.
 */

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistrySettings {
  /** Plain http instead of https (loopback registries are always plain http, as in Docker). */
  insecure?: boolean;
  /** Already resolved from their references by the caller. */
  credentials?: RegistryCredentials;
}

export interface ResolveOptions {
  /** Keyed by registry host as written in the reference, e.g. "127.0.0.1:5000". */
  registries?: Record<string, RegistrySettings>;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface ResolvedImage {
  /** The reference as given. */
  reference: string;
  digest: string;
  /** `registry/repository:tag@digest`, the tag kept for readers (`latest` when none was given). */
  pinned: string;
}

// Index/list types first: a multi-platform image resolves to its index, as `docker pull` would pin it.
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** The manifest digest of an image; a reference that already has a digest is returned as is, offline. */
export async function resolveImageDigest(
  image: string,
  options: ResolveOptions = {},
): Promise<ResolvedImage> {
  const reference = parsed(image);
  if (reference.digest) {
    return { reference: image, digest: reference.digest, pinned: withDigest(reference, reference.digest) };
  }
  const tagged = { ...reference, tag: reference.tag ?? "latest" };
  const digest = await manifestDigest(endpointFor(tagged.registry, options), tagged);
  return { reference: image, digest, pinned: withDigest(tagged, digest) };
}

/** Every tag of a repository, following `Link` pagination; a tag or digest in the reference is ignored. */
export async function listTags(repositoryRef: string, options: ResolveOptions = {}): Promise<string[]> {
  const { registry, repository } = parsed(repositoryRef);
  const endpoint = endpointFor(registry, options);
  const tags: string[] = [];
  const read = new Set<string>();
  let path: string | undefined = `/v2/${repository}/tags/list`;
  while (path !== undefined) {
    if (read.has(path)) {
      throw badAnswer(endpoint, `sent a tag list whose next page was already read (${path})`);
    }
    read.add(path);
    const response = await registryRequest(endpoint, { method: "GET", path, repository });
    if (isNotFound(response)) {
      throw new NotFoundError(`repository ${registry}/${repository} not found in the registry`, {
        hint: "Push an image to it or fix the repository name.",
      });
    }
    if (!isSuccess(response)) throw refused(endpoint, "GET", path, response);
    tags.push(...tagPage(endpoint, response.body));
    path = nextPage(endpoint, path, response.headers.get("link"));
  }
  return tags;
}

function parsed(image: string): ImageReference {
  const reference = parseImageReference(image);
  if ("error" in reference) {
    throw new InputError(`image reference ${JSON.stringify(image)} ${reference.error}`, {
      hint: "Write it as [registry[:port]/]repository[:tag][@sha256:<digest>], e.g. registry.example.com/shop/api:1.0.",
    });
  }
  return reference;
}

async function manifestDigest(
  endpoint: RegistryEndpoint,
  image: ImageReference & { tag: string },
): Promise<string> {
  const request = {
    path: `/v2/${image.repository}/manifests/${image.tag}`,
    repository: image.repository,
    accept: MANIFEST_TYPES,
  };
  const head = await registryRequest(endpoint, { method: "HEAD", ...request });
  if (head.status === 404) throw imageNotFound(image);
  const header = head.headers.get("docker-content-digest");
  if (isSuccess(head) && header) return checkedDigest(endpoint, header);
  // No header (some proxies drop it) or HEAD refused: the digest is by definition the sha256 of the body.
  const get = await registryRequest(endpoint, { method: "GET", ...request });
  if (isNotFound(get)) throw imageNotFound(image);
  if (!isSuccess(get)) throw refused(endpoint, "GET", request.path, get);
  return bodyDigest(endpoint, get);
}

function checkedDigest(endpoint: RegistryEndpoint, digest: string): string {
  if (!DIGEST.test(digest)) throw badAnswer(endpoint, `sent an invalid manifest digest ${quoted(digest)}`);
  return digest;
}

function bodyDigest(endpoint: RegistryEndpoint, response: RegistryResponse): string {
  const digest = `sha256:${createHash("sha256").update(response.body).digest("hex")}`;
  const header = response.headers.get("docker-content-digest");
  if (header?.startsWith("sha256:") && header !== digest) {
    throw badAnswer(
      endpoint,
      `sent a manifest whose sha256 (${digest}) differs from its digest header (${quoted(header)})`,
    );
  }
  return digest;
}

function imageNotFound(image: ImageReference & { tag: string }): NotFoundError {
  return new NotFoundError(
    `image ${image.registry}/${image.repository}:${image.tag} not found in the registry`,
    {
      hint: "Push the image or fix the tag.",
    },
  );
}

function isSuccess(response: RegistryResponse): boolean {
  return response.status >= 200 && response.status <= 299;
}

// Registries answer 404, and some 400 with a distribution error code, for what does not exist.
function isNotFound(response: RegistryResponse): boolean {
  if (response.status === 404) return true;
  const codes = errorCodes(response.body).map((error) => error.code);
  return codes.includes("MANIFEST_UNKNOWN") || codes.includes("NAME_UNKNOWN");
}

function refused(
  endpoint: RegistryEndpoint,
  method: string,
  path: string,
  response: RegistryResponse,
): UpstreamError {
  const [first] = errorCodes(response.body);
  const detail = first ? `: ${first.code} ${quoted(first.message ?? "")}` : "";
  return badAnswer(endpoint, `answered HTTP ${response.status} to ${method} ${path}${detail}`);
}

// The distribution spec's error body: {"errors": [{"code": "...", "message": "..."}]}.
function errorCodes(body: Buffer): { code: string; message?: string }[] {
  try {
    const parsedBody = JSON.parse(body.toString("utf8")) as { errors?: unknown };
    if (!Array.isArray(parsedBody.errors)) return [];
    return parsedBody.errors.filter((error): error is { code: string; message?: string } => {
      return typeof (error as { code?: unknown } | null)?.code === "string";
    });
  } catch {
    return [];
  }
}

function tagPage(endpoint: RegistryEndpoint, body: Buffer): string[] {
  let page: { tags?: unknown };
  try {
    page = JSON.parse(body.toString("utf8")) as typeof page;
  } catch {
    throw badAnswer(endpoint, "sent a tag list that is not JSON");
  }
  // distribution answers `"tags": null` for a repository whose tags were all deleted.
  if (page.tags === null || page.tags === undefined) return [];
  if (!Array.isArray(page.tags) || !page.tags.every((tag) => typeof tag === "string")) {
    throw badAnswer(endpoint, "sent a tag list whose tags are not strings");
  }
  return page.tags as string[];
}

/** The path of the `rel="next"` page from a Link header, kept on the same origin so no token leaks. */
function nextPage(endpoint: RegistryEndpoint, current: string, link: string | null): string | undefined {
  for (const [, target = "", params = ""] of (link ?? "").matchAll(/<([^>]*)>([^<]*)/g)) {
    if (!/;\s*rel="?next"?/i.test(params)) continue;
    const base = `${endpoint.baseUrl}${current}`;
    if (!URL.canParse(target, base)) throw badAnswer(endpoint, `sent a tag list with an invalid next link`);
    const url = new URL(target, base);
    if (url.origin !== new URL(endpoint.baseUrl).origin) {
      throw badAnswer(endpoint, `sent a tag list whose next page is on another host (${url.origin})`);
    }
    return `${url.pathname}${url.search}`;
  }
  return undefined;
}
