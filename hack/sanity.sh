#!/usr/bin/env bash
# ansible-test sanity, run offline from a tree shaped ansible_collections/kubebin/cluster.
# ansible-test wants to download a pip bootstrap script; with no internet we put a small stand-in in its cache
# that uses ensurepip instead (the machines this runs on reach PyPI but not bootstrap.pypa.io).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-$PWD/.venv}
work=${KUBEBIN_SANITY_DIR:-$PWD/.cache/sanity}

if ! command -v shellcheck >/dev/null; then
  echo "==> [sanity] installing shellcheck (Debian package) so shell scripts are checked too"
  apt-get install -y -qq shellcheck >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; }
fi
echo "==> [sanity] preparing offline pip bootstrap stand-in"
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
for name in get_pip_24_2.py get_pip_25_0_1.py get_pip_25_1_1.py get_pip.py; do
  cat > "$cache/$name" <<'PY'
"""Offline stand-in for get-pip.py: bootstrap pip with ensurepip, then install what was asked."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
done

echo "==> [sanity] copying the collection into $work/ansible_collections/kubebin/cluster"
dest=$work/ansible_collections/kubebin/cluster
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents -P {} "$dest"/ 2>/dev/null || true
cd "$dest"
git init -q . && git add -A >/dev/null && git -c user.email=ci@kubebin -c user.name=ci commit -qm sanity
echo "==> [sanity] ansible-test sanity --python 3.11 (tests in isolated venvs)"
"$venv/bin/ansible-test" sanity --python 3.11 --venv --requirements --color no "$@"
