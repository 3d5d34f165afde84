import { Anchor, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, query } from "../api/client.js";
import type { Execution, Page } from "../api/types.js";
import { EXECUTION_STATUSES } from "../../../src/core/pipeline/types.js";
import { Empty, ErrorNote, Loading, ShowOlder } from "../components/feedback.js";
import { StatusBadge } from "../components/status.js";
import { duration, TimeAgo } from "../components/time.js";

/** Every execution, newest first, filtered by app and status (kept in the URL). */
export function Executions() {
  const [params, setParams] = useSearchParams();
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const [app] = useDebouncedValue(params.get("app") ?? "", 250);
  const status = params.get("status") ?? "";
  const list = useInfiniteQuery({
    queryKey: ["executions", app, status],
    queryFn: ({ pageParam }) =>
      api<Page<Execution, number>>(`/executions${query({ limit: 50, before: pageParam, app, status })}`),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="end" wrap="wrap">
        <Title order={2}>Executions</Title>
        <Group gap="sm">
          <TextInput
            aria-label="App"
            placeholder="App name"
            value={params.get("app") ?? ""}
            onChange={(e) => set("app", e.currentTarget.value.trim())}
            w={200}
          />
          <Select
            aria-label="Status"
            placeholder="Any status"
            clearable
            data={[...EXECUTION_STATUSES]}
            value={status || null}
            onChange={(value) => set("status", value)}
            w={160}
          />
        </Group>
      </Group>
      {list.isError ? (
        <ErrorNote error={list.error} title="Executions did not load" />
      ) : list.isPending ? (
        <Loading what="executions" />
      ) : rows.length === 0 ? (
        <Empty>
          No executions
          {app || status
            ? " match these filters"
            : " yet: a push, a tag, an image or a manual run starts one"}
          .
        </Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>App</Table.Th>
                  <Table.Th>Pipeline</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Message</Table.Th>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Took</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((e) => (
                  <Table.Tr key={e.id} data-execution={e.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/executions/${e.id}`}>
                        {e.seq}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{e.app}</Table.Td>
                    <Table.Td>{e.pipeline}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={e.status} />
                    </Table.Td>
                    <Table.Td maw={360}>
                      <Text size="sm" className="truncate" title={e.message ?? undefined}>
                        {e.message}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <TimeAgo at={e.createdAt} />
                    </Table.Td>
                    <Table.Td>{duration(e.startedAt, e.finishedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ShowOlder list={list} />
        </>
      )}
    </Stack>
  );
}
