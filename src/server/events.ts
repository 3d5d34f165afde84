/** What changed, for live views (server-sent events): small, with ids to re-read the details. */
export type LiveEvent =
  | { type: "execution"; id: string; app: string; status: string; message?: string | null }
  | { type: "stage"; execution: string; app: string; stage: string; status: string; message?: string | null }
  | { type: "progress"; execution: string; app: string; stage: string; line: string }
  | { type: "audit"; id: number; action: string; app: string | null };

/**
 * Fan-out of live events to the server's subscribers. With several replicas, a relay also sends what
 * happens here to the others and `deliver`s what happens there.
 */
export class EventBus {
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  /** Set by a relay: called for every event that happened in this process. */
  onPublish: ((event: LiveEvent) => void) | undefined;

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something happened here: tell this server's subscribers, and the other replicas. */
  publish(event: LiveEvent): void {
    this.deliver(event);
    this.onPublish?.(event);
  }

  /** Tell this server's subscribers only (an event relayed from another replica). */
  deliver(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a slow or closed subscriber must not stop the others
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
