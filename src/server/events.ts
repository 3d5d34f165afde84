/** What changed, for live views (server-sent events): small, with ids to re-read the details. */
export type LiveEvent =
  | { type: "execution"; id: string; app: string; status: string; message?: string | null }
  | { type: "stage"; execution: string; app: string; stage: string; status: string; message?: string | null }
  | { type: "progress"; execution: string; app: string; stage: string; line: string }
  | { type: "audit"; id: number; action: string; app: string | null };

/** In-process fan-out of live events to the server's subscribers. */
export class EventBus {
  private readonly listeners = new Set<(event: LiveEvent) => void>();

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: LiveEvent): void {
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
