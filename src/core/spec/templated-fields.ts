/** Which strings of an app file may hold `{{ }}` holes, and what each must be once filled in. */
import type { PathSegment } from "./issues.js";
import { fields, items } from "./raw.js";

export interface TemplatedField {
  path: readonly PathSegment[];
  value: string;
  /** An image must be an image reference once filled, a host a host name; text may be anything. */
  kind: "image" | "host" | "text";
}

/** Every templated string of an app file (raw or loaded), with where it is written. */
export function templatedFields(app: unknown): TemplatedField[] {
  const out: TemplatedField[] = [];
  const add = (path: readonly PathSegment[], value: unknown, kind: TemplatedField["kind"]) => {
    if (typeof value === "string") out.push({ path, value, kind });
  };
  const envValues = (path: readonly PathSegment[], env: unknown) =>
    items(env).forEach((entry, index) => add([...path, index, "value"], fields(entry).value, "text"));
  const root = fields(app);
  for (const [index, value] of items(root.containers).entries()) {
    const container = fields(value);
    const at = ["containers", index];
    add([...at, "image"], container.image, "image");
    for (const key of ["command", "args"] as const) {
      items(container[key]).forEach((part, i) => add([...at, key, i], part, "text"));
    }
    envValues([...at, "env"], container.env);
  }
  items(fields(root.endpoints).exposes).forEach((endpoint, index) =>
    add(["endpoints", "exposes", index, "host"], fields(endpoint).host, "host"),
  );
  for (const [container, value] of Object.entries(fields(fields(root.manifests).images))) {
    add(["manifests", "images", container], value, "image");
  }
  for (const [envName, env] of Object.entries(fields(root.environments))) {
    for (const [container, override] of Object.entries(fields(fields(env).containers))) {
      const at = ["environments", envName, "containers", container];
      add([...at, "image"], fields(override).image, "image");
      envValues([...at, "env"], fields(override).env);
    }
  }
  return out;
}
