import { Anchor } from "@mantine/core";
import { Link } from "react-router";
import { enc } from "../api/client.js";

/** "app in env", linking back to the app's page for that environment. */
export function AppEnvLink({ app, env, inherit }: { app: string; env: string; inherit?: boolean }) {
  return (
    <Anchor component={Link} to={`/apps/${enc(app)}/env/${enc(env)}`} inherit={inherit}>
      {app} in {env}
    </Anchor>
  );
}
