import { Badge, type MantineColor } from "@mantine/core";

/** One color per status word, the same on every page. */
const COLORS: Record<string, MantineColor> = {
  succeeded: "green",
  Healthy: "green",
  running: "blue",
  deploying: "blue",
  Progressing: "blue",
  queued: "gray",
  pending: "gray",
  waiting: "yellow",
  failed: "red",
  Degraded: "red",
  cancelled: "gray",
  superseded: "gray",
  skipped: "gray",
};

export function statusColor(status: string): MantineColor {
  return COLORS[status] ?? "gray";
}

export function StatusBadge({ status, size = "sm" }: { status: string; size?: "xs" | "sm" | "md" }) {
  return (
    <Badge color={statusColor(status)} variant={status === "failed" ? "filled" : "light"} size={size}>
      {status}
    </Badge>
  );
}
