#!/usr/bin/env bash
# Benchmark of site.yml over cluster sizes on FRESH lab containers (not a timed test; docs/operations.md keeps the
# results). For each topology C+W (C control-plane hosts, W workers; etcd on the control plane, or on the first
# three hosts when there is one control-plane host, as in the tutorial) it
#   1. creates the nodes plus one spare worker on the lab network (this REPLACES `make lab`) with a fresh PKI,
#   2. times the first site.yml run, then a second run (its changed count must be 0),
#   3. adds the spare worker with playbooks/add-node.yml and reports what changed on every host,
# and prints each run's wall time and the controller's peak memory (every process of the run: ansible-playbook,
# its forks and the docker CLI calls of the connection). Needs the warm bundle of `make bundle`.
#   hack/bench-site.sh [--keep] [TOPOLOGY...]     default topologies: 1+2 1+5 (with three masters, e.g. 3+2 or
#   3+5, the local API load balancer is on)
#   --keep: leave the last topology running (default: tear it down)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=$ROOT/.venv/bin
CACHE=${KUBEBIN_CACHE:-/var/cache/kubebin}
LOGDIR=$CACHE/logs/bench
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.cache/collections
export ANSIBLE_FORCE_COLOR=0
# each log ends with its 25 slowest tasks
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=25
keep=false
topologies=()
for arg in "$@"; do
  case $arg in
    --keep) keep=true ;;
    [1-9]+[0-9]*) topologies+=("$arg") ;;
    *) echo "usage: $0 [--keep] [C+W ...]   (e.g. 1+2 1+5 3+5)" >&2; exit 2 ;;
  esac
done
((${#topologies[@]})) || topologies=(1+2 1+5)

log() { echo "==> [bench] $*"; }

# The inventory of topology C+W in directory $1: hosts.yml (the spare worker in no kubebin group) and add.yml (the
# spare worker in kube_node); group_vars are the lab's. Addresses: control plane 172.30.0.11.., workers 172.30.0.21..
write_inventory() {
  local dir=$1 c=$2 w=$3 i file etcd=() cps=() nodes=() spare
  mkdir -p "$dir"
  ln -sfn "$ROOT/inventory/lab/group_vars" "$dir/group_vars"
  for ((i = 1; i <= c; i++)); do cps+=("$(printf master%02d "$i")"); done
  for ((i = 1; i <= w; i++)); do nodes+=("$(printf node%02d "$i")"); done
  spare=$(printf node%02d $((w + 1)))
  if ((c >= 3)); then etcd=("${cps[@]}"); else etcd=("${cps[@]}" "${nodes[@]}"); etcd=("${etcd[@]:0:3}"); fi
  for file in hosts add; do
    {
      echo "# hack/bench-site.sh topology $c+$w ($file.yml)"
      echo "all:"
      echo "  children:"
      echo "    etcd:"
      echo "      hosts:"
      printf '        %s:\n' "${etcd[@]}"
      echo "    kube_control_plane:"
      echo "      hosts:"
      printf '        %s:\n' "${cps[@]}"
      echo "    kube_node:"
      echo "      hosts:"
      printf '        %s:\n' "${nodes[@]}"
      if [[ $file == add ]]; then
        printf '        %s:\n' "$spare"
      else
        echo "    spare:"
        echo "      hosts:"
        printf '        %s:\n' "$spare"
      fi
      echo "  hosts:"
      for ((i = 1; i <= c; i++)); do
        printf '    master%02d: {ansible_host: kubebin-lab-master%02d, kubebin_node_ip: 172.30.0.%d}\n' "$i" "$i" $((10 + i))
      done
      for ((i = 1; i <= w + 1; i++)); do
        printf '    node%02d: {ansible_host: kubebin-lab-node%02d, kubebin_node_ip: 172.30.0.%d}\n' "$i" "$i" $((20 + i))
      done
    } >"$dir/$file.yml"
  done
}

# Run ansible-playbook (arguments after the log file) with its output in the log; sets `wall` (s) and `peak_mb` (the
# largest sum of RSS over every process of the run, sampled every 0.2 s). Fails with the log's tail when it fails.
timed() {
  local logfile=$1 start end pid peak=0 rss
  shift
  start=$(date +%s.%N)
  setsid "$BIN"/ansible-playbook "$@" >"$logfile" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(ps -o rss= -s "$pid" 2>/dev/null | awk '{s += $1} END {print s + 0}')
    ((rss > peak)) && peak=$rss
    sleep 0.2
  done
  if ! wait "$pid"; then
    tail -n 40 "$logfile" >&2
    log "ansible-playbook $* failed; log: $logfile"
    exit 1
  fi
  end=$(date +%s.%N)
  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
  peak_mb=$((peak / 1024))
}

# "host=N ..." from the changed=N of a log's PLAY RECAP; fails when a host failed or was unreachable.
changed_per_host() {
  local file=$1
  if grep -E '^\S+\s+: ok=' "$file" | grep -vqE 'unreachable=0 +failed=0'; then
    grep -E '^\S+\s+: ok=' "$file" >&2
    return 1
  fi
  grep -E '^\S+\s+: ok=' "$file" | sed -E 's/^(\S+)\s+: .*changed=([0-9]+).*/\1=\2/' | tr '\n' ' '
}
sum_changed() { tr ' ' '\n' <<<"$1" | awk -F= 'NF == 2 {s += $2} END {print s + 0}'; }

if [[ ! -f $CACHE/bundle/SHA256SUMS ]]; then
  log "no bundle in $CACHE/bundle: run make bundle first (the benchmark assumes it is warm)"
  exit 1
fi
mkdir -p "$LOGDIR"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
results=()
last_inv=
for topo in "${topologies[@]}"; do
  c=${topo%+*}
  w=${topo#*+}
  inv=$LOGDIR/$topo
  spare=$(printf node%02d $((w + 1)))
  log "topology $topo: removing the lab and earlier benchmark nodes, then creating $c + $w + 1 spare fresh nodes"
  if [[ -n $last_inv ]]; then "$BIN"/ansible-playbook -i "$last_inv/add.yml" molecule/shared/destroy.yml >/dev/null; fi
  hack/lab.sh down >/dev/null
  rm -rf "$inv"
  write_inventory "$inv" "$c" "$w"
  "$BIN"/ansible-playbook -i "$inv/hosts.yml" molecule/shared/create.yml >"$inv/create.log" 2>&1
  last_inv=$inv

  log "topology $topo: first run of site.yml (log: $inv/first.log)"
  timed "$inv/first.log" -i "$inv/hosts.yml" site.yml
  first=$wall first_mb=$peak_mb
  first_changed=$(sum_changed "$(changed_per_host "$inv/first.log")")

  log "topology $topo: second run of site.yml (log: $inv/second.log)"
  timed "$inv/second.log" -i "$inv/hosts.yml" site.yml
  second=$wall second_mb=$peak_mb
  second_changed=$(sum_changed "$(changed_per_host "$inv/second.log")")

  log "topology $topo: add the worker $spare with playbooks/add-node.yml (log: $inv/add.log)"
  timed "$inv/add.log" -i "$inv/add.yml" playbooks/add-node.yml --limit "$spare,kube_control_plane"
  add=$wall add_mb=$peak_mb
  add_changes=$(changed_per_host "$inv/add.log")

  results+=("$(printf '%-5s first %6.1f s (changed %s, peak %s MiB) | re-run %5.1f s (changed %s, peak %s MiB) | add %s %5.1f s (peak %s MiB; changed: %s)' \
    "$topo" "$first" "$first_changed" "$first_mb" "$second" "$second_changed" "$second_mb" "$spare" "$add" "$add_mb" "$add_changes")")
  log "${results[-1]}"
  if [[ $second_changed != 0 ]]; then
    log "topology $topo: the second run changed $second_changed tasks (must be 0); log: $inv/second.log"
    exit 1
  fi
done

echo
log "results ($(date -u +%F), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, load average at the start: $load_start; logs in $LOGDIR):"
printf '    %s\n' "${results[@]}"

if $keep; then
  log "the last topology keeps running: inventory $last_inv/add.yml"
else
  log "tearing the benchmark nodes down (--keep leaves them running)"
  "$BIN"/ansible-playbook -i "$last_inv/add.yml" molecule/shared/destroy.yml >/dev/null
fi
