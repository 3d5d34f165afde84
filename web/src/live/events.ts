import { useEffect, useState, useSyncExternalStore } from "react";
import type { QueryClient } from "@tanstack/react-query";

type LiveEvent =
  | { type: "execution"; id: string; app: string; status: string; message?: string | null }
  | { type: "stage"; execution: string; app: string; stage: string; status: string; message?: string | null }
  | { type: "progress"; execution: string; app: string; stage: string; line: string }
  | { type: "audit"; id: number; action: string; app: string | null };

export type LiveState = "connecting" | "live" | "reconnecting";

/** The last progress lines of each running stage, by execution and stage. */
const progress = new Map<string, string[]>();
/** The newest progress line of each execution, whichever stage said it: the overview shows it. */
const latestLine = new Map<string, string>();
const progressListeners = new Set<() => void>();
const PROGRESS_LINES = 200;

function addProgress(execution: string, stage: string, line: string): void {
  const key = `${execution}/${stage}`;
  const lines = [...(progress.get(key) ?? []), line].slice(-PROGRESS_LINES);
  progress.set(key, lines);
  latestLine.set(execution, `${stage}: ${line.trim()}`);
  for (const listener of progressListeners) listener();
}

const EMPTY: string[] = [];

/** Progress lines a stage reported while this page was open (rollout status, pods ready 2/3). */
export function useStageProgress(execution: string, stage: string): string[] {
  return useSyncExternalStore(
    (listener) => {
      progressListeners.add(listener);
      return () => progressListeners.delete(listener);
    },
    () => progress.get(`${execution}/${stage}`) ?? EMPTY,
  );
}

/** The newest progress line of a running execution seen while this page was open, if any. */
export function useLatestProgress(execution: string | undefined): string | undefined {
  return useSyncExternalStore(
    (listener) => {
      progressListeners.add(listener);
      return () => progressListeners.delete(listener);
    },
    () => (execution ? latestLine.get(execution) : undefined),
  );
}

/**
 * Follows the server's event stream and refreshes what changed. Events are small hints with ids: the
 * views re-read the details, at most a few times a second however busy the server is.
 */
export function useLiveEvents(client: QueryClient, enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    if (!enabled) return;
    const dirty = new Map<string, unknown[]>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = (...keys: unknown[][]) => {
      for (const key of keys) dirty.set(JSON.stringify(key), key);
      timer ??= setTimeout(() => {
        timer = undefined;
        for (const key of dirty.values()) void client.invalidateQueries({ queryKey: key });
        dirty.clear();
      }, 300);
    };
    const source = new EventSource("/api/v1/events");
    source.onopen = () => setState("live");
    source.onerror = () => setState("reconnecting");
    const on = (type: string, handle: (event: LiveEvent) => void) =>
      source.addEventListener(type, (message) => handle(JSON.parse((message as MessageEvent<string>).data)));
    on("execution", (event) => {
      if (event.type !== "execution") return;
      refresh(["execution", event.id], ["executions"], ["apps"], ["app", event.app]);
    });
    on("stage", (event) => {
      if (event.type !== "stage") return;
      refresh(["execution", event.execution], ["app", event.app]);
    });
    on("progress", (event) => {
      if (event.type === "progress") addProgress(event.execution, event.stage, event.line);
    });
    on("audit", () => refresh(["audit"]));
    return () => {
      source.close();
      if (timer) clearTimeout(timer);
    };
  }, [client, enabled]);
  return state;
}
