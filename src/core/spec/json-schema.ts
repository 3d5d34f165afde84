/** JSON Schemas (draft 2020-12) of the app file and the platform config, for editors and docs. */
import { z } from "zod";
import { appSchema } from "./app.js";
import { platformSchema } from "./platform.js";

// `io: "input"` describes what people write: defaults make fields optional, transforms do not show.
const options = { target: "draft-2020-12", io: "input" } as const;

export function appJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(appSchema, options) as Record<string, unknown>;
}

export function platformJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(platformSchema, options) as Record<string, unknown>;
}
