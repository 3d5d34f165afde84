/**
 * Roles, deny by default. A token holds a list of grants:
 *   viewer                  read everything (every valid token may read)
 *   deploy:<env> | deploy:* start runs and roll back in an environment
 *   approve:<env> | approve:* decide approval stages guarding an environment
 *   admin                   everything, including tokens
 */
export type Grant = string;

const GRANT = /^(viewer|admin|(deploy|approve):([a-z0-9]([-a-z0-9]*[a-z0-9])?|\*))$/;

export function isGrant(value: string): boolean {
  return GRANT.test(value);
}

export function mayDeploy(grants: readonly Grant[], environment: string): boolean {
  return grants.includes("admin") || grants.includes("deploy:*") || grants.includes(`deploy:${environment}`);
}

export function mayApprove(grants: readonly Grant[], environment: string): boolean {
  return (
    grants.includes("admin") || grants.includes("approve:*") || grants.includes(`approve:${environment}`)
  );
}

export function isAdmin(grants: readonly Grant[]): boolean {
  return grants.includes("admin");
}
