import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startGitServer } from "./git-server.js";
import { startPostgres } from "./postgres.js";
import { runOk, waitFor } from "./processes.js";
import { startRegistry } from "./registry.js";

describe("testkit: real servers on loopback", () => {
  it("PostgreSQL: starts, creates a database, answers SQL, stops", async () => {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase("smoke");
      const out = await runOk("psql", [url, "-At", "-c", "SELECT current_database(), 6 * 7"]);
      assert.equal(out.trim(), "smoke|42");
    } finally {
      await pg.stop();
    }
    const after = await runOk("sh", ["-c", `pg_isready -h 127.0.0.1 -p ${pg.port}; echo $?`]);
    assert.notEqual(after.trim().split("\n").pop(), "0", "the server is gone after stop()");
  });

  it("registry: skopeo pushes an OCI-layout image; the registry serves it by digest and notifies", async () => {
    const events: unknown[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        assert.equal(req.headers.authorization, "Bearer notify-token");
        events.push(...(JSON.parse(body) as { events: unknown[] }).events);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as { port: number };
    const registry = await startRegistry({
      notifications: {
        url: `http://127.0.0.1:${port}/hooks/registry`,
        headers: { Authorization: "Bearer notify-token" },
      },
    });
    try {
      const digest = await registry.pushImage("shop/api", "1.0");
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      const tags = (await (await fetch(`http://${registry.host}/v2/shop/api/tags/list`)).json()) as {
        tags: string[];
      };
      assert.deepEqual(tags.tags, ["1.0"]);
      const head = await fetch(`http://${registry.host}/v2/shop/api/manifests/1.0`, {
        method: "HEAD",
        headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(head.headers.get("docker-content-digest"), digest);
      const push = await waitFor("a push notification for the manifest", async () =>
        events.find(
          (e) =>
            (e as { action: string; target: { mediaType: string } }).action === "push" &&
            (e as { target: { mediaType: string } }).target.mediaType.includes("manifest"),
        ),
      );
      const target = (push as { target: { repository: string; tag: string; digest: string } }).target;
      assert.equal(target.repository, "shop/api");
      assert.equal(target.tag, "1.0");
      assert.equal(target.digest, digest);
    } finally {
      await registry.stop();
      receiver.close();
    }
  });

  it("git over HTTP: push a commit to a bare repository, clone it back; wrong credentials are refused", async () => {
    const git = await startGitServer({ auth: { username: "ci", password: "s3cret" } });
    const work = mkdtempSync(join(tmpdir(), "railyard-git-smoke-"));
    const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", HOME: work };
    try {
      const repoUrl = await git.createRepository("shop");
      const authed = repoUrl.replace("http://", "http://ci:s3cret@");
      const src = join(work, "src");
      await runOk("git", ["init", "--quiet", "--initial-branch=main", src], { env });
      writeFileSync(join(src, "railyard.yaml"), "name: shop\n");
      await runOk("git", ["-C", src, "add", "."], { env });
      await runOk(
        "git",
        ["-C", src, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first"],
        { env },
      );
      const sha = (await runOk("git", ["-C", src, "rev-parse", "HEAD"], { env })).trim();
      await runOk("git", ["-C", src, "push", "--quiet", authed, "main"], { env });

      const clone = join(work, "clone");
      await runOk("git", ["clone", "--quiet", authed, clone], { env });
      assert.equal((await runOk("git", ["-C", clone, "rev-parse", "HEAD"], { env })).trim(), sha);

      const denied = await runOk(
        "sh",
        ["-c", `git ls-remote ${repoUrl.replace("http://", "http://ci:wrong@")} 2>&1; echo "exit=$?"`],
        { env },
      );
      assert.match(denied, /exit=128/);
    } finally {
      await git.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
