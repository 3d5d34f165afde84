import { useQuery, useQueryClient } from "@tanstack/react-query";
import { isAdmin, mayApprove, mayDeploy } from "../../../src/server/auth/roles.js";
import { api, ApiError } from "../api/client.js";
import type { Whoami } from "../api/types.js";

/** Who is signed in: `null` when nobody is (the server answered 401). */
export function useWhoami() {
  return useQuery({
    queryKey: ["whoami"],
    queryFn: async (): Promise<Whoami | null> => {
      try {
        return await api<Whoami>("/whoami");
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export interface Permissions {
  name: string;
  roles: string[];
  admin: boolean;
  /** Why this token may not deploy to the environment, or undefined when it may. */
  whyNotDeploy(environment: string): string | undefined;
  whyNotApprove(environment: string): string | undefined;
}

/** What the signed-in token may do, with the same rules the server applies (the server refuses anyway). */
export function usePermissions(): Permissions {
  const { data } = useWhoami();
  const roles = data?.roles ?? [];
  const name = data?.name ?? "";
  return {
    name,
    roles,
    admin: isAdmin(roles),
    whyNotDeploy: (env) =>
      mayDeploy(roles, env) ? undefined : `Token ${name} may not deploy to ${env}: it needs deploy:${env}.`,
    whyNotApprove: (env) =>
      mayApprove(roles, env) ? undefined : `Token ${name} may not approve ${env}: it needs approve:${env}.`,
  };
}

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await api("/session", { method: "DELETE" }).catch(() => undefined);
    client.clear();
    client.setQueryData(["whoami"], null);
  };
}
