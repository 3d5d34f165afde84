import type { ContainerState } from "../kube/objects.js";
import { pickProblem, type Detector, type PodProblem } from "./finding.js";
import { containersOf, podName, type ContainerOf, type Rollout } from "./rollout.js";
import { clip, oneLine, podCount, times } from "./text.js";

/** Two restarts means the container failed again after the kubelet retried it. */
const CERTAIN_RESTARTS = 2;
const LOG_TAIL_LINES = 10;
const ERROR_LINE = /error|exception|fatal|panic|fail|refused|denied|cannot|unable|invalid|not found/i;

type Terminated = NonNullable<ContainerState["terminated"]>;

interface Crash extends PodProblem {
  container: string;
  exitCode: number | undefined;
  /** `Error`, `OOMKilled`, `StartError`, … */
  terminatedReason: string | undefined;
  /** What the summary shows in parentheses: the waiting reason, else the terminated one. */
  label: string;
  restarts: number;
  /** The termination message the container wrote (terminationMessagePath), if any. */
  message: string | undefined;
  logTail: string | undefined;
}

/** A pod of the new revision failed for good (phase Failed): nothing will restart it. */
export const containerFailed: Detector = (rollout) => {
  const failed = containersOf(rollout.pods).flatMap((c) => {
    const terminated = c.status.state?.terminated;
    if (c.pod.status?.phase !== "Failed" || !terminated || terminated.exitCode === 0) return [];
    return [crash(rollout, c, terminated, "ContainerFailed")];
  });
  const picked = pickProblem(failed);
  if (!picked) return undefined;
  const { lead } = picked;
  return {
    reason: "ContainerFailed",
    certain: true,
    what: `${podCount(picked.pods.length, rollout.desired, "has failed", "have failed")}: container ${lead.container} exited with code ${lead.exitCode} (${lead.label})${evidence(lead)}`,
    action: `Fix the failure shown in its logs (kubectl logs -n ${rollout.namespace} ${lead.pod} -c ${lead.container}).`,
    pods: picked.pods,
    ...(lead.logTail ? { logTail: lead.logTail } : {}),
  };
};

/**
 * A container keeps exiting and the kubelet keeps restarting it. A container that is ready again
 * has recovered and is not counted. Certain from the second restart on.
 */
export const crashLoop: Detector = (rollout) => {
  const crashes = containersOf(rollout.pods).flatMap((c) => {
    if (c.pod.status?.phase === "Failed" || c.status.ready) return [];
    const last = lastCrash(c);
    return last ? [crash(rollout, c, last.terminated, "CrashLoop")] : [];
  });
  const picked = pickProblem(crashes);
  if (!picked) return undefined;
  // Speak through a pod whose logs were given, so the summary can quote them.
  const lead = picked.members.find((c) => c.logTail && c.key === picked.lead.key) ?? picked.lead;
  const restarts = Math.max(...picked.members.map((c) => c.restarts));
  return {
    reason: "CrashLoop",
    certain: picked.certain,
    what: `${podCount(picked.pods.length, rollout.desired, ...crashVerbs(picked.certain))}: ${describeCrash(lead)} and has restarted ${times(restarts)} (${lead.label})${evidence(lead)}`,
    action: crashAction(rollout, lead),
    pods: picked.pods,
    ...(lead.logTail ? { logTail: lead.logTail } : {}),
  };
};

/** One restart may be a fluke (a dependency not up yet); from the second on it is a loop. */
function crashVerbs(certain: boolean): [string, string] {
  return certain ? ["keeps crashing", "keep crashing"] : ["has crashed", "have crashed"];
}

/** A crashing container: a non-zero exit, or any exit (even 0) that put it in CrashLoopBackOff. */
function lastCrash({ status }: ContainerOf): { terminated: Terminated | undefined } | undefined {
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  const backingOff = status.state?.waiting?.reason === "CrashLoopBackOff";
  return backingOff || (terminated && terminated.exitCode !== 0) ? { terminated } : undefined;
}

function crash(
  rollout: Rollout,
  { pod, status }: ContainerOf,
  terminated: Terminated | undefined,
  reason: "CrashLoop" | "ContainerFailed",
): Crash {
  const name = podName(pod);
  const waiting = status.state?.waiting?.reason;
  return {
    reason,
    key: `${status.name} ${terminated?.exitCode} ${terminated?.reason}`,
    pod: name,
    certain: reason === "ContainerFailed" || status.restartCount >= CERTAIN_RESTARTS,
    container: status.name,
    exitCode: terminated?.exitCode,
    terminatedReason: terminated?.reason,
    label: reason === "CrashLoop" && waiting ? waiting : (terminated?.reason ?? "Error"),
    restarts: status.restartCount,
    message: terminated?.message ? oneLine(terminated.message) : undefined,
    logTail: logTail(rollout.logs[`${name}/${status.name}`]),
  };
}

function describeCrash(crash: Crash): string {
  const container = `container ${crash.container}`;
  if (crash.terminatedReason === "OOMKilled")
    return `${container} is killed for exceeding its memory limit (OOMKilled, exit code ${crash.exitCode})`;
  return crash.exitCode === undefined
    ? `${container} exits`
    : `${container} exits with code ${crash.exitCode}`;
}

/** What the container said: the telling log line, else its termination message. */
function evidence(crash: Crash): string {
  if (crash.exitCode === 0) return "; a Deployment's containers must keep running";
  const line = tellingLine(crash.logTail);
  if (line) return `; the log says "${clip(line, 160)}"`;
  return crash.message ? `: ${clip(crash.message, 300)}` : "";
}

/**
 * The last line that reads like an error, else the last line that is not part of a stack trace:
 * runtimes often end with noise (Node prints its version after the error).
 */
function tellingLine(logTail: string | undefined): string | undefined {
  const lines = (logTail?.split("\n") ?? []).filter((line) => !/^\s/.test(line));
  return lines.findLast((line) => ERROR_LINE.test(line)) ?? lines.at(-1);
}

function crashAction(rollout: Rollout, crash: Crash): string {
  if (crash.terminatedReason === "OOMKilled")
    return `Raise the memory limit of container ${crash.container} or lower its memory use.`;
  if (crash.exitCode === 0)
    return `Make container ${crash.container} run a long-lived process (a Deployment restarts containers that exit).`;
  return `Fix the crash shown in its logs (kubectl logs -n ${rollout.namespace} ${crash.pod} -c ${crash.container} --previous).`;
}

function logTail(log: string | undefined): string | undefined {
  const lines = (log ?? "")
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== "");
  return lines.length > 0 ? lines.slice(-LOG_TAIL_LINES).join("\n") : undefined;
}
