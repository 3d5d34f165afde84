import { useState } from "react";
import { Anchor, Card, Code, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, enc } from "../api/client.js";
import type { Execution, StageView } from "../api/types.js";
import { ErrorNote, Loading } from "../components/feedback.js";
import { GuardedButton } from "../components/GuardedButton.js";
import { PipelineGraph } from "../components/PipelineGraph.js";
import { SafeLink } from "../components/SafeLink.js";
import { StatusBadge } from "../components/status.js";
import { duration, TimeAgo, useNow } from "../components/time.js";
import { useStageProgress } from "../live/events.js";
import { usePermissions } from "../session/session.js";
import { approvalEnvironment } from "../../../src/core/pipeline/permissions.js";
import type { PipelineDefinition } from "../../../src/core/pipeline/types.js";

const FINAL = ["succeeded", "failed", "cancelled", "superseded"];

/** One execution: its pipeline as a graph, live, with each stage's messages and the decisions it waits for. */
export function ExecutionPage() {
  const { id = "" } = useParams();
  const now = useNow(1000);
  const execution = useQuery({
    queryKey: ["execution", id],
    queryFn: () => api<Execution>(`/executions/${enc(id)}`),
    // Events refresh it; a slow poll covers a dropped event stream.
    refetchInterval: (q) => (q.state.data && FINAL.includes(q.state.data.status) ? false : 5000),
  });
  const [selected, setSelected] = useState<string>();
  if (execution.isPending) return <Loading what="the execution" />;
  if (execution.isError) return <ErrorNote error={execution.error} title="This execution did not load" />;
  const e = execution.data;
  const stages = e.stages ?? [];
  const focus =
    stages.find((s) => s.id === selected) ??
    stages.find((s) => s.status === "waiting") ??
    stages.find((s) => s.status === "running") ??
    stages.find((s) => s.status === "failed");
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <div>
          <Title order={2}>
            <Anchor component={Link} to={`/apps/${enc(e.app)}`} inherit>
              {e.app}
            </Anchor>{" "}
            · {e.pipeline} #{e.seq}
          </Title>
          <Group gap="xs">
            <StatusBadge status={e.status} size="md" />
            <Text size="sm" c="dimmed">
              started by {e.actor} via {e.trigger.source ?? "api"} <TimeAgo at={e.createdAt} />
              {e.startedAt ? ` · ${duration(e.startedAt, e.finishedAt, now)}` : ""}
            </Text>
          </Group>
        </div>
        <CancelButton execution={e} />
      </Group>
      {e.message && (
        <Text c={e.status === "failed" ? "red.8" : undefined} data-testid="execution-message">
          {e.message}
        </Text>
      )}
      <Trigger execution={e} />
      <PipelineGraph stages={stages} selected={focus?.id} onSelect={setSelected} now={now} />
      {focus && <StageDetail execution={e} stage={focus} now={now} />}
    </Stack>
  );
}

function Trigger({ execution }: { execution: Execution }) {
  const t = execution.trigger;
  const args = Object.entries(execution.args);
  return (
    <Card withBorder padding="sm">
      <Stack gap={4}>
        <Text size="sm">
          <b>Trigger:</b> {t.kind ?? "manual"}
          {t.commit ? (
            <>
              {" "}
              at <Code>{String(t.commit).slice(0, 12)}</Code>
            </>
          ) : null}
          {t.author ? ` by ${t.author}` : ""}
        </Text>
        {t.message && (
          <Text size="sm" data-testid="commit-message" className="truncate">
            {String(t.message)}
          </Text>
        )}
        {execution.source.path && (
          <Text size="sm">
            <b>App file:</b> {execution.source.path}
            {execution.source.commit ? (
              <>
                {" "}
                at <Code>{execution.source.commit.slice(0, 12)}</Code>
              </>
            ) : null}
          </Text>
        )}
        {args.length > 0 && (
          <Text size="sm">
            <b>Args:</b> {args.map(([k, v]) => `${k}=${v}`).join(", ")}
          </Text>
        )}
      </Stack>
    </Card>
  );
}

function CancelButton({ execution }: { execution: Execution }) {
  const client = useQueryClient();
  const me = usePermissions();
  const targets = (execution.stages ?? []).flatMap((s) =>
    "environment" in s && s.environment ? [s.environment] : [],
  );
  const why =
    me.admin || targets.some((env) => !me.whyNotDeploy(env))
      ? undefined
      : `Token ${me.name} may not deploy to ${targets.join(", ") || "these environments"}.`;
  const cancel = useMutation({
    mutationFn: () => api(`/executions/${execution.id}/cancel`, { method: "POST" }),
    onSettled: () => client.invalidateQueries({ queryKey: ["execution", execution.id] }),
  });
  if (FINAL.includes(execution.status)) return null;
  return (
    <Stack gap={4} align="end">
      <GuardedButton
        why={why}
        color="red"
        variant="light"
        loading={cancel.isPending}
        onClick={() => cancel.mutate()}
      >
        Cancel execution
      </GuardedButton>
      {cancel.isError && <ErrorNote error={cancel.error} title="Not cancelled" />}
    </Stack>
  );
}

function StageDetail({ execution, stage, now }: { execution: Execution; stage: StageView; now: number }) {
  const lines = useStageProgress(execution.id, stage.id);
  const output = Object.entries(stage.output ?? {}).filter(([, v]) => v !== null && v !== undefined);
  return (
    <Card withBorder padding="md" data-testid="stage-detail">
      <Stack gap="xs">
        <Group gap="xs">
          <Title order={4}>{stage.id}</Title>
          <StatusBadge status={stage.status} />
          <Text size="sm" c="dimmed">
            {stage.kind}
            {"environment" in stage && stage.environment ? ` · ${stage.environment}` : ""}
            {stage.startedAt ? ` · ${duration(stage.startedAt, stage.finishedAt, now)}` : ""}
            {stage.attempts > 1 ? ` · attempt ${stage.attempts}` : ""}
          </Text>
        </Group>
        {stage.message && (
          <Text c={stage.status === "failed" ? "red.8" : undefined} data-testid="stage-message">
            {stage.message}
          </Text>
        )}
        {stage.kind === "approval" && <Approval execution={execution} stage={stage} />}
        {output.length > 0 && (
          <Text size="sm" c="dimmed">
            {output
              .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
              .join(" · ")}
          </Text>
        )}
        {lines.length > 0 && (
          <pre className="log-view" style={{ maxHeight: 240 }}>
            {lines.join("\n")}
          </pre>
        )}
      </Stack>
    </Card>
  );
}

function Approval({ execution, stage }: { execution: Execution; stage: StageView }) {
  const client = useQueryClient();
  const me = usePermissions();
  const [comment, setComment] = useState("");
  const env =
    stage.kind === "approval" ? (stage.environment ?? nextDeployEnvironment(execution, stage.id)) : undefined;
  const why = env
    ? me.whyNotApprove(env)
    : me.admin
      ? undefined
      : "Only admins decide approvals without an environment.";
  const decide = useMutation({
    mutationFn: (verdict: "approve" | "reject") =>
      api(`/executions/${execution.id}/stages/${enc(stage.id)}/${verdict}`, {
        method: "POST",
        body: comment.trim() ? { comment: comment.trim() } : {},
      }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["execution", execution.id] }),
  });
  if (stage.kind !== "approval") return null;
  return (
    <Stack gap="xs">
      {stage.links && stage.links.length > 0 && (
        <Group gap="md">
          {stage.links.map((link) => (
            <SafeLink key={link.url} href={link.url}>
              {link.title}
            </SafeLink>
          ))}
        </Group>
      )}
      {stage.status === "waiting" && (
        <>
          <Textarea
            label="Comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            maxLength={1000}
            disabled={!!why}
            autosize
            minRows={1}
          />
          <Group>
            <GuardedButton
              why={why}
              color="green"
              loading={decide.isPending && decide.variables === "approve"}
              onClick={() => decide.mutate("approve")}
            >
              Approve{env ? ` ${env}` : ""}
            </GuardedButton>
            <GuardedButton
              why={why}
              color="red"
              variant="light"
              loading={decide.isPending && decide.variables === "reject"}
              onClick={() => decide.mutate("reject")}
            >
              Reject
            </GuardedButton>
          </Group>
          {why && (
            <Text size="sm" c="dimmed" data-testid="approval-why-not">
              {why}
            </Text>
          )}
          {decide.isError && <ErrorNote error={decide.error} title="The decision was not recorded" />}
        </>
      )}
    </Stack>
  );
}

/** The environment whose approvers decide, by the server's own rule. */
function nextDeployEnvironment(execution: Execution, stageId: string): string | undefined {
  const definition = { stages: execution.stages ?? [] } as unknown as PipelineDefinition;
  return approvalEnvironment(definition, stageId);
}
