import { Code, Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { api, enc } from "../api/client.js";
import type { RevisionManifest } from "../api/types.js";
import { AppEnvLink } from "../components/AppEnvLink.js";
import { ErrorNote, Loading } from "../components/feedback.js";
import { StatusBadge } from "../components/status.js";
import { TimeAgo } from "../components/time.js";

/** The rendered objects of one revision, as applied: bound image digests, config, Secret keys only. */
export function RevisionPage() {
  const { app = "", env = "", revision = "" } = useParams();
  const record = useQuery({
    queryKey: ["app", app, "revision", env, revision],
    queryFn: () =>
      api<RevisionManifest>(`/apps/${enc(app)}/environments/${enc(env)}/revisions/${enc(revision)}`),
    staleTime: Infinity,
  });
  if (record.isPending) return <Loading what={`revision ${revision}`} />;
  if (record.isError) return <ErrorNote error={record.error} title={`Revision ${revision} did not load`} />;
  const r = record.data;
  return (
    <Stack gap="sm">
      <Title order={2}>
        <AppEnvLink app={app} env={env} inherit /> · revision {r.revision}
      </Title>
      <Group gap="sm">
        <StatusBadge status={r.status} />
        <Text size="sm" c="dimmed">
          by {r.actor} <TimeAgo at={r.startedAt} />
          {r.source.commit ? ` · commit ${r.source.commit.slice(0, 12)}` : ""}
        </Text>
      </Group>
      {r.images.map((i) => (
        <Text key={i.container} size="sm">
          <b>{i.container}</b>: <Code>{i.reference}</Code>
          {i.digest ? (
            <>
              {" "}
              → <Code>{i.digest}</Code>
            </>
          ) : null}
        </Text>
      ))}
      {r.diagnosis && <Text c="red.8">{r.diagnosis}</Text>}
      <pre className="code-view" data-testid="manifest">
        {r.manifest}
      </pre>
    </Stack>
  );
}
