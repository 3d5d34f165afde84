import type { KubeClient } from "./client.js";
import { kubeError } from "./errors.js";

/** One environment's cluster: the client Railyard uses there, and one way to report its errors. */
export class KubeTarget {
  readonly server: string;
  private scrubText: (text: string) => string = (text) => text;

  constructor(readonly client: KubeClient) {
    this.server = client.server;
  }

  /** Removes secret values from every error message this target produces from now on. */
  setScrubber(scrub: (text: string) => string): void {
    this.scrubText = scrub;
  }

  scrub(text: string): string {
    return this.scrubText(text);
  }

  /** Runs a call and maps its failure to a typed error naming what was being done. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw kubeError(error, what, this.server, this.scrubText);
    }
  }
}
