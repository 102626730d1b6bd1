#!/usr/bin/env bash
# Acceptance checks of a built bundle: checksums, every binary's version, and both image tarballs
# loaded into docker and into a throwaway containerd (the bundle's own containerd + ctr, temporary root, state
# and socket; nothing of the host's containerd is touched).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle"
log() { echo "==> [bundle-acceptance] $*"; }

log "sha256sum -c SHA256SUMS"
(cd "${bundle}" && sha256sum --quiet -c SHA256SUMS)
log "$(wc -l < "${bundle}/SHA256SUMS") files match SHA256SUMS"

log "version of every binary"
"${here}/../bundle.sh" --verify-versions

log "docker load"
for tar in "${bundle}"/images/*.tar; do docker load -i "${tar}"; done

log "ctr -n k8s.io images import into a throwaway containerd"
tmp="$(mktemp -d /tmp/kubebin-ctr.XXXXXX)"
cleanup() { [[ -n "${pid:-}" ]] && kill "${pid}" 2>/dev/null && wait "${pid}" 2>/dev/null; rm -rf "${tmp}"; }
trap cleanup EXIT
cat > "${tmp}/config.toml" <<TOML
version = 3
root = "${tmp}/root"
state = "${tmp}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
[grpc]
  address = "${tmp}/containerd.sock"
[ttrpc]
  address = "${tmp}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
"${bundle}/bin/containerd" --config "${tmp}/config.toml" > "${tmp}/containerd.log" 2>&1 &
pid=$!
for _ in $(seq 50); do [[ -S "${tmp}/containerd.sock" ]] && break; sleep 0.2; done
ctr=("${bundle}/bin/ctr" --address "${tmp}/containerd.sock" -n k8s.io)
for tar in "${bundle}"/images/*.tar; do "${ctr[@]}" images import "${tar}"; done
"${ctr[@]}" images ls -q
log "all checks passed"
