#!/usr/bin/env bash
# Make sure a Docker engine is installed and running on this (Debian) machine. Idempotent and quick:
#   - installs docker.io and debootstrap from Debian when missing (one apt-get update),
#   - starts dockerd in the background when `docker info` does not answer (log: /var/log/kubebin-dockerd.log),
#   - waits until `docker info` works.
set -euo pipefail

log() { echo "==> [docker] $*"; }
LOG=/var/log/kubebin-dockerd.log

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ((${#missing[@]})); then
  log "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "dockerd is running ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi

if ! pgrep -x dockerd >/dev/null; then
  log "starting dockerd in the background (log: $LOG)"
  # setsid: detach from make's process group so the daemon survives the calling shell.
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is up ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
