/**
 * The name and value syntaxes Kubernetes and Railyard accept, as predicates (for semantic checks on
 * substituted templates) and as zod schemas with messages that say what is allowed.
 */
import { z } from "zod";

const LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";

/** RFC 1123 label, as Kubernetes names most objects: `my-app`. */
export const DNS_LABEL = new RegExp(`^${LABEL}$`);
/** RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
export const DNS_SUBDOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
/** Label and annotation keys: `[prefix/]name`, the prefix a DNS subdomain, the name 63 characters. */
export const LABEL_KEY = new RegExp(
  `^(?:(?=[^/]{1,253}/)${LABEL}(?:\\.${LABEL})*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
);
/** Label values: empty, or 63 characters of letters, digits, `-_.`, starting and ending alphanumeric. */
export const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** IANA service names, as Kubernetes port names: 15 characters, a letter somewhere, no `--`. */
export const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Arg names, so they read as template variables: `{{ version }}`. */
export const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Container environment variable names. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Process environment variable names, as secret references read them. */
export const PROCESS_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** ConfigMap and Secret data keys. */
export const DATA_KEY = /^(?=.{1,253}$)[-._A-Za-z0-9]+$/;
/** Kubernetes kinds: `Deployment`, `HorizontalPodAutoscaler`. */
export const KIND = /^[A-Z][A-Za-z0-9]*$/;
/** A registry host with an optional port: `registry.example.io`, `127.0.0.1:5000`. */
export const REGISTRY_HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?$`);

/** Why `host` is not a host name an Ingress accepts (a leading `*.` wildcard is allowed), or undefined. */
export function hostNameProblem(host: string): string | undefined {
  const name = host.startsWith("*.") ? host.slice(2) : host;
  if (name !== name.toLowerCase()) return "must be lowercase";
  if (!DNS_SUBDOMAIN.test(name)) {
    return "must be a DNS name: dot-separated labels of lowercase letters, digits and '-', each at most 63 characters";
  }
  return undefined;
}

export const dnsLabel = (max = 63) =>
  z
    .string()
    .regex(
      DNS_LABEL,
      "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    )
    .max(max, `must be at most ${max} characters`);

/**
 * A mapping keyed by names. Unlike `z.record(key, value)`, which skips the value of a bad key, values
 * are checked whatever their key, so one run reports both; the key rule still reaches the JSON Schema.
 */
export function namedRecord<V extends z.ZodType>(key: z.ZodType<string>, value: V) {
  const { $schema: _, ...propertyNames } = z.toJSONSchema(key, { io: "input" });
  return z
    .record(z.string(), value)
    .superRefine(
      (entries, ctx) => {
        for (const name of Object.keys(entries)) {
          const result = key.safeParse(name);
          if (result.success) continue;
          const message = result.error.issues[0]?.message ?? "is not a valid name";
          ctx.addIssue({ code: "custom", path: [name], message, params: { at: "key" } });
        }
      },
      { when: (payload) => typeof payload.value === "object" && payload.value !== null },
    )
    .meta({ propertyNames });
}

export const portName = () =>
  z
    .string()
    .regex(PORT_NAME, "must be a port name: at most 15 lowercase letters, digits and '-', with a letter");

/** A port by number or by the name a container gives it. */
export const portRef = () =>
  z.union([z.number().int().min(1).max(65535), portName()], {
    error: "expected a port number (1-65535) or a port name",
  });

/** Values that become strings in the cluster but may be written unquoted. */
export const scalar = () =>
  z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or true/false" });

export const labels = () =>
  namedRecord(
    z.string().regex(LABEL_KEY, "is not a valid label key ([prefix/]name, name at most 63 characters)"),
    z.string().regex(LABEL_VALUE, "must be a label value: at most 63 letters, digits and '-_.', or empty"),
  );

export const annotations = () =>
  namedRecord(
    z.string().regex(LABEL_KEY, "is not a valid annotation key ([prefix/]name, name at most 63 characters)"),
    z.string(),
  );
