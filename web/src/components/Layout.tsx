import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useLocation } from "react-router";
import { useLiveEvents } from "../live/events.js";
import { usePermissions, useSignOut } from "../session/session.js";

const NAV = [
  { to: "/", label: "Overview" },
  { to: "/executions", label: "Executions" },
  { to: "/audit", label: "Audit log" },
];

export function Layout({ children }: { children: React.ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const client = useQueryClient();
  const live = useLiveEvents(client, true);
  const me = usePermissions();
  const signOut = useSignOut();
  const { pathname } = useLocation();
  const current = (to: string) =>
    to === "/" ? pathname === "/" || pathname.startsWith("/apps") : pathname.startsWith(to);
  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 200, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Link to="/" className="brand">
              <Title order={4}>Railyard</Title>
            </Link>
            <Badge
              variant="dot"
              color={live === "live" ? "green" : "yellow"}
              title={live === "live" ? "Live updates are on" : "Reconnecting to live updates…"}
            >
              {live === "live" ? "live" : "reconnecting"}
            </Badge>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs" data-testid="whoami">
              {me.name} · {me.roles.join(", ") || "viewer"}
            </Text>
            <Button size="xs" variant="default" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={current(item.to)}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
