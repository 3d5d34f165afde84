/** Defensive reads of a parsed document whose shape is not yet known to be valid. */

export type Fields = Record<string, unknown>;

export const isFields = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);
/** The mapping, or an empty one when the value is anything else. */
export const fields = (value: unknown): Fields => (isFields(value) ? value : {});
/** The list, or an empty one when the value is anything else. */
export const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
