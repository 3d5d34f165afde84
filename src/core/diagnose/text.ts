/** Small wording helpers shared by the detectors, so every summary reads the same way. */

/** Collapses whitespace: API messages may span lines, a summary must not. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Ends the text with exactly one full stop, so the summary reads as one sentence. */
export function sentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function times(n: number): string {
  return n === 1 ? "1 time" : `${n} times`;
}

/**
 * `2 of 3 pods cannot start`: affected pods of the new revision against the desired replicas. The
 * count is capped at the desired replicas because replaced pods may briefly outnumber them.
 */
export function podCount(affected: number, desired: number, verb: string, pluralVerb = verb): string {
  const total = Math.max(desired, 1);
  const shown = Math.min(affected, total);
  return `${shown} of ${total} ${total === 1 ? "pod" : "pods"} ${shown === 1 ? verb : pluralVerb}`;
}
