/**
 * Durations as people write them in flags and files: `90s`, `10m`, `2h`, `1h30m`, `7d`, or plain
 * seconds (`90`). One parser for the CLI's `--timeout` and the pipeline's timeouts and waits.
 */
import { InputError } from "../errors.js";

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export const DURATION_EXAMPLES = "30s, 10m, 2h or 1h30m";

/** Milliseconds, or undefined when `value` is not a duration. */
export function durationMs(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const match = value === "" ? null : DURATION.exec(value);
  if (match === null) return undefined;
  const [, d = "0", h = "0", m = "0", s = "0"] = match;
  return (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/** Milliseconds; throws InputError when `value` is not a duration. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new InputError(`expected a duration like ${DURATION_EXAMPLES}, got "${value}"`);
  return ms;
}
