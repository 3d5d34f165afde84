import { spawn } from "node:child_process";

/**
 * A cluster started for a test run must not outlive it, even when the runner is killed with SIGKILL and
 * gets no chance to clean up. A small shell loop watches the owner and, once it is gone, stops every
 * process listed in the cluster's pid file and removes the cluster's directory.
 */
const SCRIPT = `
owner="$1"; dir="$2"; pids="$3"
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
[ -f "$pids" ] || exit 0
for p in $(cat "$pids"); do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
sleep 3
for p in $(cat "$pids"); do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done
rm -rf "$dir"
`;

export function startWatchdog(ownerPid: number, stateDir: string, pidsFile: string): number {
  const child = spawn(
    "sh",
    ["-c", SCRIPT, "railyard-cluster-watchdog", String(ownerPid), stateDir, pidsFile],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  child.unref();
  if (child.pid === undefined) throw new Error("could not start the cluster watchdog");
  return child.pid;
}
