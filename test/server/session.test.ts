import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { createAppRepository, startServerFixture } from "./fixture.js";

describe("signing in from a browser", () => {
  it("keeps the token in an HttpOnly cookie, and refuses changes made with it without the CSRF header", async () => {
    const repo = await createAppRepository();
    await repo.commit({
      "railyard.yaml": stringify({
        name: "web",
        args: { version: "1" },
        containers: [{ name: "app", image: "registry.example.test/web:{{ version }}" }],
        pipeline: { triggers: [], stages: [{ id: "guard", check: "true" }] },
      }),
    });
    const fx = await startServerFixture({
      environments: { staging: { namespace: "web" } },
      repositories: { apps: { url: repo.url } },
      apps: { web: { repository: "apps", path: "railyard.yaml" } },
    });
    const token = await fx.token("alice", ["deploy:staging"]);
    const call = (
      method: string,
      path: string,
      options: { cookie?: string; csrf?: boolean; body?: unknown } = {},
    ) =>
      fetch(`${fx.server.url}${path}`, {
        method,
        headers: {
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(options.csrf ? { "x-railyard-csrf": "1" } : {}),
          ...(options.body ? { "content-type": "application/json" } : {}),
        },
        body: options.body ? JSON.stringify(options.body) : undefined,
      });

    const wrong = await call("POST", "/api/v1/session", { body: { token: "ry_not_a_token" } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get("set-cookie"), null);

    const signedIn = await call("POST", "/api/v1/session", { body: { token } });
    assert.equal(signedIn.status, 200);
    const setCookie = signedIn.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /^railyard_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const body = await signedIn.text();
    assert.ok(!body.includes(token), "the token is not echoed back");
    assert.deepEqual(JSON.parse(body), { name: "alice", roles: ["deploy:staging"] });
    const cookie = setCookie.split(";")[0]!;

    assert.equal((await call("GET", "/api/v1/whoami", { cookie })).status, 200);
    assert.equal((await call("GET", "/api/v1/whoami")).status, 401);

    // A change made with the cookie alone (what a forged cross-site form would send) is refused.
    const forged = await call("POST", "/api/v1/apps/web/runs", { cookie, body: { args: {} } });
    assert.equal(forged.status, 403);
    assert.match(((await forged.json()) as { error: { message: string } }).error.message, /X-Railyard-CSRF/);
    assert.equal((await fx.api("GET", "/api/v1/executions?app=web")).body.items.length, 0);

    const started = await call("POST", "/api/v1/apps/web/runs", { cookie, csrf: true, body: { args: {} } });
    assert.equal(started.status, 201);

    const signedOut = await call("DELETE", "/api/v1/session", { cookie, csrf: true });
    assert.equal(signedOut.status, 200);
    assert.match(signedOut.headers.get("set-cookie") ?? "", /^railyard_session=; .*Max-Age=0/);
  });
});
