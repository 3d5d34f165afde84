import { NotFoundError } from "../core/errors.js";
import { secretScrubber } from "../core/secrets/redact.js";
import { connectTarget } from "../adapters/kubernetes/connect.js";
import type { KubeTarget } from "../adapters/kubernetes/target.js";
import type { EnvironmentTarget } from "../delivery/releases.js";
import type { PlatformSource } from "./config.js";

/**
 * The API's connections to the environments' clusters, for reads. The web UI polls them every few
 * seconds: a connection (its keep-alive agent and TLS session) is kept for a minute, or until the
 * environment's cluster settings change, instead of being made for every request. Text read from a
 * cluster (pod logs) has the environment's secret values scrubbed out.
 */
export class EnvironmentTargets {
  private readonly kept = new Map<string, { settings: string; at: number; target: KubeTarget }>();

  constructor(
    private readonly platform: PlatformSource,
    private readonly ttlMs = 60_000,
  ) {}

  connect(app: string, envName: string): EnvironmentTarget {
    const environments = this.platform.current().environments;
    const env = Object.hasOwn(environments, envName) ? environments[envName] : undefined;
    if (!env) {
      throw new NotFoundError(`no environment ${envName}.`, {
        hint: `Known environments: ${Object.keys(environments).join(", ")}.`,
      });
    }
    const settings = JSON.stringify([env.cluster, env.secrets]);
    let entry = this.kept.get(envName);
    if (!entry || entry.settings !== settings || Date.now() - entry.at > this.ttlMs) {
      const target = connectTarget(env.cluster, this.platform.baseDir, envName);
      const values: string[] = [];
      for (const [key, ref] of Object.entries(env.secrets ?? {})) {
        try {
          values.push(this.platform.secret(ref, `secret ${key} of environment ${envName}`));
        } catch {
          // Not resolvable on this server: it has no value to scrub.
        }
      }
      target.setScrubber(secretScrubber(values));
      entry = { settings, at: Date.now(), target };
      this.kept.set(envName, entry);
    }
    return { app, envName, namespace: env.namespace, target: entry.target };
  }
}
