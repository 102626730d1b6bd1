#!/usr/bin/env bash
# The local lab: three systemd containers (inventory/lab) shaped like the Molecule nodes.
#   hack/lab.sh up     create network + nodes (molecule/shared/create.yml), run site.yml, print a summary
#   hack/lab.sh down   remove nodes, their /var volumes and the network (molecule/shared/destroy.yml)
# `make lab` runs the prerequisites first (venv, docker engine, host sysctls, lab image, bundle).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/.venv/bin
INV=inventory/lab
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.cache/collections
export ANSIBLE_CALLBACK_RESULT_FORMAT=${ANSIBLE_CALLBACK_RESULT_FORMAT:-yaml}

log() { echo "==> [lab] $*"; }

summary() {
  local kubeconfig kubectl
  kubeconfig=$(find "$INV/.kubebin" -name admin.kubeconfig 2>/dev/null | sort | head -n1 || true)
  # kubectl: the one on PATH, else the bundle's (same version as the cluster).
  kubectl=$(command -v kubectl || true)
  [[ -n $kubectl ]] || kubectl=${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle/bin/kubectl
  echo
  log "lab nodes:"
  docker ps --filter label=owner=kubebin-lab --filter network=kubebin-lab \
    --format '    {{.Names}}\t{{.Status}}' | sort
  if [[ -n $kubeconfig && -x $kubectl ]]; then
    echo
    log "kubectl --kubeconfig $ROOT/$kubeconfig get nodes -o wide"
    "$kubectl" --kubeconfig "$kubeconfig" get nodes -o wide || true
    echo
    log "smoke test (namespace kubebin-smoke):"
    "$kubectl" --kubeconfig "$kubeconfig" -n kubebin-smoke get pods,svc -o wide 2>/dev/null || true
    echo
    log "addons: CoreDNS and metrics-server (kubectl top nodes; docs/addons.md)"
    "$kubectl" --kubeconfig "$kubeconfig" -n kube-system get deployments 2>/dev/null || true
    "$kubectl" --kubeconfig "$kubeconfig" top nodes 2>/dev/null || true
    echo
    log "kubeconfig (cluster admin): $ROOT/$kubeconfig"
    log "  export KUBECONFIG=$ROOT/$kubeconfig; $kubectl get pods -A"
    log "  the web Service: curl http://172.30.0.12:30080/  (NodePort on every node)"
  elif [[ -n $kubeconfig ]]; then
    log "kubeconfig: $ROOT/$kubeconfig (kubectl is on master01: docker exec kubebin-lab-master01 kubectl get nodes)"
  else
    log "no admin kubeconfig yet (site.yml did not reach the control plane)"
  fi
  log "shell on a node: docker exec -it kubebin-lab-master01 bash   (also kubebin-lab-node01, kubebin-lab-node02)"
  log "re-run (changes nothing on a healthy lab): make lab     operations: docs/operations.md"
  log "tear down: make lab-destroy"
}

case ${1:-} in
  up)
    log "step 1/2: lab nodes (molecule/shared/create.yml)"
    "$BIN"/ansible-playbook -i "$INV" molecule/shared/create.yml
    log "step 2/2: site.yml on the lab inventory"
    "$BIN"/ansible-playbook -i "$INV" site.yml
    summary
    ;;
  down)
    log "removing lab nodes, their volumes and the network"
    "$BIN"/ansible-playbook -i "$INV" molecule/shared/destroy.yml
    ;;
  status)
    summary
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
