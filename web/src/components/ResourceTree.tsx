import { Anchor, Badge, Card, Group, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, enc } from "../api/client.js";
import type { ResourceTree as Tree } from "../api/types.js";
import { Empty, ErrorNote, Loading } from "./feedback.js";
import { TimeAgo } from "./time.js";

/** Deployment → ReplicaSets → Pods, as the cluster has them now (refreshed every few seconds). */
export function ResourceTree({ app, env }: { app: string; env: string }) {
  const tree = useQuery({
    queryKey: ["app", app, "resources", env],
    queryFn: () => api<Tree>(`/apps/${enc(app)}/environments/${enc(env)}/resources`),
    refetchInterval: 5000,
  });
  if (tree.isPending) return <Loading what="live objects" />;
  if (tree.isError) return <ErrorNote error={tree.error} title="The live objects did not load" />;
  const { deployments, others, namespace } = tree.data;
  if (deployments.length === 0 && others.length === 0)
    return (
      <Empty>
        Nothing of {app} runs in {env}.
      </Empty>
    );
  return (
    <Stack gap="sm" data-testid="resource-tree">
      {deployments.map((d) => (
        <Card key={d.name} withBorder padding="sm">
          <Group gap="sm" wrap="wrap">
            <Badge variant="outline">Deployment</Badge>
            <Text fw={600}>
              {namespace}/{d.name}
            </Text>
            <Text size="sm" c={d.readyReplicas === d.replicas ? "green.8" : "orange.8"}>
              {d.readyReplicas}/{d.replicas} ready · {d.updatedReplicas} updated · {d.availableReplicas}{" "}
              available
            </Text>
          </Group>
          {d.conditions
            .filter((c) => c.status !== "True" || c.type === "Progressing")
            .map((c) => (
              <Text key={c.type} size="xs" c="dimmed">
                {c.type}: {c.reason} {c.message ? `— ${c.message}` : ""}
              </Text>
            ))}
          {Object.entries(d.annotations ?? {}).map(([key, value]) => (
            <Text key={key} size="xs" c="dimmed" className="truncate" data-testid="annotation">
              {key}: {value}
            </Text>
          ))}
          <Stack gap="xs" mt="xs" pl="md">
            {d.replicaSets.map((rs) => (
              <div key={rs.name}>
                <Group gap="sm" wrap="wrap">
                  <Badge variant="light" color="gray">
                    ReplicaSet
                  </Badge>
                  <Text size="sm" fw={500}>
                    {rs.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    revision {rs.revision ?? "?"} · {rs.readyReplicas}/{rs.replicas} ready ·{" "}
                    <TimeAgo at={rs.createdAt} />
                  </Text>
                </Group>
                <Text size="xs" className="mono truncate">
                  {rs.images.join(", ")}
                </Text>
                {rs.pods.length > 0 && (
                  <Table.ScrollContainer minWidth={640}>
                    <Table withRowBorders={false} verticalSpacing={2} fz="sm" ml="md">
                      <Table.Tbody>
                        {rs.pods.map((pod) => (
                          <Table.Tr key={pod.name} data-pod={pod.name}>
                            <Table.Td>
                              <Badge
                                variant="dot"
                                color={pod.ready ? "green" : pod.reason ? "red" : "yellow"}
                              >
                                Pod
                              </Badge>
                            </Table.Td>
                            <Table.Td className="mono">{pod.name}</Table.Td>
                            <Table.Td>
                              {pod.phase}
                              {pod.reason ? ` (${pod.reason})` : ""}
                            </Table.Td>
                            <Table.Td>
                              {pod.readyContainers}/{pod.totalContainers} ready
                            </Table.Td>
                            <Table.Td>{pod.restarts} restarts</Table.Td>
                            <Table.Td className="hide-mobile">{pod.node ?? "unscheduled"}</Table.Td>
                            <Table.Td>
                              <Anchor
                                component={Link}
                                to={`/apps/${enc(app)}/env/${enc(env)}/pods/${enc(pod.name)}/logs`}
                                size="sm"
                              >
                                Logs
                              </Anchor>
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                )}
              </div>
            ))}
          </Stack>
        </Card>
      ))}
      {others.length > 0 && (
        <Group gap="xs">
          {others.map((o) => (
            <Badge key={`${o.kind}/${o.name}`} variant="outline" color="gray">
              {o.kind} {o.name}
            </Badge>
          ))}
        </Group>
      )}
    </Stack>
  );
}
