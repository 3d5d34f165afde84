import { hostname, userInfo } from "node:os";
import { randomBytes } from "node:crypto";
import { ConflictError, throwIfStopped, untilStopped } from "../../core/errors.js";
import { isConflict, isNotFound } from "./errors.js";
import type { KubeTarget } from "./target.js";

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
  };
}

const leasesPath = (namespace: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;

const LEASE_SECONDS = 30;
const RENEW_MS = 10_000;

export interface DeployLock {
  holder: string;
  release(): Promise<void>;
}

/** Who holds a lock, readable in the waiting message: user@host pid N. */
export function lockHolderIdentity(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `${user}@${hostname()} pid ${process.pid} (${randomBytes(3).toString("hex")})`;
}

/**
 * A coordination.k8s.io Lease per (app, environment), so two deploys never interleave. The holder
 * renews it while deploying; a lease whose holder stopped renewing expires and is taken over.
 * Updates carry the resourceVersion read, so two waiters cannot both take an expired lease.
 */
export async function acquireDeployLock(
  target: KubeTarget,
  namespace: string,
  app: string,
  environment: string,
  options: {
    wait: boolean;
    onWait: (message: string) => void;
    timeoutMs?: number;
    /**
     * The pipeline stage deploying (`execution X stage Y`). A holder of the same stage is a run of
     * it that was killed: its lease is taken over at once instead of after it expires.
     */
    origin?: string;
    /** Stops waiting for another holder (StoppedError). */
    signal?: AbortSignal;
  },
): Promise<DeployLock> {
  const name = `railyard-deploy-${app}-${environment}`.slice(0, 253);
  const suffix = options.origin ? ` for ${options.origin}` : "";
  const holder = `${lockHolderIdentity()}${suffix}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let announced = "";
  // Usually no lease exists (each deploy deletes its own): try to create it before reading it.
  let tryCreate = true;
  for (;;) {
    const now = new Date();
    const desired: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace,
        labels: { "railyard.dev/app": app, "railyard.dev/environment": environment },
      },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: LEASE_SECONDS,
        acquireTime: microTime(now),
        renewTime: microTime(now),
      },
    };
    if (tryCreate) {
      tryCreate = false;
      const created = await target
        .call(`create the deploy lock ${namespace}/${name}`, () =>
          target.client.request<Lease>("POST", leasesPath(namespace), { body: desired }),
        )
        .catch((error: unknown) => {
          if (error instanceof ConflictError) return undefined; // held, or left by a dead deploy: read it
          throw error;
        });
      if (created) return startRenewing(target, created);
    }
    const current = await target.call(`read the deploy lock ${namespace}/${name}`, () =>
      target.client.request<Lease>("GET", `${leasesPath(namespace)}/${name}`).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      }),
    );
    try {
      if (!current) {
        return startRenewing(
          target,
          await target.client.request<Lease>("POST", leasesPath(namespace), { body: desired }),
        );
      }
      const spec = current.spec ?? {};
      const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
      const expired = renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < Date.now();
      const sameStage = suffix !== "" && spec.holderIdentity?.endsWith(suffix) === true;
      if (!spec.holderIdentity || expired || sameStage) {
        desired.metadata.resourceVersion = current.metadata.resourceVersion;
        return startRenewing(
          target,
          await target.client.request<Lease>("PUT", `${leasesPath(namespace)}/${name}`, { body: desired }),
        );
      }
      const message = `Another deploy of ${app} to ${environment} is running (held by ${spec.holderIdentity}).`;
      if (!options.wait) {
        throw new ConflictError(message, {
          hint: "Wait for it to finish, or run again without --no-wait-lock to wait.",
        });
      }
      if (announced !== spec.holderIdentity) {
        options.onWait(`${message} Waiting for it to finish…`);
        announced = spec.holderIdentity;
      }
      if (Date.now() > deadline) {
        throw new ConflictError(`${message} Gave up waiting.`, { hint: "Try again when it has finished." });
      }
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Someone else created or took the lease between our read and write: read again.
    }
    await untilStopped(new Promise((resolve) => setTimeout(resolve, 500)), options.signal);
    throwIfStopped(options.signal, `waiting for the deploy lock of ${app} in ${environment}`);
  }
}

function startRenewing(target: KubeTarget, lease: Lease): DeployLock {
  const { name, namespace } = lease.metadata;
  const holder = lease.spec?.holderIdentity ?? "";
  const path = `${leasesPath(namespace)}/${name}`;
  let resourceVersion = lease.metadata.resourceVersion;
  const timer = setInterval(() => {
    void target.client
      .request<Lease>("PATCH", path, {
        body: [{ op: "replace", path: "/spec/renewTime", value: microTime(new Date()) }],
        contentType: "application/json-patch+json",
      })
      .then((renewed) => (resourceVersion = renewed.metadata.resourceVersion))
      .catch(() => {});
  }, RENEW_MS);
  timer.unref();
  const deleteIfUnchanged = (version: string | undefined) =>
    target.client.request("DELETE", path, {
      body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion: version } },
    });
  return {
    holder,
    async release() {
      clearInterval(timer);
      // The precondition makes the delete a no-op if someone else took the lease over meanwhile.
      await deleteIfUnchanged(resourceVersion).catch(async () => {
        const current = await target.client.request<Lease>("GET", path).catch(() => undefined);
        if (current?.spec?.holderIdentity === holder) {
          await deleteIfUnchanged(current.metadata.resourceVersion).catch(() => {});
        }
      });
    },
  };
}

/** MicroTime is RFC 3339 with exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
