#!/usr/bin/env bash
# `make demo`: the local cluster "local", started unless it already runs. Grows with Railyard:
# the server, the UI and a sample app deploy join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
railyard() { node bin/railyard.js "$@"; }

if kubeconfig=$(railyard cluster kubeconfig --name local --path 2>/dev/null); then
  echo "The local cluster is already running."
  echo "  export KUBECONFIG=$kubeconfig"
  echo "  kubectl get nodes"
  echo "Stop it with: make demo-down"
else
  railyard cluster up --name local --nodes 3
fi
