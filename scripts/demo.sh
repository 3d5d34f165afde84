#!/usr/bin/env bash
# `make demo`: the local cluster "local" (started unless it already runs), then the sample app in
# examples/hello deployed to it twice, so `railyard history` has something to show. The server and
# the UI join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
railyard() { node bin/railyard.js "$@"; }

if ! kubeconfig=$(railyard cluster kubeconfig --name local --path 2>/dev/null); then
  railyard cluster up --name local --nodes 3
  kubeconfig=$(railyard cluster kubeconfig --name local --path)
fi
bin_dir=$(railyard cluster build 2>/dev/null | sed -n 's/^Control-plane binaries are ready in //p')
kubectl="$bin_dir/kubectl"

demo=.railyard/demo
mkdir -p "$demo"
cat > "$demo/railyard.config.yaml" <<CONFIG
environments:
  staging:
    cluster: { kubeconfig: $kubeconfig }
    namespace: hello-staging
    domain: staging.example.test
    imagePolicy: tag   # the demo image lives in no registry; kwok never pulls it
    config: { greeting: "hello from staging" }
    secrets: { api-token: { fromEnv: DEMO_API_TOKEN } }
  production:
    cluster: { kubeconfig: $kubeconfig }
    namespace: hello
    domain: example.test
    imagePolicy: tag
    config: { greeting: "hello" }
    secrets: { api-token: { fromEnv: DEMO_API_TOKEN } }
CONFIG
"$kubectl" --kubeconfig "$kubeconfig" create namespace hello-staging --dry-run=client -o yaml \
  | "$kubectl" --kubeconfig "$kubeconfig" apply -f - >/dev/null
export DEMO_API_TOKEN=demo-token-not-a-secret

app=(-f examples/hello/railyard.yaml --config "$demo/railyard.config.yaml" --env staging)
railyard deploy "${app[@]}" --set version=1.0.0
railyard deploy "${app[@]}" --set version=1.1.0
railyard history hello --config "$demo/railyard.config.yaml" --env staging
railyard status hello --config "$demo/railyard.config.yaml" --env staging

cat <<TEXT

The local cluster runs; the sample app "hello" is deployed to namespace hello-staging.
  export KUBECONFIG=$kubeconfig
  $kubectl get pods -n hello-staging
Try:  node bin/railyard.js rollback hello --config $demo/railyard.config.yaml --env staging
Stop: make demo-down
TEXT
