import { InputError, NotFoundError, RolloutError } from "../core/errors.js";
import type { Deployment } from "../core/kube/objects.js";
import { acquireDeployLock } from "../adapters/kubernetes/lock.js";
import { readDeployment } from "../adapters/kubernetes/workloads.js";
import type { EnvironmentTarget } from "./releases.js";
import type { Reporter } from "./reporter.js";
import { waitForRollout } from "./rollout.js";

/**
 * Sets one container's image on a Deployment and waits for the rollout: the quick flow for a dev
 * namespace, where a full deploy of the app file is more than needed. Setting the same image again
 * changes nothing, so running it twice has one effect.
 */
export async function patchImage(
  where: EnvironmentTarget,
  options: { workload: string; container?: string; image: string; timeoutMs?: number; reporter: Reporter },
): Promise<string> {
  const { target, namespace, app, envName } = where;
  const lock = await acquireDeployLock(target, namespace, app, envName, {
    wait: true,
    onWait: (message) => options.reporter.step(message),
  });
  try {
    const deployment = await readDeployment(target, namespace, options.workload);
    if (!deployment) {
      throw new NotFoundError(`Deployment ${namespace}/${options.workload} does not exist.`, {
        hint: "Deploy the app there first, or fix the patch stage's workload.",
      });
    }
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    const container = options.container ?? containers[0]?.name;
    const current = containers.find((c) => c.name === container);
    if (!current) {
      throw new InputError(
        `Deployment ${namespace}/${options.workload} has no container ${container ?? "at all"} (has: ${containers.map((c) => c.name).join(", ")}).`,
        { hint: "Fix the patch stage's container." },
      );
    }
    const ref = `Deployment ${namespace}/${options.workload}`;
    if (current.image !== options.image) {
      await target.call(`set the image of ${ref}`, () =>
        target.client.request<Deployment>(
          "PATCH",
          `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(options.workload)}`,
          {
            body: {
              spec: { template: { spec: { containers: [{ name: container, image: options.image }] } } },
            },
            contentType: "application/strategic-merge-patch+json",
            query: { fieldManager: "railyard-patch" },
          },
        ),
      );
      options.reporter.step(`${ref}: container ${container} now runs ${options.image}`);
    }
    const outcome = await waitForRollout(target, [deployment], {
      timeoutMs: options.timeoutMs ?? 5 * 60_000,
      since: new Date(),
      reporter: options.reporter,
    });
    if (!outcome.ok) {
      const diagnosis = [outcome.diagnosis?.summary ?? outcome.message, outcome.diagnosis?.action].filter(
        Boolean,
      );
      throw new RolloutError(`${ref} did not roll out ${options.image}: ${diagnosis.join(" ")}`);
    }
    return `${ref} runs ${options.image}`;
  } finally {
    await lock.release();
  }
}
