#!/usr/bin/env bash
# Benchmark of site.yml on the lab (not a timed test): three FRESH lab nodes (inventory/lab, the containers of
# `make lab`, which this REPLACES) and a fresh control-node PKI, with the warm bundle of `make bundle`.
# Prints the wall time of the first run, then the wall time and the changed count of a second run.
# Targets on the reference machine (2 cores): first run < 6 min, second run < 60 s with changed=0.
#   hack/bench-site.sh [--keep]     --keep: leave the lab running afterwards (default: tear it down)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/.venv/bin
INV=inventory/lab
LOGDIR=${KUBEBIN_CACHE:-/var/cache/kubebin}/logs
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.cache/collections
export ANSIBLE_FORCE_COLOR=0
export ANSIBLE_PIPELINING=${ANSIBLE_PIPELINING:-1}
keep=false
[[ ${1:-} == --keep ]] && keep=true

log() { echo "==> [bench] $*"; }

# Sum of changed=N over the PLAY RECAP lines of an ansible-playbook log; fails when a host failed.
recap() {
  local file=$1
  if grep -E '^\S+\s+: ok=' "$file" | grep -vqE 'failed=0 .*unreachable=0|unreachable=0 .*failed=0'; then
    grep -E '^\S+\s+: ok=' "$file" >&2
    return 1
  fi
  grep -E '^\S+\s+: ok=' "$file" | sed -E 's/.*changed=([0-9]+).*/\1/' | awk '{s += $1} END {print s + 0}'
}

run_site() {
  local name=$1 start end
  start=$(date +%s.%N)
  "$BIN"/ansible-playbook -i "$INV" site.yml >"$LOGDIR/bench-site-$name.log" 2>&1 || {
    tail -n 40 "$LOGDIR/bench-site-$name.log" >&2
    log "site.yml ($name run) failed; log: $LOGDIR/bench-site-$name.log"
    exit 1
  }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

mkdir -p "$LOGDIR"
if [[ ! -f ${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle/SHA256SUMS ]]; then
  log "no bundle in ${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle: run make bundle first (the benchmark assumes it is warm)"
  exit 1
fi

log "fresh lab: removing the lab nodes and the lab PKI ($INV/.kubebin)"
hack/lab.sh down >/dev/null
rm -rf "$INV/.kubebin"
"$BIN"/ansible-playbook -i "$INV" molecule/shared/create.yml >"$LOGDIR/bench-site-create.log" 2>&1

log "first run of site.yml (log: $LOGDIR/bench-site-first.log)"
first=$(run_site first)
first_changed=$(recap "$LOGDIR/bench-site-first.log")
log "second run of site.yml (log: $LOGDIR/bench-site-second.log)"
second=$(run_site second)
second_changed=$(recap "$LOGDIR/bench-site-second.log")

echo
printf '%-44s %8s s   (target < 360 s)\n' "site.yml first run, 3 fresh lab nodes:" "$first"
printf '%-44s %8s s   (target < 60 s)\n' "site.yml second run:" "$second"
printf '%-44s %8s     (target 0; first run: %s)\n' "site.yml second run, changed tasks:" "$second_changed" "$first_changed"

if $keep; then
  hack/lab.sh status
else
  log "tearing the lab down (--keep leaves it running)"
  hack/lab.sh down >/dev/null
fi
[[ $second_changed == 0 ]]
