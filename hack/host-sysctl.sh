#!/usr/bin/env bash
# Host kernel settings the lab needs (docs/lab.md). Kubelet inside a lab container tries to write
# vm.overcommit_memory, vm.panic_on_oom, kernel.panic, kernel.panic_on_oops and the kernel.keys quotas; these are
# not namespaced, so the host must already hold the values kubelet wants (then kubelet does not need to write).
# Bridged container traffic must traverse iptables (kube-proxy, flannel) and be forwarded.
# Idempotent: only writes values that differ.
set -euo pipefail

log() { echo "==> [host-sysctl] $*"; }

# Kernel modules: best effort (this kind of machine may have them built in and no /lib/modules).
present() { # overlay: a registered filesystem; br_netfilter: its sysctl directory
  case $1 in
    overlay) grep -qw overlay /proc/filesystems ;;
    br_netfilter) [[ -d /proc/sys/net/bridge ]] ;;
  esac
}
for mod in overlay br_netfilter; do
  present "$mod" && continue
  if command -v modprobe >/dev/null 2>&1 && modprobe "$mod" 2>/dev/null; then
    log "loaded module $mod"
  else
    log "module $mod not loadable here (built in or unavailable); continuing"
  fi
done

settings=(
  vm.overcommit_memory=1
  vm.panic_on_oom=0
  kernel.panic=10
  kernel.panic_on_oops=1
  kernel.keys.root_maxkeys=1000000
  kernel.keys.root_maxbytes=25000000
  net.ipv4.ip_forward=1
  net.bridge.bridge-nf-call-iptables=1
  net.bridge.bridge-nf-call-ip6tables=1
)

changed=0
for kv in "${settings[@]}"; do
  key=${kv%%=*} want=${kv#*=}
  path=/proc/sys/${key//.//}
  if [[ ! -e $path ]]; then
    log "WARNING: $key does not exist on this kernel; skipped"
    continue
  fi
  have=$(<"$path")
  if [[ $have != "$want" ]]; then
    echo "$want" >"$path"
    log "$key: $have -> $want"
    changed=1
  fi
done
((changed)) || log "all ${#settings[@]} sysctls already set"
