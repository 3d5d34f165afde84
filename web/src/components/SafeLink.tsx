import { Anchor } from "@mantine/core";

/**
 * Links from untrusted places (pipeline files, annotations) open only when they are https: anything
 * else (javascript:, data:, plain http) is shown as inert text.
 */
export function SafeLink({ href, children }: { href: string; children: React.ReactNode }) {
  if (!isSafeUrl(href))
    return (
      <span title="Only https: links open">
        {children} ({href})
      </span>
    );
  return (
    <Anchor href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </Anchor>
  );
}

export function isSafeUrl(href: string): boolean {
  try {
    return new URL(href).protocol === "https:";
  } catch {
    return false;
  }
}
