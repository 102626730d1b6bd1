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

log "the images' programs run and report their tag's version"
values="${here}/../../roles/kubebin/defaults/main.yml"
for name in coredns metrics_server dnsclient webserver; do
  image="$(sed -n "s/^kubebin_${name}_image: *//p" "${values}")"
  flag=-version; [[ ${name} == metrics_server ]] && flag=--version
  said="$(docker run --rm --network none "${image}" "${flag}")"
  tag="${image##*:}"
  [[ ${said} == *"${tag#v}"* ]] || { echo "${image} ${flag} says '${said}'" >&2; exit 1; }
  log "${image}: ${said//$'\n'/ }"
done

log "CoreDNS answers the DNS client (in CoreDNS's network namespace, an answer from its hosts plugin)"
cfg="$(mktemp -d /tmp/kubebin-coredns.XXXXXX)"
printf '.:1053 {\n    hosts {\n        192.0.2.53 acceptance.kubebin.test\n    }\n}\n' > "${cfg}/Corefile"
chmod -R a+rX "${cfg}"
dns="kubebin-acceptance-coredns-$$"
docker run -d --rm --name "${dns}" --network none -v "${cfg}:/cfg:ro" \
  "$(sed -n 's/^kubebin_coredns_image: *//p' "${values}")" -conf /cfg/Corefile >/dev/null
answer=""
for _ in $(seq 20); do
  answer="$(docker run --rm --network "container:${dns}" "$(sed -n 's/^kubebin_dnsclient_image: *//p' "${values}")" \
    -server 127.0.0.1:1053 -timeout 1s acceptance.kubebin.test. 2>&1)" && break
  sleep 0.5
done
docker rm -f "${dns}" >/dev/null
rm -rf "${cfg}"
[[ ${answer} == "acceptance.kubebin.test. 192.0.2.53" ]] || { echo "CoreDNS answered '${answer}'" >&2; exit 1; }
log "CoreDNS answered: ${answer}"

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
