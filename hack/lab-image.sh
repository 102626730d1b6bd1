#!/usr/bin/env bash
# Build the lab node image kubebin/lab-node:bookworm (docs/lab.md): Debian 12 minbase + systemd + python3
# and the packages every node needs, with hack/lab-image/kubebin-lab-init as its command.
# Cached twice: the debootstrap tarball under $KUBEBIN_CACHE/lab-image (keyed by suite, mirror and package list),
# and the image itself (label kubebin.build-hash = hash of this script and hack/lab-image/*). Quick when both match.
#   hack/lab-image.sh [--force]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=${KUBEBIN_LAB_IMAGE:-kubebin/lab-node:bookworm}
SUITE=bookworm
MIRROR=${KUBEBIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${KUBEBIN_CACHE:-/var/cache/kubebin}/lab-image
# systemd + python3 for Ansible; python3-apt for ansible.builtin.apt; the rest is what every Kubernetes node
# installs anyway (the prepare role still declares them) so that tests do not download them on each run. ufw is
# installed (inactive, as Debian ships it) so the cluster scenarios can run behind a default-deny firewall.
PACKAGES=(systemd systemd-sysv dbus python3 python3-apt iproute2 iputils-ping ca-certificates procps kmod curl
  iptables conntrack socat ipset chrony ufw)

log() { echo "==> [lab-image] $*"; }

build_hash=$(cat "$0" "$HERE"/lab-image/* | sha256sum | cut -c1-16)
rootfs_key=$(printf '%s\n' "$SUITE" "$MIRROR" "${PACKAGES[@]}" | sha256sum | cut -c1-16)
tarball=$CACHE/rootfs-$SUITE-$rootfs_key.tar

have=$(docker image inspect --format '{{ index .Config.Labels "kubebin.build-hash" }}' "$IMAGE" 2>/dev/null || true)
if [[ ${1:-} != --force && $have == "$build_hash" ]]; then
  log "$IMAGE is up to date (build hash $build_hash)"
  exit 0
fi

if [[ ! -s $tarball ]]; then
  command -v debootstrap >/dev/null || { log "debootstrap is missing: run hack/docker-engine.sh" >&2; exit 1; }
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log "debootstrap $SUITE minbase into $work (about 70-90 s)"
  debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$work/root" "$MIRROR" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  # Slim down and make the image neutral: no package cache, no machine-id (systemd creates one per container).
  rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/log/*.log
  : >"$work/root/etc/machine-id"
  tar -C "$work/root" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  log "cached $tarball ($(du -h "$tarball" | cut -f1))"
fi

base=kubebin/lab-node:rootfs-$rootfs_key
if ! docker image inspect "$base" >/dev/null 2>&1; then
  log "docker import $tarball as $base"
  docker import "$tarball" "$base" >/dev/null
fi

log "adding hack/lab-image/* and committing $IMAGE"
cid=$(docker create "$base" /bin/true)
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
docker cp "$HERE/lab-image/kubebin-lab-init" "$cid:/usr/local/sbin/kubebin-lab-init"
docker commit \
  --change 'CMD ["/usr/local/sbin/kubebin-lab-init"]' \
  --change 'ENV container=docker' \
  --change "LABEL kubebin.build-hash=$build_hash" \
  "$cid" "$IMAGE" >/dev/null
log "built $IMAGE (build hash $build_hash)"
