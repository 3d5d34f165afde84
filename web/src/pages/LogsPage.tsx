import { useEffect, useMemo, useRef, useState } from "react";
import { Group, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useParams, useSearchParams } from "react-router";
import { enc, query, request } from "../api/client.js";
import { AppEnvLink } from "../components/AppEnvLink.js";
import { ErrorNote } from "../components/feedback.js";

const MAX_LINES = 5000;

/** A pod's logs: the last lines, then following as they come; a search narrows and marks them. */
export function LogsPage() {
  const { app = "", env = "", pod = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const follow = params.get("follow") !== "0";
  const container = params.get("container") ?? undefined;
  const [search, setSearch] = useState("");
  const [needle] = useDebouncedValue(search, 150);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [state, setState] = useState<"loading" | "following" | "ended">("loading");
  const view = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    setState("loading");
    void (async () => {
      try {
        const response = await request(
          `/apps/${enc(app)}/environments/${enc(env)}/pods/${enc(pod)}/logs${query({ container, follow: follow ? 1 : undefined, tailLines: 500 })}`,
          { signal: abort.signal, accept: "text/plain" },
        );
        setState(follow ? "following" : "ended");
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let rest = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parts = (rest + value).split("\n");
          rest = parts.pop() ?? "";
          if (parts.length) setLines((now) => [...now, ...parts].slice(-MAX_LINES));
        }
        if (rest) setLines((now) => [...now, rest].slice(-MAX_LINES));
        setState("ended");
      } catch (failure) {
        if ((failure as Error).name !== "AbortError") setError(failure);
      }
    })();
    return () => abort.abort();
  }, [app, env, pod, container, follow]);

  const shown = useMemo(
    () => (needle ? lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase())) : lines),
    [lines, needle],
  );
  useEffect(() => {
    const el = view.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <div>
          <Title order={2}>Logs of {pod}</Title>
          <Text size="sm" c="dimmed">
            <AppEnvLink app={app} env={env} />
            {container ? ` · container ${container}` : ""} ·{" "}
            {state === "following" ? "following" : state === "loading" ? "loading" : "ended"} · {lines.length}{" "}
            lines
          </Text>
        </div>
        <Group>
          <TextInput
            placeholder="Search the logs"
            aria-label="Search the logs"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
          />
          <Switch
            label="Follow"
            checked={follow}
            onChange={(e) => {
              const next = new URLSearchParams(params);
              if (e.currentTarget.checked) next.delete("follow");
              else next.set("follow", "0");
              setParams(next, { replace: true });
            }}
          />
        </Group>
      </Group>
      {error !== undefined && <ErrorNote error={error} title="The logs did not load" />}
      <pre
        ref={view}
        className="log-view"
        style={{ height: "calc(100vh - 220px)" }}
        data-testid="log-view"
        tabIndex={0}
      >
        {shown.length === 0
          ? state === "loading"
            ? "Loading…"
            : needle
              ? "No line matches."
              : "No log lines yet."
          : shown.map((line, i) => <Line key={i} line={line} needle={needle} />)}
      </pre>
    </Stack>
  );
}

function Line({ line, needle }: { line: string; needle: string }) {
  if (!needle) return <>{line + "\n"}</>;
  const at = line.toLowerCase().indexOf(needle.toLowerCase());
  return (
    <>
      {line.slice(0, at)}
      <mark>{line.slice(at, at + needle.length)}</mark>
      {line.slice(at + needle.length) + "\n"}
    </>
  );
}
