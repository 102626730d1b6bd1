#!/usr/bin/env bash
# The local lab: systemd containers shaped like the Molecule nodes, from one of two inventories (LAB=...):
#   (empty)  inventory/lab      the tutorial's three machines (master01, node01, node02)
#   ha       inventory/lab-ha   three control-plane hosts (master01..03, also etcd and Nodes) + node01, node02
#   hack/lab.sh up     create network + nodes (molecule/shared/create.yml), run site.yml, print a summary
#   hack/lab.sh down   remove every lab node (whichever layout), their /var volumes and the network
#                      (molecule/shared/destroy.yml)
# `make lab [LAB=ha]` runs the prerequisites first (venv, docker engine, host sysctls, lab image, bundle).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${VENV:-$ROOT/.venv}/bin
case ${LAB:-} in
  "") INV=inventory/lab ;;
  ha) INV=inventory/lab-ha ;;
  *) echo "unknown LAB='$LAB': use no LAB (the 3-machine lab) or LAB=ha" >&2; exit 2 ;;
esac
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.cache/collections
export ANSIBLE_CALLBACK_RESULT_FORMAT=${ANSIBLE_CALLBACK_RESULT_FORMAT:-yaml}

log() { echo "==> [lab] $*"; }

# One line per inventory host: name, container, address, kubebin groups (comma-separated).
hosts_of_inventory() {
  "$BIN"/ansible-inventory -i "$INV" --list | "$BIN"/python -c '
import json, sys
inv = json.load(sys.stdin)
hostvars = inv["_meta"]["hostvars"]
for name in sorted(hostvars):
    groups = [g for g in ("etcd", "kube_control_plane", "kube_node") if name in inv.get(g, {}).get("hosts", [])]
    print(name, hostvars[name].get("ansible_host", name), hostvars[name].get("kubebin_node_ip", "-"), ",".join(groups))
'
}

# The lab containers that exist now (any layout): label owner=kubebin-lab on the network kubebin-lab.
existing_nodes() {
  docker ps -a --filter label=owner=kubebin-lab --filter network=kubebin-lab --format '{{.Names}}' | sort
}

summary() {
  local kubeconfig kubectl hosts first others worker_ip
  hosts=$(hosts_of_inventory)
  first=$(awk 'NR == 1 {print $2}' <<<"$hosts")
  others=$(awk 'NR > 1 {printf "%s%s", sep, $2; sep = " "}' <<<"$hosts")
  # A worker (kube_node, not control plane) serves the NodePort; the first one is named.
  worker_ip=$(awk '$4 ~ /kube_node/ && $4 !~ /kube_control_plane/ {print $3; exit}' <<<"$hosts")
  kubeconfig=$(find "$INV/.kubebin" -name admin.kubeconfig 2>/dev/null | sort | head -n1 || true)
  # kubectl: the one on PATH, else the bundle's (same version as the cluster).
  kubectl=$(command -v kubectl || true)
  [[ -n $kubectl ]] || kubectl=${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle/bin/kubectl
  echo
  log "lab nodes ($INV):"
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
    log "  the web Service: curl http://$worker_ip:30080/  (NodePort on every node)"
  elif [[ -n $kubeconfig ]]; then
    log "kubeconfig: $ROOT/$kubeconfig (kubectl is on the control plane: docker exec $first kubectl get nodes)"
  else
    log "no admin kubeconfig yet (site.yml did not reach the control plane)"
  fi
  log "shell on a node: docker exec -it $first bash   (also ${others// /, })"
  log "re-run (changes nothing on a healthy lab): make lab${LAB:+ LAB=$LAB}     operations: docs/operations.md"
  log "tear down: make lab-destroy"
}

case ${1:-} in
  up)
    wanted=$(hosts_of_inventory | awk '{print $2}' | sort)
    foreign=$(comm -23 <(existing_nodes) <(echo "$wanted"))
    if [[ -n $foreign ]]; then
      echo "==> [lab] another lab layout exists (${foreign//$'\n'/ }): run make lab-destroy first" >&2
      exit 1
    fi
    log "step 1/2: lab nodes of $INV (molecule/shared/create.yml)"
    "$BIN"/ansible-playbook -i "$INV" molecule/shared/create.yml
    log "step 2/2: site.yml on the lab inventory"
    "$BIN"/ansible-playbook -i "$INV" site.yml
    summary
    ;;
  down)
    log "removing every lab node ($(existing_nodes | tr '\n' ' ')), their volumes and the network"
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
