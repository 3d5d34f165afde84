import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseChallenges } from "./challenge.js";

describe("WWW-Authenticate challenges", () => {
  it("reads a Docker token challenge", () => {
    const header =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"';
    assert.deepEqual(parseChallenges(header), [
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
        },
      },
    ]);
  });

  it("separates joined challenges and keeps commas and escapes inside quotes", () => {
    const header = 'Basic realm="a, \\"b\\"", Bearer realm=https://auth.example/token, service=reg';
    assert.deepEqual(parseChallenges(header), [
      { scheme: "basic", params: { realm: 'a, "b"' } },
      { scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg" } },
    ]);
  });

  it("finds nothing in an empty header", () => {
    assert.deepEqual(parseChallenges(""), []);
  });
});
