import { InvalidArgumentError, Option } from "commander";

/** `--set key=value`, repeatable. */
export function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Durations like `90s`, `5m`, `1h30m`, or plain seconds. */
export function parseDuration(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === "")
    throw new InvalidArgumentError(`expected a duration like 90s, 5m or 1h, got "${value}"`);
  const [, h = "0", m = "0", s = "0"] = match;
  return (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
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
