import { Badge, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useParams, useSearchParams } from "react-router";
import { api, enc, query } from "../api/client.js";
import type { RevisionDiff } from "../api/types.js";
import { AppEnvLink } from "../components/AppEnvLink.js";
import { ErrorNote, Loading } from "../components/feedback.js";

const CHANGE_COLOR = { added: "green", removed: "red", changed: "orange", unchanged: "gray" } as const;

/** What differs between two revisions, object by object (Secret values are never part of a record). */
export function DiffPage() {
  const { app = "", env = "" } = useParams();
  const [params] = useSearchParams();
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const diff = useQuery({
    queryKey: ["app", app, "diff", env, from, to],
    queryFn: () => api<RevisionDiff>(`/apps/${enc(app)}/environments/${enc(env)}/diff${query({ from, to })}`),
    staleTime: Infinity,
  });
  return (
    <Stack gap="sm">
      <Title order={2}>
        <AppEnvLink app={app} env={env} inherit /> · revision {from} → {to}
      </Title>
      {diff.isPending ? (
        <Loading what="the diff" />
      ) : diff.isError ? (
        <ErrorNote error={diff.error} title="The diff did not load" />
      ) : (
        diff.data.objects.map((o) => (
          <Card
            key={`${o.kind}/${o.namespace ?? ""}/${o.name}`}
            withBorder
            padding="sm"
            data-object={`${o.kind}/${o.name}`}
          >
            <Group gap="sm">
              <Badge color={CHANGE_COLOR[o.change]} variant="light">
                {o.change}
              </Badge>
              <Text fw={600}>
                {o.kind} {o.name}
              </Text>
            </Group>
            {o.diff && <DiffText text={o.diff} />}
          </Card>
        ))
      )}
    </Stack>
  );
}

function DiffText({ text }: { text: string }) {
  const lines = text.split("\n").filter((l) => !l.startsWith("Index:") && !l.startsWith("====="));
  return (
    <pre className="code-view">
      {lines.map((line, i) => (
        <div
          key={i}
          className={
            line.startsWith("+") && !line.startsWith("+++")
              ? "diff-add"
              : line.startsWith("-") && !line.startsWith("---")
                ? "diff-del"
                : line.startsWith("@@")
                  ? "diff-hunk"
                  : undefined
          }
        >
          {line || " "}
        </div>
      ))}
    </pre>
  );
}
