import { stringify } from "yaml";

/** A kubeconfig for the local cluster: token auth, and the API server's self-signed certificate as CA. */
export function renderKubeconfig(input: {
  context: string;
  server: string;
  token: string;
  caData: Buffer;
}): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: input.context,
        cluster: { server: input.server, "certificate-authority-data": input.caData.toString("base64") },
      },
    ],
    users: [{ name: `${input.context}-admin`, user: { token: input.token } }],
    contexts: [
      {
        name: input.context,
        context: { cluster: input.context, user: `${input.context}-admin`, namespace: "default" },
      },
    ],
    "current-context": input.context,
  });
}
