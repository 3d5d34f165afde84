/** Kubernetes resource quantities (`500m`, `1.5`, `256Mi`, `1e3`): syntax and a comparable value. */

export const QUANTITY = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity as a plain number (cores, bytes), or undefined when it is not a quantity. */
export function quantityValue(quantity: string | number): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) && quantity >= 0 ? quantity : undefined;
  if (!QUANTITY.test(quantity)) return undefined;
  const match = /^([\d.]+)(.*)$/.exec(quantity);
  if (match === null) return undefined;
  const [, digits = "", suffix = ""] = match;
  if (/^[eE][+-]?\d+$/.test(suffix)) return Number(`${digits}${suffix}`);
  return Number(digits) * (suffix === "" ? 1 : (SUFFIX[suffix] ?? Number.NaN));
}
