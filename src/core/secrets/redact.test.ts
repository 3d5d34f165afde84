import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, redactSecretValues, secretScrubber } from "./redact.js";

describe("secret redaction", () => {
  it("replaces every Secret value, keeps the keys, leaves other kinds alone", () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      data: { a: "eA==" },
      stringData: { b: "y" },
    };
    assert.deepEqual(redactSecretValues(secret), {
      ...secret,
      data: { a: REDACTED },
      stringData: { b: REDACTED },
    });
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "x" } };
    assert.equal(redactSecretValues(cm), cm);
  });
  it("scrubs values and their base64 form out of text", () => {
    const scrub = secretScrubber(["hunter2-long"]);
    const b64 = Buffer.from("hunter2-long").toString("base64");
    assert.equal(scrub(`token=hunter2-long data=${b64}`), "token=*** data=***");
  });
});
