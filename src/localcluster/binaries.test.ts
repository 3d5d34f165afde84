import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PrerequisiteError } from "../core/errors.js";
import { ensureBinaries, formatDuration, inspectCache } from "./binaries.js";
import { BINARY_NAMES } from "./versions.js";

const scratch = mkdtempSync(join(tmpdir(), "railyard-binaries-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function fakeCache(name: string, sourceHash = "abc"): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const file of [...BINARY_NAMES, "kwok-default-stages.yaml"]) {
    writeFileSync(join(dir, file), "0123456789");
    sizes[file] = 10;
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ sourceHash, sizes }));
  return dir;
}

describe("the binary cache", () => {
  it("is usable when every file has its recorded size and the sources match", async () => {
    assert.equal(await inspectCache(fakeCache("ok"), "abc"), "ok");
  });

  it("says why it cannot be used: missing, truncated, removed, other versions, no manifest", async () => {
    assert.equal(await inspectCache(join(scratch, "nothing"), "abc"), "missing");

    const truncated = fakeCache("truncated");
    writeFileSync(join(truncated, "kube-apiserver"), "01");
    assert.equal(await inspectCache(truncated, "abc"), "kube-apiserver is 2 bytes, expected 10");

    const removed = fakeCache("removed");
    rmSync(join(removed, "etcd"));
    assert.equal(await inspectCache(removed, "abc"), "etcd is missing");

    assert.equal(await inspectCache(fakeCache("old"), "def"), "it was built from other module versions");

    const noManifest = fakeCache("no-manifest");
    rmSync(join(noManifest, "manifest.json"));
    assert.equal(await inspectCache(noManifest, "abc"), "manifest.json is missing or unreadable");
  });
});

describe("building without a usable Go toolchain", () => {
  it("says Go is missing and how to install it", async () => {
    const error = await ensureBinaries({
      cacheDir: join(scratch, "no-go"),
      env: { PATH: join(scratch, "empty-path"), HOME: scratch },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof PrerequisiteError, String(error));
    assert.match(error.message, /Go was not found/);
    assert.match(error.hint ?? "", /go\.dev\/dl/);
  });

  it("says an old Go is too old", async () => {
    const fakeGo = join(scratch, "old-go");
    writeFileSync(fakeGo, "#!/bin/sh\necho go1.19.8\n");
    chmodSync(fakeGo, 0o755);
    const error = await ensureBinaries({
      cacheDir: join(scratch, "old-go-cache"),
      env: { PATH: process.env.PATH, HOME: scratch, RAILYARD_GO: fakeGo },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof PrerequisiteError, String(error));
    assert.match(error.message, /Go go1\.19\.8 is too old: the control plane needs go1\.26 or newer/);
  });

  it("says the module proxy cannot be reached", async () => {
    const error = await ensureBinaries({
      cacheDir: join(scratch, "no-proxy-cache"),
      env: {
        ...process.env,
        GOPROXY: "http://127.0.0.1:9",
        GOMODCACHE: join(scratch, "empty-modcache"),
        GOFLAGS: "-mod=mod",
      },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof PrerequisiteError, String(error));
    assert.match(error.message, /Could not download the Go modules/);
    assert.match(error.hint ?? "", /GOPROXY=http:\/\/127\.0\.0\.1:9/);
  });
});

describe("formatDuration", () => {
  it("prints seconds, then minutes and seconds", () => {
    assert.equal(formatDuration(4_400), "4s");
    assert.equal(formatDuration(125_000), "2m05s");
  });
});
