import { InvalidArgumentError, Option } from "commander";
import { durationMs } from "../core/pipeline/duration.js";

/** `--set key=value`, repeatable. */
export function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Durations like `90s`, `5m`, `1h30m`, or plain seconds (the parser lives in the core). */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined)
    throw new InvalidArgumentError(`expected a duration like 90s, 5m or 1h, got "${value}"`);
  return ms;
}

export function revisionNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a revision number (1, 2, …)");
  return n;
}

export function outputFormat(value: string): "text" | "json" {
  if (value !== "text" && value !== "json") throw new InvalidArgumentError('expected "text" or "json"');
  return value;
}

/** `--timeout`, in milliseconds once parsed; help shows the default as a duration. */
export function timeoutOption(): Option {
  return new Option("--timeout <duration>", "how long to wait for the rollout")
    .argParser(parseDuration)
    .default(5 * 60_000, "5m");
}
