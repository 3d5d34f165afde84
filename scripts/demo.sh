#!/usr/bin/env bash
# `make demo`: the local cluster "local" (started unless it already runs), the Railyard server with
# the sample app in examples/hello registered from a git repository, and one run of its pipeline:
# staging is deployed, production waits for an approval. `make demo-down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
railyard() { node bin/railyard.js "$@"; }

if ! kubeconfig=$(railyard cluster kubeconfig --name local --path 2>/dev/null); then
  railyard cluster up --name local --nodes 3
  kubeconfig=$(railyard cluster kubeconfig --name local --path)
fi
bin_dir=$(railyard cluster build 2>/dev/null | sed -n 's/^Control-plane binaries are ready in //p')
kubectl="$bin_dir/kubectl"

demo=$(pwd)/.railyard/demo
mkdir -p "$demo"

# The app lives in a git repository, as it would in a team: the server reads it from there.
repo="$demo/apps.git"
if [ ! -d "$repo" ]; then
  git init -q --bare -b main "$repo"
  work=$(mktemp -d)
  git init -q -b main "$work"
  cp examples/hello/railyard.yaml "$work/railyard.yaml"
  git -C "$work" add railyard.yaml
  git -C "$work" -c user.name=Demo -c user.email=demo@example.test commit -q -m "hello: first version"
  git -C "$work" push -q "$repo" HEAD:main
  rm -rf "$work"
fi

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
repositories:
  demo: { url: $repo }
apps:
  hello: { repository: demo, path: railyard.yaml, branch: main }
CONFIG
for ns in hello-staging hello; do
  "$kubectl" --kubeconfig "$kubeconfig" create namespace "$ns" --dry-run=client -o yaml \
    | "$kubectl" --kubeconfig "$kubeconfig" apply -f - >/dev/null
done
export DEMO_API_TOKEN=demo-token-not-a-secret
export RAILYARD_ADMIN_TOKEN=${RAILYARD_ADMIN_TOKEN:-ry_demo_admin}
port=${RAILYARD_PORT:-7700}
url="http://127.0.0.1:$port"

if [ -f "$demo/server.pid" ] && kill -0 "$(cat "$demo/server.pid")" 2>/dev/null; then
  echo "The demo server already runs (pid $(cat "$demo/server.pid"))."
else
  nohup node bin/railyard.js server --config "$demo/railyard.config.yaml" --port "$port" \
    >"$demo/server.log" 2>&1 &
  echo $! >"$demo/server.pid"
  for _ in $(seq 1 100); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "$url/readyz" >/dev/null || { cat "$demo/server.log"; exit 1; }
fi

railyard run hello --set version=1.1.0 --server "$url" --token "$RAILYARD_ADMIN_TOKEN"
sleep 3
railyard history hello --config "$demo/railyard.config.yaml" --env staging

cat <<TEXT

Railyard runs at $url (log: $demo/server.log); admin token: $RAILYARD_ADMIN_TOKEN
Open $url in a browser and sign in with that token: the overview, the pipeline graph, Approve.
The sample app "hello" is deployed to hello-staging; its pipeline waits for an approval before production.
  curl -s -H "Authorization: Bearer $RAILYARD_ADMIN_TOKEN" $url/api/v1/executions | head -c 600
  # approve: POST $url/api/v1/executions/<id>/stages/approve/approve
  export KUBECONFIG=$kubeconfig; $kubectl get pods -A
Stop: make demo-down
TEXT
