import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
} from "@kubernetes/client-node";
import { kubeError } from "./errors.js";

/** One environment's cluster: the clients Railyard uses there, and one way to report their errors. */
export class KubeTarget {
  readonly server: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly networking: NetworkingV1Api;
  readonly objects: KubernetesObjectApi;
  private scrubText: (text: string) => string = (text) => text;

  constructor(readonly kc: KubeConfig) {
    this.server = kc.getCurrentCluster()?.server ?? "(unknown server)";
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
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
