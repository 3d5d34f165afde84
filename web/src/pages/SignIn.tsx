import { useState } from "react";
import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client.js";
import type { Whoami } from "../api/types.js";
import { ErrorNote } from "../components/feedback.js";

/**
 * Signed out: paste an API token. The server keeps it in an HttpOnly cookie; this page never stores
 * it (no localStorage, no URL).
 */
export function SignIn() {
  const client = useQueryClient();
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const me = await api<Whoami>("/session", { method: "POST", body: { token: token.trim() } });
      setToken("");
      client.setQueryData(["whoami"], { name: me.name, roles: me.roles });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={420} maw="100%" component="form" onSubmit={submit}>
        <Stack>
          <Title order={2}>Sign in to Railyard</Title>
          <Text size="sm" c="dimmed">
            You are signed out. Paste an API token: an admin creates one with <code>POST /api/v1/tokens</code>
            , and <code>make demo</code> prints one.
          </Text>
          <PasswordInput
            label="API token"
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            autoComplete="off"
            required
            data-autofocus
            autoFocus
          />
          {error !== undefined && <ErrorNote error={error} title="Not signed in" />}
          <Button type="submit" loading={busy} disabled={!token.trim()}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
