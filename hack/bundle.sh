#!/usr/bin/env bash
# Build (or verify) the offline artifact bundle in ${KUBEBIN_CACHE:-/var/cache/kubebin}/bundle.
# Versions come from roles/artifacts/defaults/main.yml only. See docs/artifacts.md.
#   KUBEBIN_BUNDLE_SOURCE=source|release   (default source: build from the upstream Go modules)
# Options (hack/bundle.sh --help): --source, --mirror FROM=TO and --release-sha256 FILE=SHA256 (release source),
# --verify-versions.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="${PATH}:/usr/local/go/bin"
py=python3
if [[ -x "${here}/../.venv/bin/python" ]]; then py="${here}/../.venv/bin/python"; fi
if ! "${py}" -c 'import yaml' 2>/dev/null; then
  echo "==> [bundle] ERROR: ${py} has no PyYAML (run 'make venv' or apt-get install python3-yaml)" >&2
  exit 1
fi
exec "${py}" "${here}/bundle/bundle.py" "$@"
