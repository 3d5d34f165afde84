import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";

export interface ComponentProcess {
  name: string;
  pid: number;
  logFile: string;
}

/**
 * Starts a control-plane component in its own process group, output to a log file, detached from this
 * process so a cluster from `railyard cluster up` outlives the command that started it.
 */
export function spawnComponent(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): ComponentProcess {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    child.on("error", () => {}); // reported through isAlive() and the log file
    child.unref();
    return { name, pid: child.pid, logFile };
  } finally {
    closeSync(fd);
  }
}

/** True if the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Guards against PID reuse: a recorded PID is ours only if its command line names the cluster's directory. */
export function belongsTo(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`; resolves once every process is gone. */
export async function stopProcesses(pids: number[], graceMs = 5000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // already gone, or not a group leader
      }
    }
  };
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  const stubborn = pids.filter(isAlive);
  for (const pid of stubborn) signal(pid, "SIGKILL");
  const killDeadline = Date.now() + 5000;
  while (stubborn.some(isAlive) && Date.now() < killDeadline) await sleep(50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines of a component's log, to quote when it fails. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
