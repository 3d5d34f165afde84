import { useState } from "react";
import {
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Modal,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { api, enc, query } from "../api/client.js";
import type {
  AppSummary,
  Environment,
  Execution,
  Page,
  PipelineInfo,
  Revision,
  RevisionDiff,
} from "../api/types.js";
import { Empty, ErrorNote, Loading } from "../components/feedback.js";
import { GuardedButton } from "../components/GuardedButton.js";
import { ResourceTree } from "../components/ResourceTree.js";
import { StatusBadge } from "../components/status.js";
import { TimeAgo } from "../components/time.js";
import { usePermissions } from "../session/session.js";

/** One app: what runs in each environment, its live objects, its history and a way back. */
export function AppPage() {
  const { app = "", env: envParam } = useParams();
  const navigate = useNavigate();
  const environments = useQuery({
    queryKey: ["environments"],
    queryFn: () => api<{ items: Environment[] }>("/environments"),
    staleTime: 60_000,
  });
  const summary = useQuery({
    queryKey: ["app", app, "summary"],
    queryFn: async () => {
      const page = await api<Page<AppSummary, string>>(`/apps${query({ q: app, limit: 500 })}`);
      return page.items.find((item) => item.name === app) ?? null;
    },
  });
  if (environments.isPending || summary.isPending) return <Loading what={app} />;
  if (environments.isError) return <ErrorNote error={environments.error} />;
  if (summary.isError) return <ErrorNote error={summary.error} title={`${app} did not load`} />;
  if (!summary.data)
    return <ErrorNote title="No such app" error={new Error(`No app ${app} is registered on this server.`)} />;
  const envs = environments.data.items;
  const env = envParam ?? envs[0]?.name ?? "";
  const here = summary.data.environments[env];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <div>
          <Title order={2}>{app}</Title>
          <Text size="sm" c="dimmed">
            {summary.data.repository} · {summary.data.path} · branch {summary.data.branch}
          </Text>
        </div>
        <DeployVersion app={app} />
      </Group>
      <Tabs value={env} onChange={(value) => value && navigate(`/apps/${enc(app)}/env/${enc(value)}`)}>
        <Tabs.List>
          {envs.map((e) => (
            <Tabs.Tab
              key={e.name}
              value={e.name}
              rightSection={
                summary.data?.environments[e.name] ? (
                  <StatusDot status={summary.data.environments[e.name]!.status} />
                ) : null
              }
            >
              {e.name}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      {here ? (
        <Card withBorder padding="sm" data-testid="current">
          <Group gap="sm" wrap="wrap">
            <Text fw={600}>Revision {here.revision ?? "—"}</Text>
            <StatusBadge status={here.status} />
            {here.version && <Badge variant="outline">version {here.version}</Badge>}
            <Text size="sm" c="dimmed">
              by {here.actor} <TimeAgo at={here.at} />
            </Text>
            {here.execution && (
              <Anchor component={Link} to={`/executions/${here.execution}`} size="sm">
                execution
              </Anchor>
            )}
          </Group>
          {here.images.map((image) => (
            <Text key={image.container} size="xs" className="mono truncate">
              {image.container}: {image.deployed}
            </Text>
          ))}
          {here.status === "failed" && here.message && (
            <Text c="red.8" size="sm">
              {here.message}
            </Text>
          )}
        </Card>
      ) : (
        <Empty>
          Railyard has not deployed {app} to {env} yet.
        </Empty>
      )}
      <Title order={3}>Live objects</Title>
      <ResourceTree app={app} env={env} />
      <Title order={3}>History</Title>
      <History app={app} env={env} />
    </Stack>
  );
}

function StatusDot({ status }: { status: string }) {
  return (
    <Badge size="xs" circle color={status === "failed" ? "red" : "green"} aria-label={status} children="" />
  );
}

function DeployVersion({ app }: { app: string }) {
  const me = usePermissions();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState("");
  const pipeline = useQuery({
    queryKey: ["app", app, "pipeline"],
    queryFn: () => api<PipelineInfo>(`/apps/${enc(app)}/pipeline`),
    enabled: open,
  });
  const firstEnv = pipeline.data?.pipeline.stages.find((s) => s.kind === "deploy")?.environment;
  const why = firstEnv ? me.whyNotDeploy(firstEnv) : undefined;
  const run = useMutation({
    mutationFn: () =>
      api<Execution>(`/apps/${enc(app)}/runs`, {
        method: "POST",
        body: { args: version.trim() ? { version: version.trim() } : {} },
      }),
    onSuccess: (execution) => navigate(`/executions/${execution.id}`),
  });
  return (
    <>
      <Button onClick={() => setOpen(true)}>Deploy version…</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Deploy ${app}`}>
        <Stack
          component="form"
          onSubmit={(e: React.FormEvent) => {
            e.preventDefault();
            run.mutate();
          }}
        >
          {pipeline.isPending ? (
            <Loading what="the pipeline" />
          ) : pipeline.isError ? (
            <ErrorNote error={pipeline.error} />
          ) : (
            <Text size="sm">
              Runs pipeline <b>{pipeline.data.pipeline.name}</b> at commit{" "}
              <Code>{pipeline.data.commit.slice(0, 12)}</Code>:{" "}
              {pipeline.data.pipeline.stages.map((s) => s.id).join(" → ")}
            </Text>
          )}
          <TextInput
            label="Version"
            description="Sets the app file's version arg; leave empty for the default."
            value={version}
            onChange={(e) => setVersion(e.currentTarget.value)}
            data-autofocus
          />
          {why && (
            <Text c="dimmed" size="sm">
              {why}
            </Text>
          )}
          {run.isError && <ErrorNote error={run.error} title="The run did not start" />}
          <Group justify="end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Close
            </Button>
            <Button type="submit" loading={run.isPending} disabled={!!why || pipeline.isPending}>
              Start run
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function History({ app, env }: { app: string; env: string }) {
  const navigate = useNavigate();
  const [picked, setPicked] = useState<number[]>([]);
  const [target, setTarget] = useState<Revision>();
  const me = usePermissions();
  const history = useQuery({
    queryKey: ["app", app, "history", env],
    queryFn: () => api<{ items: Revision[] }>(`/apps/${enc(app)}/environments/${enc(env)}/history`),
  });
  if (history.isPending) return <Loading what="the history" />;
  if (history.isError) return <ErrorNote error={history.error} title="The history did not load" />;
  const items = [...history.data.items].sort((a, b) => b.revision - a.revision);
  if (items.length === 0) return <Empty>No revisions in {env} yet.</Empty>;
  const current = items.find((r) => r.status === "succeeded")?.revision;
  const why = me.whyNotDeploy(env);
  const toggle = (revision: number) =>
    setPicked((now) =>
      now.includes(revision) ? now.filter((r) => r !== revision) : [...now, revision].slice(-2),
    );
  const base = `/apps/${enc(app)}/env/${enc(env)}`;
  return (
    <Stack gap="xs">
      <Group>
        <Button
          variant="default"
          size="xs"
          disabled={picked.length !== 2}
          onClick={() => {
            const [a, b] = [...picked].sort((x, y) => x - y);
            navigate(`${base}/diff?from=${a}&to=${b}`);
          }}
        >
          Compare selected
        </Button>
        <Text size="xs" c="dimmed">
          Tick two revisions to compare them.
        </Text>
      </Group>
      <Table.ScrollContainer minWidth={820}>
        <Table striped data-testid="history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th />
              <Table.Th>Revision</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Commit</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r) => (
              <Table.Tr key={r.revision} data-revision={r.revision}>
                <Table.Td>
                  <Checkbox
                    aria-label={`Compare revision ${r.revision}`}
                    checked={picked.includes(r.revision)}
                    onChange={() => toggle(r.revision)}
                  />
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`${base}/revisions/${r.revision}`}>
                    {r.revision}
                  </Anchor>
                  {r.revision === current && (
                    <Badge ml={6} size="xs" variant="outline">
                      current
                    </Badge>
                  )}
                  {r.rollbackOf && (
                    <Text span size="xs" c="dimmed">
                      {" "}
                      rollback to {r.rollbackOf}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={r.status} />
                </Table.Td>
                <Table.Td>
                  <Text
                    size="sm"
                    title={r.images.map((i) => `${i.container}: ${i.digest ?? i.deployed}`).join("\n")}
                  >
                    {r.args.version ?? r.images[0]?.reference ?? "—"}
                  </Text>
                  {r.diagnosis && (
                    <Text size="xs" c="red.8" className="truncate" maw={320} title={r.diagnosis}>
                      {r.diagnosis}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Code>{r.source.commit?.slice(0, 10) ?? "—"}</Code>
                  {r.source.dirty ? " (dirty)" : ""}
                </Table.Td>
                <Table.Td>{r.actor}</Table.Td>
                <Table.Td>
                  <TimeAgo at={r.startedAt} />
                </Table.Td>
                <Table.Td>
                  <GuardedButton
                    why={why ?? (r.revision === current ? "This revision is running now." : undefined)}
                    size="xs"
                    variant="light"
                    disabled={r.status === "deploying"}
                    onClick={() => setTarget(r)}
                  >
                    Roll back to {r.revision}
                  </GuardedButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {target && (
        <RollbackDialog
          app={app}
          env={env}
          current={current}
          target={target}
          onClose={() => setTarget(undefined)}
        />
      )}
    </Stack>
  );
}

function RollbackDialog(props: {
  app: string;
  env: string;
  current: number | undefined;
  target: Revision;
  onClose: () => void;
}) {
  const { app, env, current, target, onClose } = props;
  const navigate = useNavigate();
  const diff = useQuery({
    queryKey: ["app", app, "diff", env, current, target.revision],
    queryFn: () =>
      api<RevisionDiff>(
        `/apps/${enc(app)}/environments/${enc(env)}/diff${query({ from: current, to: target.revision })}`,
      ),
    enabled: current !== undefined,
  });
  const rollback = useMutation({
    mutationFn: () =>
      api<Execution>(`/apps/${enc(app)}/environments/${enc(env)}/rollback`, {
        method: "POST",
        body: { to: target.revision },
      }),
    onSuccess: (execution) => navigate(`/executions/${execution.id}`),
  });
  const changed = diff.data?.objects.filter((o) => o.change !== "unchanged") ?? [];
  return (
    <Modal opened onClose={onClose} title={`Roll ${app} in ${env} back to revision ${target.revision}?`}>
      <Stack>
        <Text size="sm">
          This re-applies the objects of revision {target.revision}
          {target.args.version ? ` (version ${target.args.version})` : ""} as a new revision
          {current !== undefined ? `, replacing revision ${current}` : ""}.
        </Text>
        {diff.isPending && current !== undefined ? (
          <Loading what="what will change" />
        ) : diff.isError ? (
          <ErrorNote error={diff.error} title="What will change could not be computed" />
        ) : (
          <Stack gap={2} data-testid="rollback-changes">
            {changed.length === 0 ? (
              <Text size="sm" c="dimmed">
                No object differs.
              </Text>
            ) : (
              changed.map((o) => (
                <Text key={`${o.kind}/${o.name}`} size="sm">
                  {o.kind} {o.name}: {o.change}
                </Text>
              ))
            )}
          </Stack>
        )}
        {rollback.isError && <ErrorNote error={rollback.error} title="The rollback did not start" />}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            Keep revision {current ?? "as is"}
          </Button>
          <Button color="orange" loading={rollback.isPending} onClick={() => rollback.mutate()}>
            Roll back to {target.revision}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
