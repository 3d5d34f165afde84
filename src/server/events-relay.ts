import { randomUUID } from "node:crypto";
import pg from "pg";
import type { EventBus, LiveEvent } from "./events.js";

const CHANNEL = "railyard_events";
/** NOTIFY payloads are limited to 8,000 bytes: long progress lines are cut. */
const MAX_LINE = 2_000;

/**
 * Relays live events between server replicas through PostgreSQL's LISTEN/NOTIFY, so a browser
 * connected to one replica sees what the others do. Notifications are best effort (a replica that
 * was disconnected misses some); clients re-read state when they reconnect.
 */
export async function relayEvents(
  bus: EventBus,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const me = randomUUID();
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on("notification", (message) => {
      try {
        const { origin, event } = JSON.parse(message.payload ?? "") as { origin: string; event: LiveEvent };
        if (origin !== me) bus.deliver(event);
      } catch {
        // not ours
      }
    });
    next.on("error", () => reconnect());
    next.on("end", () => reconnect());
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      client = next;
    } catch (error) {
      log(`events relay: cannot listen on PostgreSQL (${(error as Error).message}); retrying`);
      await next.end().catch(() => {});
      reconnect();
    }
  };
  const reconnect = () => {
    client = undefined;
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, 1000);
  };

  // One notification at a time on the one connection, in the order they happened.
  let sending: Promise<unknown> = Promise.resolve();
  bus.onPublish = (event) => {
    const small = event.type === "progress" ? { ...event, line: event.line.slice(0, MAX_LINE) } : event;
    const payload = JSON.stringify({ origin: me, event: small });
    sending = sending
      .then(() => client?.query("select pg_notify($1, $2)", [CHANNEL, payload]))
      .catch(() => {});
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      bus.onPublish = undefined;
      await client?.end().catch(() => {});
    },
  };
}
