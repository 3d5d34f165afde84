import { Code, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, query } from "../api/client.js";
import type { AuditEntry, Page } from "../api/types.js";
import { Empty, ErrorNote, Loading, ShowOlder } from "../components/feedback.js";

const FILTERS = [
  { key: "actor", label: "Actor", placeholder: "token:ci" },
  { key: "app", label: "App", placeholder: "api" },
  { key: "environment", label: "Environment", placeholder: "production" },
  { key: "action", label: "Action", placeholder: "approval.approve" },
] as const;

/** The append-only audit log, newest first; every filter is part of the URL. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const [filters] = useDebouncedValue(
    {
      actor: params.get("actor") ?? "",
      app: params.get("app") ?? "",
      environment: params.get("environment") ?? "",
      action: params.get("action") ?? "",
      since: params.get("since") ?? "",
      until: params.get("until") ?? "",
    },
    250,
  );
  const list = useInfiniteQuery({
    queryKey: ["audit", filters],
    queryFn: ({ pageParam }) =>
      api<Page<AuditEntry, number>>(
        `/audit${query({
          ...filters,
          since: filters.since ? new Date(filters.since).toISOString() : undefined,
          until: filters.until ? new Date(filters.until).toISOString() : undefined,
          limit: 100,
          before: pageParam,
        })}`,
      ),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack gap="sm">
      <Title order={2}>Audit log</Title>
      <Group gap="sm" align="end" wrap="wrap">
        {FILTERS.map((f) => (
          <TextInput
            key={f.key}
            label={f.label}
            placeholder={f.placeholder}
            value={params.get(f.key) ?? ""}
            onChange={(e) => set(f.key, e.currentTarget.value.trim())}
            w={170}
          />
        ))}
        <TextInput
          label="From"
          type="datetime-local"
          value={params.get("since") ?? ""}
          onChange={(e) => set("since", e.currentTarget.value)}
        />
        <TextInput
          label="To"
          type="datetime-local"
          value={params.get("until") ?? ""}
          onChange={(e) => set("until", e.currentTarget.value)}
        />
      </Group>
      {list.isError ? (
        <ErrorNote error={list.error} title="The audit log did not load" />
      ) : list.isPending ? (
        <Loading what="the audit log" />
      ) : rows.length === 0 ? (
        <Empty>No audit entries match these filters.</Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={900}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                  <Table.Th>App · env</Table.Th>
                  <Table.Th>Revisions</Table.Th>
                  <Table.Th>Detail</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.id} data-action={r.action}>
                    <Table.Td>
                      <Text size="xs">{new Date(r.at).toLocaleString()}</Text>
                    </Table.Td>
                    <Table.Td>{r.actor}</Table.Td>
                    <Table.Td>{r.source}</Table.Td>
                    <Table.Td>
                      <Code>{r.action}</Code>
                    </Table.Td>
                    <Table.Td>{r.outcome}</Table.Td>
                    <Table.Td>
                      {r.app ?? "—"}
                      {r.environment ? ` · ${r.environment}` : ""}
                    </Table.Td>
                    <Table.Td>
                      {(r.revision_before ?? r.revision_after)
                        ? `${r.revision_before ?? "—"} → ${r.revision_after ?? "—"}`
                        : ""}
                    </Table.Td>
                    <Table.Td maw={320}>
                      <Text size="xs" className="truncate" title={JSON.stringify(r.detail)}>
                        {Object.keys(r.detail ?? {}).length ? JSON.stringify(r.detail) : ""}
                      </Text>
                    </Table.Td>
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
