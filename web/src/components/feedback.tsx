import { Alert, Button, Center, Loader, Stack, Text } from "@mantine/core";
import { ApiError } from "../api/client.js";

/** What went wrong, in plain words, with what to do when the server said. */
export function ErrorNote({ error, title = "Something went wrong" }: { error: unknown; title?: string }) {
  const text =
    error instanceof ApiError
      ? error.text
      : error instanceof Error
        ? error.message
        : "An unknown error happened.";
  return (
    <Alert color="red" title={title} role="alert">
      {text}
    </Alert>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <Center py="xl">
      <Stack align="center" gap="xs">
        <Loader size="sm" />
        <Text c="dimmed" size="sm">
          Loading {what}…
        </Text>
      </Stack>
    </Center>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center">
      {children}
    </Text>
  );
}

/** The next page of a list the server pages, when there is one. */
export function ShowOlder({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (!list.hasNextPage) return null;
  return (
    <Button variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
      Show older
    </Button>
  );
}
