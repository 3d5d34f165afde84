import type { KubeObject } from "../kube/objects.js";

export const REDACTED = "<redacted>";

/** A copy of the object with every Secret value replaced; other objects are returned as they are. */
export function redactSecretValues(object: KubeObject): KubeObject {
  if (object.kind !== "Secret") return object;
  const redact = (values: unknown) =>
    values && typeof values === "object"
      ? Object.fromEntries(Object.keys(values).map((key) => [key, REDACTED]))
      : values;
  const copy: KubeObject = { ...object };
  if ("data" in object) copy.data = redact(object.data);
  if ("stringData" in object) copy.stringData = redact(object.stringData);
  return copy;
}

/**
 * Scrubs known secret values out of free text (API error bodies, logs, messages) before it is shown
 * or stored; base64 forms are scrubbed too because Secret manifests carry values that way.
 */
export function secretScrubber(values: Iterable<string>): (text: string) => string {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length < 4) continue; // too short to scrub without mangling ordinary text
    needles.add(value);
    needles.add(Buffer.from(value).toString("base64"));
  }
  const sorted = [...needles].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of sorted) out = out.split(needle).join("***");
    return out;
  };
}
