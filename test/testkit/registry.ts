import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensureDebianPackages } from "./debian.js";
import { writeOciLayout } from "./oci-image.js";
import { freePort, runOk, waitFor } from "./processes.js";

export interface RegistryOptions {
  /** Where the registry POSTs its notification envelopes (Docker distribution `notifications.endpoints`). */
  notifications?: { url: string; headers?: Record<string, string> };
}

export interface Registry {
  /** host:port, e.g. for image references `127.0.0.1:5123/shop/api:1.0`. */
  host: string;
  /** Builds a small image as an OCI layout and pushes it with skopeo; returns its manifest digest. */
  pushImage(repository: string, tag: string, files?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry (distribution 2.8) on a free loopback port, storage in a temp dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  await ensureDebianPackages(["docker-registry", "skopeo"]);
  const dir = mkdtempSync(join(tmpdir(), "railyard-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, "data") }, delete: { enabled: true } },
    http: { addr: host, secret: "railyard-testkit" },
  };
  if (options.notifications) {
    config.notifications = {
      endpoints: [
        {
          name: "railyard",
          url: options.notifications.url,
          headers: Object.fromEntries(
            Object.entries(options.notifications.headers ?? {}).map(([key, value]) => [key, [value]]),
          ),
          timeout: "2s",
          threshold: 3,
          backoff: "1s",
        },
      ],
    };
  }
  await writeFile(join(dir, "config.yml"), stringify(config));
  const logFd = openSync(join(dir, "registry.log"), "a");
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  child.unref();
  await waitFor(
    "the registry to answer /v2/",
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`docker-registry exited: ${await readFile(join(dir, "registry.log"), "utf8")}`);
      }
      const res = await fetch(`http://${host}/v2/`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    30_000,
  );

  let images = 0;
  return {
    host,
    async pushImage(repository, tag, files = { "hello.txt": `${repository}:${tag}\n` }) {
      const layout = join(dir, `layout-${images++}`);
      await writeOciLayout(layout, { tag, files });
      const digestFile = join(layout, "pushed-digest");
      await runOk("skopeo", [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        "--digestfile",
        digestFile,
        `oci:${layout}:${tag}`,
        `docker://${host}/${repository}:${tag}`,
      ]);
      return (await readFile(digestFile, "utf8")).trim();
    },
    async stop() {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      await waitFor(
        "the registry to stop",
        async () => (child.exitCode !== null || child.signalCode !== null ? true : undefined),
        10_000,
      ).catch(() => {
        process.kill(-child.pid!, "SIGKILL");
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
