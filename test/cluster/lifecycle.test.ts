import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isAlive } from "../../src/localcluster/processes.js";
import { run, waitFor } from "../testkit/processes.js";

const root = join(import.meta.dirname, "..", "..");
const home = mkdtempSync(join(tmpdir(), "railyard-home-"));
after(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, RAILYARD_HOME: home };

function railyard(...args: string[]) {
  return run(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    cwd: root,
    env,
  });
}

describe("railyard cluster up / kubeconfig / down", () => {
  it("starts a named cluster kubectl can use, refuses a second of the same name, and stops without leftovers", async (t) => {
    const name = `lc-${randomBytes(2).toString("hex")}`;
    t.after(() => railyard("cluster", "down", "--name", name));
    const up = await railyard("cluster", "up", "--name", name, "--nodes", "2");
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /kube-apiserver ready/, "progress is reported while starting");
    const kubeconfigPath = /kubeconfig: (\S+)/.exec(up.stdout)?.[1];
    const kubectl = /kubectl: +(\S+)/.exec(up.stdout)?.[1];
    assert.ok(kubeconfigPath && kubectl, up.stdout);

    const nodes = await run(kubectl, ["--kubeconfig", kubeconfigPath, "get", "nodes", "--no-headers"]);
    assert.equal(nodes.code, 0, nodes.stderr);
    const lines = nodes.stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, /^kwok-node-\d+\s+Ready\s/);

    const version = await run(kubectl, ["--kubeconfig", kubeconfigPath, "version", "-o", "json"]);
    const server = (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string; minor: string } })
      .serverVersion;
    assert.equal(server.gitVersion, "v1.36.2");
    assert.equal(server.minor, "36");

    const printed = await railyard("cluster", "kubeconfig", "--name", name, "--path");
    assert.equal(printed.stdout.trim(), kubeconfigPath);
    const content = await railyard("cluster", "kubeconfig", "--name", name);
    assert.equal(content.stdout, readFileSync(kubeconfigPath, "utf8"));

    const second = await railyard("cluster", "up", "--name", name);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`cluster named "${name}" is already running`));
    assert.match(second.stderr, /railyard cluster down --name/);

    const state = JSON.parse(readFileSync(join(home, "clusters", name, "state.json"), "utf8")) as {
      pids: Record<string, number>;
    };
    const pids = Object.values(state.pids);
    assert.equal(pids.length, 5);
    assert.ok(pids.every(isAlive));

    const down = await railyard("cluster", "down", "--name", name);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /stopped and removed/);
    assert.deepEqual(pids.filter(isAlive), [], "no control-plane process is left");
    assert.equal(existsSync(join(home, "clusters", name)), false);

    const gone = await railyard("cluster", "kubeconfig", "--name", name);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No local cluster named/);
  });

  it("refuses an API port that is in use, with what to do, and leaves nothing behind", async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    t.after(() => blocker.close());
    const { port } = blocker.address() as { port: number };
    const name = `busy-${randomBytes(2).toString("hex")}`;
    const up = await railyard("cluster", "up", "--name", name, "--api-port", String(port));
    assert.equal(up.code, 1);
    assert.match(up.stderr, new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
    assert.match(up.stderr, /--api-port/);
    assert.equal(existsSync(join(home, "clusters", name)), false);
  });

  it("rejects bad flags as invalid input", async () => {
    const result = await railyard("cluster", "up", "--nodes", "zero");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--nodes/);
  });

  it("stops a test cluster whose owner was killed with SIGKILL", async () => {
    const stateDir = join(home, `owned-${randomBytes(2).toString("hex")}`);
    const script = `
      import { startCluster } from "./src/localcluster/cluster.ts";
      const c = await startCluster({ name: "owned", stateDir: ${JSON.stringify(stateDir)}, nodes: 1, ownerPid: process.pid });
      process.stdout.write(JSON.stringify(c.pids) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = "";
      owner.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(Object.values(JSON.parse(out) as Record<string, number>));
      });
      owner.on("exit", (code) => reject(new Error(`owner exited early (${code})`)));
    });
    assert.ok(pids.every(isAlive));
    owner.kill("SIGKILL");
    await waitFor(
      "the watchdog to stop the orphaned cluster",
      async () => (pids.every((pid) => !isAlive(pid)) && !existsSync(stateDir) ? true : undefined),
      20_000,
    );
  });
});
