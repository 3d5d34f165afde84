/** The control-plane versions Railyard builds; the Go wrapper modules under tools/cluster/go pin the same. */
export const KUBERNETES_VERSION = "v1.36.2";
export const ETCD_VERSION = "v3.6.10";
export const KWOK_VERSION = "v0.8.0";

/** The Go toolchain the wrapper modules declare (`go 1.26.0`). */
export const MINIMUM_GO = { major: 1, minor: 26 } as const;

export const BINARY_NAMES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "kwok",
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];
