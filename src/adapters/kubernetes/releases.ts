import { decodeRecord, encodeRecord, type ReleaseRecord } from "../../core/release/record.js";
import type { KubeTarget } from "./target.js";

interface SecretObject {
  apiVersion: "v1";
  kind: "Secret";
  type?: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const secretsPath = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;

/**
 * Release records live in the target cluster as labelled Secrets (like Helm's), so the CLI alone can
 * list history and roll back, and whoever can read the namespace sees what was deployed.
 */
export const RELEASE_SECRET_TYPE = "railyard.dev/release.v1";

export function releaseSecretName(app: string, environment: string, revision: number): string {
  return `railyard.release.v1.${app}.${environment}.v${revision}`;
}

function selector(app: string, environment: string): string {
  return `railyard.dev/release=true,railyard.dev/app=${app},railyard.dev/environment=${environment}`;
}

function toSecret(record: ReleaseRecord): SecretObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: RELEASE_SECRET_TYPE,
    metadata: {
      name: releaseSecretName(record.app, record.environment, record.revision),
      namespace: record.namespace,
      labels: {
        "app.kubernetes.io/managed-by": "railyard",
        "railyard.dev/release": "true",
        "railyard.dev/app": record.app,
        "railyard.dev/environment": record.environment,
        "railyard.dev/revision": String(record.revision),
        "railyard.dev/status": record.status,
      },
    },
    data: { release: encodeRecord(record) },
  };
}

/** All records of an app in an environment, oldest first. */
export async function listReleases(
  target: KubeTarget,
  namespace: string,
  app: string,
  environment: string,
): Promise<ReleaseRecord[]> {
  const list = await target.call(`list the release records of ${app} in ${namespace}`, () =>
    target.client.request<{ items: SecretObject[] }>("GET", secretsPath(namespace), {
      query: { labelSelector: selector(app, environment) },
    }),
  );
  return list.items
    .filter((secret) => secret.type === RELEASE_SECRET_TYPE && secret.data?.release)
    .map((secret) => decodeRecord(secret.data!.release!))
    .sort((a, b) => a.revision - b.revision);
}

/** Creates revision N's record; a 409 means another deploy took N first (the lock makes that rare). */
export async function createRelease(target: KubeTarget, record: ReleaseRecord): Promise<void> {
  await target.call(`record revision ${record.revision} of ${record.app}`, () =>
    target.client.request("POST", secretsPath(record.namespace), { body: toSecret(record) }),
  );
}

export async function updateRelease(target: KubeTarget, record: ReleaseRecord): Promise<void> {
  await target.call(`update revision ${record.revision} of ${record.app}`, () =>
    target.client.request(
      "PUT",
      `${secretsPath(record.namespace)}/${releaseSecretName(record.app, record.environment, record.revision)}`,
      { body: toSecret(record) },
    ),
  );
}
