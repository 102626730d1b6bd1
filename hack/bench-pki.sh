#!/usr/bin/env bash
# Benchmark (not a test): generate the whole PKI with the pki role for a 3-node and a 100-node inventory and
# print the wall time of the first (create) and second (no change) run. Targets: < 5 s (3 nodes), < 30 s (100).
# Usage: hack/bench-pki.sh [node counts...]   (default: 3 100)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections" ANSIBLE_FORCE_COLOR=0
make -s collection-link
work=$(mktemp -d /tmp/kubebin-bench-pki.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/play.yml" <<'PLAY'
- name: Bench the pki role
  hosts: all
  gather_facts: false
  roles:
    - role: kubebin.cluster.pki
PLAY
for n in "${@:-3 100}"; do
  for count in $n; do
    inv="$work/inv-$count.yml"
    # 3 masters (1 for the 3-node case), 5 etcd members (3), the rest workers; node IPs 10.0.x.y
    python3 - "$count" > "$inv" <<'PY'
import sys
n = int(sys.argv[1])
hosts = ['node%03d' % i for i in range(n)]
masters = hosts[:1] if n <= 3 else hosts[:3]
etcd = hosts[:3] if n <= 3 else hosts[:5]
print('all:\n  hosts:')
for i, h in enumerate(hosts):
    print('    %s: {kubebin_node_ip: 10.0.%d.%d, ansible_connection: local}' % (h, i // 250, i % 250 + 1))
print('  children:')
for group, members in (('etcd', etcd), ('kube_control_plane', masters), ('kube_node', hosts[len(masters):])):
    print('    %s:\n      hosts:' % group)
    for h in members:
        print('        %s:' % h)
PY
    for run in create unchanged; do
      start=$(date +%s.%N)
      ansible-playbook -i "$inv" "$work/play.yml" -e "kubebin_pki_dir=$work/pki-$count/pki" \
        -e "ansible_python_interpreter=$(command -v python3)" > "$work/log" 2>&1 || { cat "$work/log"; exit 1; }
      end=$(date +%s.%N)
      certs=$(find "$work/pki-$count/pki" -name '*.crt' | wc -l)
      printf '%4d nodes  %-9s  %6.2f s  (%d certificates; %s)\n' "$count" "$run" "$(echo "$end - $start" | bc)" \
        "$certs" "$(grep -Eo 'node000 +: ok=[0-9]+ +changed=[0-9]+' "$work/log" | tr -s ' ')"
    done
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
