import { useEffect, useMemo, useRef, useState } from "react";
import { Anchor, Group, SegmentedControl, Stack, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Link, useSearchParams } from "react-router";
import { api, enc, query } from "../api/client.js";
import type { AppSummary, DeployedHere, Environment, Page } from "../api/types.js";
import { Empty, ErrorNote, Loading } from "../components/feedback.js";
import { StatusBadge, statusColor } from "../components/status.js";
import { TimeAgo } from "../components/time.js";
import { useLatestProgress } from "../live/events.js";

const PAGE = 200;
const ROW = 58;
const FILTERS = [
  { value: "", label: "All" },
  { value: "failed", label: "Failed" },
  { value: "active", label: "Running" },
];

/** Every app in every environment: a virtual list fed a page at a time by the server. */
export function Overview() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [q] = useDebouncedValue(search.trim().toLowerCase(), 200);
  const status = params.get("status") ?? "";
  useEffect(() => {
    if ((params.get("q") ?? "") === q) return;
    const next = new URLSearchParams(params);
    if (q) next.set("q", q);
    else next.delete("q");
    setParams(next, { replace: true });
  }, [q, params, setParams]);

  const environments = useQuery({
    queryKey: ["environments"],
    queryFn: () => api<{ items: Environment[] }>("/environments"),
    staleTime: 60_000,
  });
  const apps = useInfiniteQuery({
    queryKey: ["apps", q, status],
    queryFn: ({ pageParam, signal }) =>
      api<Page<AppSummary, string>>(`/apps${query({ limit: PAGE, after: pageParam, q, status })}`, {
        signal,
      }),
    initialPageParam: "",
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const rows = useMemo(() => apps.data?.pages.flatMap((p) => p.items) ?? [], [apps.data]);
  const envs = environments.data?.items ?? [];

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="end" wrap="wrap">
        <Title order={2}>Overview</Title>
        <Group gap="sm" wrap="wrap">
          <TextInput
            placeholder="Search apps"
            aria-label="Search apps"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            w={220}
          />
          <SegmentedControl
            aria-label="Filter by status"
            data={FILTERS}
            value={status}
            onChange={(value) => {
              const next = new URLSearchParams(params);
              if (value) next.set("status", value);
              else next.delete("status");
              setParams(next, { replace: true });
            }}
          />
        </Group>
      </Group>
      {apps.isError ? (
        <ErrorNote error={apps.error} title="The app list did not load" />
      ) : apps.isPending || environments.isPending ? (
        <Loading what="apps" />
      ) : rows.length === 0 ? (
        <Empty>
          {q || status
            ? "No app matches these filters."
            : "No apps yet: register one under apps: in railyard.config.yaml."}
        </Empty>
      ) : (
        <Matrix
          rows={rows}
          envs={envs}
          hasMore={!!apps.hasNextPage}
          loadMore={() => !apps.isFetchingNextPage && void apps.fetchNextPage()}
        />
      )}
    </Stack>
  );
}

function Matrix(props: { rows: AppSummary[]; envs: Environment[]; hasMore: boolean; loadMore: () => void }) {
  const { rows, envs, hasMore, loadMore } = props;
  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 8,
  });
  const items = virtual.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && last >= rows.length - 20) loadMore();
  }, [last, rows.length, hasMore, loadMore]);
  useEffect(() => {
    // The bench reads this mark: the first page of the matrix is on screen and answers input.
    requestAnimationFrame(() => setTimeout(() => performance.mark("railyard:overview-ready")));
  }, []);
  const columns = `minmax(160px, 1.2fr) repeat(${envs.length}, minmax(170px, 1fr)) minmax(180px, 1fr)`;
  const minWidth = 160 + envs.length * 170 + 180;
  return (
    <div ref={parent} className="scroller" style={{ height: "calc(100vh - 150px)" }} data-testid="matrix">
      <div style={{ minWidth }}>
        <div className="matrix-head" style={{ gridTemplateColumns: columns }} role="row">
          <div className="matrix-cell">
            App ({rows.length}
            {hasMore ? "+" : ""})
          </div>
          {envs.map((env) => (
            <div className="matrix-cell" key={env.name}>
              {env.name}
            </div>
          ))}
          <div className="matrix-cell">Latest execution</div>
        </div>
        <div style={{ height: virtual.getTotalSize(), position: "relative" }} role="rowgroup">
          {items.map((item) => {
            const app = rows[item.index]!;
            return (
              <div
                key={app.name}
                className="matrix-row"
                role="row"
                data-app={app.name}
                style={{
                  gridTemplateColumns: columns,
                  height: ROW,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <div className="matrix-cell">
                  <Anchor component={Link} to={`/apps/${enc(app.name)}`} fw={600} className="truncate">
                    {app.name}
                  </Anchor>
                  <Text size="xs" c="dimmed" className="truncate">
                    {app.branch}
                  </Text>
                </div>
                {envs.map((env) => (
                  <Cell key={env.name} app={app.name} env={env.name} here={app.environments[env.name]} />
                ))}
                <LatestExecution execution={app.latestExecution} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function LatestExecution({ execution }: { execution: AppSummary["latestExecution"] }) {
  // A running execution says how far it got (pods ready 2/3) as its stages report progress.
  const live = useLatestProgress(execution?.status === "running" ? execution.id : undefined);
  if (!execution) {
    return (
      <div className="matrix-cell">
        <Text size="xs" c="dimmed">
          none yet
        </Text>
      </div>
    );
  }
  const text = live ?? execution.message ?? execution.pipeline;
  return (
    <div className="matrix-cell" data-execution-status={execution.status}>
      <Anchor component={Link} to={`/executions/${execution.id}`} size="sm" underline="never">
        <Group gap={6} wrap="nowrap">
          <StatusBadge status={execution.status} size="xs" />
          <Text size="xs" className="truncate" title={text}>
            {text}
          </Text>
        </Group>
      </Anchor>
    </div>
  );
}

function Cell({ app, env, here }: { app: string; env: string; here: DeployedHere | undefined }) {
  if (!here) {
    return (
      <div className="matrix-cell">
        <Text size="xs" c="dimmed">
          not deployed
        </Text>
      </div>
    );
  }
  const failed = here.status === "failed";
  const version = here.version ?? here.images[0]?.deployed.split(/[:@]/).at(-1) ?? "?";
  const digests = here.images.map((i) => `${i.container}: ${i.digest ?? i.deployed}`).join("\n");
  return (
    <div className={failed ? "matrix-cell failed" : "matrix-cell"} data-env={env} data-status={here.status}>
      <Group gap={6} wrap="nowrap">
        <Anchor
          component={Link}
          to={`/apps/${enc(app)}/env/${enc(env)}`}
          size="sm"
          fw={600}
          c={statusColor(here.status)}
          className="truncate"
          title={digests}
        >
          {version}
        </Anchor>
        {here.revision !== null && (
          <Text size="xs" c="dimmed">
            r{here.revision}
          </Text>
        )}
      </Group>
      <Text size="xs" c={failed ? "red.8" : "dimmed"} className="truncate" title={here.message ?? undefined}>
        {failed && here.message ? (
          here.message
        ) : (
          <>
            {here.actor.replace(/^token:/, "")} · <TimeAgo at={here.at} />
          </>
        )}
      </Text>
    </div>
  );
}
