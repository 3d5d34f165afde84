import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../../test/testkit/processes.js";
import { type Registry, startRegistry } from "../../../test/testkit/registry.js";
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  type RailyardError,
  UpstreamError,
  describeError,
} from "../../core/errors.js";
import { listTags, resolveImageDigest, type ResolveOptions } from "./resolve.js";

describe("resolving tags against a real registry (distribution 2.8)", () => {
  let registry: Registry;
  let pushed: { "1.0": string; latest: string };

  before(async () => {
    registry = await startRegistry();
    pushed = {
      "1.0": await registry.pushImage("shop/api", "1.0"),
      latest: await registry.pushImage("shop/api", "latest", { "hello.txt": "newest\n" }),
    };
  });
  after(() => registry.stop());

  it("resolves a tag to the digest that was pushed and pins the reference", async () => {
    const image = `${registry.host}/shop/api:1.0`;
    assert.deepEqual(await resolveImageDigest(image), {
      reference: image,
      digest: pushed["1.0"],
      pinned: `${registry.host}/shop/api:1.0@${pushed["1.0"]}`,
    });
  });

  it("resolves a reference without a tag as latest", async () => {
    const resolved = await resolveImageDigest(`${registry.host}/shop/api`);
    assert.equal(resolved.digest, pushed.latest);
    assert.equal(resolved.pinned, `${registry.host}/shop/api:latest@${pushed.latest}`);
  });

  it("says an unknown tag is not found and what to do", async () => {
    const error = await resolveImageDigest(`${registry.host}/shop/api:9.9`).catch((e: unknown) => e);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.equal(error.message, `image ${registry.host}/shop/api:9.9 not found in the registry`);
    assert.equal(error.hint, "Push the image or fix the tag.");
  });

  it("lists the pushed tags, and says an unknown repository is not found", async () => {
    // The registry's order is its storage order; the spec promises none.
    assert.deepEqual((await listTags(`${registry.host}/shop/api`)).sort(), ["1.0", "latest"]);
    const error = await listTags(`${registry.host}/shop/none`).catch((e: unknown) => e);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.match(error.message, /repository 127\.0\.0\.1:\d+\/shop\/none not found/);
  });
});

describe("resolving without the network", () => {
  const digest = `sha256:${"a".repeat(64)}`;

  it("passes a reference that has a digest through without any request", async () => {
    const noNetwork = (() => Promise.reject(new Error("no request expected"))) as typeof fetch;
    const image = `127.0.0.1:5000/shop/api:1.0@${digest}`;
    assert.deepEqual(await resolveImageDigest(image, { fetch: noNetwork }), {
      reference: image,
      digest,
      pinned: image,
    });
  });

  it("rejects a bad reference as invalid input with the expected form", async () => {
    for (const image of ["Shop/API:1.0", "shop/api:", "shop api", ""]) {
      const error = await resolveImageDigest(image).catch((e: unknown) => e);
      assert.ok(error instanceof InputError, `${image}: ${String(error)}`);
      assert.match(error.hint ?? "", /repository\[:tag\]/);
    }
  });

  it("uses https, http for insecure and loopback registries, and Docker Hub's API host", async () => {
    const cases: [string, ResolveOptions["registries"], string][] = [
      ["registry.example.com/shop/api:1.0", {}, "https://registry.example.com/v2/shop/api/manifests/1.0"],
      [
        "registry.example.com:5000/shop/api:1.0",
        { "registry.example.com:5000": { insecure: true } },
        "http://registry.example.com:5000/v2/shop/api/manifests/1.0",
      ],
      ["localhost:5000/shop/api:1.0", {}, "http://localhost:5000/v2/shop/api/manifests/1.0"],
      ["127.0.0.2:5000/shop/api:1.0", {}, "http://127.0.0.2:5000/v2/shop/api/manifests/1.0"],
      ["[::1]:5000/shop/api:1.0", {}, "http://[::1]:5000/v2/shop/api/manifests/1.0"],
      ["nginx", {}, "https://registry-1.docker.io/v2/library/nginx/manifests/latest"],
    ];
    for (const [image, registries, expectedUrl] of cases) {
      const seen: { url: string; method?: string; accept?: string }[] = [];
      const recording = (async (url: string, init?: RequestInit) => {
        seen.push({ url, method: init?.method, accept: (init?.headers as Record<string, string>).accept });
        return new Response(null, { status: 200, headers: { "docker-content-digest": digest } });
      }) as typeof fetch;
      const resolved = await resolveImageDigest(image, { registries, fetch: recording });
      assert.equal(resolved.digest, digest);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.url, expectedUrl);
      assert.equal(seen[0]?.method, "HEAD");
      for (const type of ["oci.image.index", "oci.image.manifest", "manifest.list.v2", "manifest.v2"]) {
        assert.ok(seen[0]?.accept?.includes(type), `Accept lists ${type}`);
      }
    }
    const hub = await resolveImageDigest("nginx", { fetch: fixedDigest(digest) });
    assert.equal(hub.pinned, `docker.io/library/nginx:latest@${digest}`);
  });

  it("refuses a digest header that is not a digest", async () => {
    const error = await resolveImageDigest("registry.example.com/shop/api:1.0", {
      fetch: fixedDigest("md5:0123"),
    }).catch((e: unknown) => e);
    assert.ok(error instanceof UpstreamError, String(error));
    assert.match(error.message, /registry registry\.example\.com sent an invalid manifest digest "md5:0123"/);
  });
});

describe("unreachable registries", () => {
  it("says a closed port is unreachable", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const error = await resolveImageDigest(`${host}/shop/api:1.0`).catch((e: unknown) => e);
    assert.ok(error instanceof UpstreamError, String(error));
    assert.match(error.message, new RegExp(`^registry ${host} is unreachable: .*ECONNREFUSED`));
  });

  it("gives up on a registry that does not answer within the timeout", async () => {
    const silent = await listen(() => {});
    try {
      const error = await resolveImageDigest(`${silent.host}/shop/api:1.0`, { timeoutMs: 300 }).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof UpstreamError, String(error));
      assert.equal(error.message, `registry ${silent.host} is unreachable: no answer within 300 ms`);
    } finally {
      await silent.close();
    }
  });

  it("reports a 5xx answer as the registry being unreachable", async () => {
    const failing = await listen((_req, res) => res.writeHead(503).end());
    try {
      const error = await resolveImageDigest(`${failing.host}/shop/api:1.0`).catch((e: unknown) => e);
      assert.ok(error instanceof UpstreamError, String(error));
      assert.match(error.message, /is unreachable: HTTP 503 for HEAD \/v2\/shop\/api\/manifests\/1\.0$/);
    } finally {
      await failing.close();
    }
  });
});

describe("authenticating like Docker clients", () => {
  const credentials = { username: "deployer", password: "pa55-w0rd-secret" };
  const wrong = { username: "deployer", password: "not-the-password" };

  function settings(fake: FakeRegistry, creds = credentials): ResolveOptions {
    return { registries: { [fake.host]: { credentials: creds } } };
  }

  it("gets a bearer token from the realm with basic auth, retries with it, and reuses it", async () => {
    const fake = await startTokenRegistry("bearer", credentials);
    try {
      const image = `${fake.host}/shop/api:1.0`;
      assert.equal((await resolveImageDigest(image, settings(fake))).digest, fake.digest);
      assert.equal((await resolveImageDigest(image, settings(fake))).digest, fake.digest);
      assert.equal(fake.tokenRequests.length, 1, "the second resolve uses the cached token");
      assert.equal(fake.tokenRequests[0]?.authorization, basic(credentials));
      assert.equal(
        fake.tokenRequests[0]?.query,
        "service=fake.registry&scope=repository%3Ashop%2Fapi%3Apull",
      );
      assert.deepEqual(await listTags(image, settings(fake)), ["1.0", "1.1", "2.0", "latest", "next"]);
    } finally {
      await fake.close();
    }
  });

  it("says wrong credentials are not allowed, naming the registry and no secret", async () => {
    const fake = await startTokenRegistry("bearer", credentials);
    try {
      const error = await resolveImageDigest(`${fake.host}/shop/api:1.0`, settings(fake, wrong)).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof NotAllowedError, String(error));
      assert.match(error.message, new RegExp(`^registry ${fake.host} denied pulling shop/api`));
      assert.match(error.hint ?? "", /credentials for .* in the platform config/);
      assertNoSecret(error, [wrong.password, basic(wrong), ...fake.issuedTokens]);
    } finally {
      await fake.close();
    }
  });

  it("asks anonymously without credentials, and says to add them when the token is not enough", async () => {
    const fake = await startTokenRegistry("bearer", credentials);
    try {
      const error = await resolveImageDigest(`${fake.host}/shop/api:1.0`).catch((e: unknown) => e);
      assert.ok(error instanceof NotAllowedError, String(error));
      assert.equal(fake.tokenRequests[0]?.authorization, undefined);
      assert.match(error.hint ?? "", /Add credentials for/);
      assertNoSecret(error, fake.issuedTokens);
    } finally {
      await fake.close();
    }
  });

  it("answers a Basic challenge with the credentials, and refuses wrong ones", async () => {
    const fake = await startTokenRegistry("basic", credentials);
    try {
      const image = `${fake.host}/shop/api:1.0`;
      assert.equal((await resolveImageDigest(image, settings(fake))).digest, fake.digest);
      const error = await resolveImageDigest(image, settings(fake, wrong)).catch((e: unknown) => e);
      assert.ok(error instanceof NotAllowedError, String(error));
      assertNoSecret(error, [wrong.password, basic(wrong)]);
    } finally {
      await fake.close();
    }
  });

  it("falls back to GET and hashes the exact manifest bytes when HEAD has no digest header", async () => {
    const fake = await startTokenRegistry("bearer", credentials, { digestOnHead: false });
    try {
      const resolved = await resolveImageDigest(`${fake.host}/shop/api:1.0`, settings(fake));
      assert.equal(resolved.digest, fake.digest);
      const error = await resolveImageDigest(`${fake.host}/shop/api:9.9`, settings(fake)).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof NotFoundError, String(error));
    } finally {
      await fake.close();
    }
  });
});

// --- helpers ---------------------------------------------------------------------------------------

function fixedDigest(digest: string): typeof fetch {
  return (async () =>
    new Response(null, { status: 200, headers: { "docker-content-digest": digest } })) as typeof fetch;
}

function basic({ username, password }: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

function assertNoSecret(error: RailyardError, secrets: string[]): void {
  const text = `${describeError(error)}\n${String(error.cause ?? "")}`;
  for (const secret of secrets)
    assert.ok(!text.includes(secret), `the error must not contain a secret: ${text}`);
}

interface Listening {
  host: string;
  close(): Promise<void>;
}

/** A server on 127.0.0.1; close() also drops connections left hanging (the silent server's). */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface FakeRegistry extends Listening {
  digest: string;
  tokenRequests: { authorization: string | undefined; query: string }[];
  issuedTokens: string[];
}

/**
 * A registry that requires auth the way Docker Hub does (Docker token spec): the API answers 401 with a
 * Bearer challenge naming a token endpoint (served here too) that checks basic credentials, issues a
 * token to anyone (anonymous tokens grant nothing), and the API accepts only tokens it issued for the
 * right credentials. With "basic", the API itself asks for and checks basic credentials.
 */
async function startTokenRegistry(
  scheme: "bearer" | "basic",
  credentials: { username: string; password: string },
  { digestOnHead = true } = {},
): Promise<FakeRegistry> {
  // Deliberately not canonical JSON: the digest is of these exact bytes.
  const manifest = Buffer.from(
    '{ "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.manifest.v1+json" }\n',
  );
  const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  const tags = ["1.0", "1.1", "2.0", "latest", "next"];
  const tokenRequests: FakeRegistry["tokenRequests"] = [];
  const valid = new Set<string>();
  const issuedTokens: string[] = [];

  const authorized = (req: IncomingMessage) =>
    scheme === "basic"
      ? req.headers.authorization === basic(credentials)
      : valid.has(req.headers.authorization?.replace(/^Bearer /, "") ?? "");

  const fake = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/token") {
      tokenRequests.push({ authorization: req.headers.authorization, query: url.search.slice(1) });
      if (req.headers.authorization && req.headers.authorization !== basic(credentials)) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
        return;
      }
      const token = `token-${randomUUID()}`;
      issuedTokens.push(token);
      if (req.headers.authorization) valid.add(token);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
      return;
    }
    if (!authorized(req)) {
      const challenge =
        scheme === "basic"
          ? 'Basic realm="fake.registry"'
          : `Bearer realm="http://${fake.host}/token",service="fake.registry",scope="repository:shop/api:pull"`;
      res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    if (url.pathname === "/v2/shop/api/manifests/1.0") {
      const headers: Record<string, string> = {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
      };
      if (digestOnHead || req.method === "GET") headers["docker-content-digest"] = digest;
      res.writeHead(200, headers).end(req.method === "GET" ? manifest : undefined);
      return;
    }
    if (url.pathname === "/v2/shop/api/tags/list") {
      // Two tags a page, continued through a relative Link header as Docker Hub does.
      const start = tags.indexOf(url.searchParams.get("last") ?? "") + 1;
      const page = tags.slice(start, start + 2);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (start + 2 < tags.length) {
        headers.link = `</v2/shop/api/tags/list?n=2&last=${page.at(-1)}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ name: "shop/api", tags: page }));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }));
  });
  return { ...fake, digest, tokenRequests, issuedTokens };
}
