import { hostname, userInfo } from "node:os";
import { randomBytes } from "node:crypto";
import { ConflictError } from "../../core/errors.js";
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
  options: { wait: boolean; onWait: (message: string) => void; timeoutMs?: number },
): Promise<DeployLock> {
  const name = `railyard-deploy-${app}-${environment}`.slice(0, 253);
  const holder = lockHolderIdentity();
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let announced = "";
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
    const current = await target.call(`read the deploy lock ${namespace}/${name}`, () =>
      target.client.request<Lease>("GET", `${leasesPath(namespace)}/${name}`).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      }),
    );
    try {
      if (!current) {
        await target.client.request("POST", leasesPath(namespace), { body: desired });
        return startRenewing(target, namespace, name, holder);
      }
      const spec = current.spec ?? {};
      const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
      const expired = renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < Date.now();
      if (!spec.holderIdentity || expired) {
        desired.metadata.resourceVersion = current.metadata.resourceVersion;
        await target.client.request("PUT", `${leasesPath(namespace)}/${name}`, { body: desired });
        return startRenewing(target, namespace, name, holder);
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
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function startRenewing(target: KubeTarget, namespace: string, name: string, holder: string): DeployLock {
  const path = `${leasesPath(namespace)}/${name}`;
  const timer = setInterval(() => {
    void target.client
      .request("PATCH", path, {
        body: [{ op: "replace", path: "/spec/renewTime", value: microTime(new Date()) }],
        contentType: "application/json-patch+json",
      })
      .catch(() => {});
  }, RENEW_MS);
  timer.unref();
  return {
    holder,
    async release() {
      clearInterval(timer);
      const current = await target.client.request<Lease>("GET", path).catch(() => undefined);
      if (current?.spec?.holderIdentity !== holder) return;
      await target.client
        .request("DELETE", path, {
          body: {
            kind: "DeleteOptions",
            apiVersion: "v1",
            preconditions: { resourceVersion: current.metadata.resourceVersion },
          },
        })
        .catch(() => {});
    },
  };
}

/** MicroTime is RFC 3339 with exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
