# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the artifacts role: the bundle's SHA256SUMS, and the entries of what a host receives."""

from __future__ import annotations

import posixpath
import re

from ansible.errors import AnsibleFilterError

_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S+)$")


def sha256sums(text):
    """{relative path: sha256} of a SHA256SUMS file's text (``sha256sum`` output, text or binary mode)."""
    sums = {}
    for number, line in enumerate(str(text).splitlines(), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line.strip())
        if not match:
            raise AnsibleFilterError(f"SHA256SUMS line {number} is not '<sha256>  <path>': {line!r}")
        sums[match.group(2)] = match.group(1)
    return sums


def artifact_files(binaries, images, sums, bundle_dir, bin_dir, cni_bin_dir, images_dir, cni_plugins):
    """The entries (kubebin.cluster.kubebin files step) that install ``binaries`` and ``images`` from a bundle.

    Binaries go to ``bin_dir`` (CNI plugins to ``cni_bin_dir``) mode 0755, image tarballs to ``images_dir`` 0644;
    each carries its control-node ``src`` and the sha256 that SHA256SUMS declares (None when it declares none:
    the caller's preflight names the missing files). Their directories come first, 0755.
    """
    files = []
    for name in binaries or []:
        rel = f"bin/{name}"
        target = cni_bin_dir if name in (cni_plugins or []) else bin_dir
        files.append({"path": posixpath.join(target, name), "src": posixpath.join(bundle_dir, rel), "mode": "0755",
                      "checksum": sums.get(rel)})
    for name in images or []:
        rel = f"images/{name}.tar"
        files.append({"path": posixpath.join(images_dir, f"{name}.tar"), "src": posixpath.join(bundle_dir, rel),
                      "mode": "0644", "checksum": sums.get(rel)})
    dirs = []
    for entry in files:
        parent = posixpath.dirname(entry["path"])
        if parent not in dirs:
            dirs.append(parent)
    return [{"path": d, "state": "directory", "mode": "0755"} for d in dirs] + files


class FilterModule:
    """kubebin artifacts filters."""

    def filters(self):
        return {"sha256sums": sha256sums, "artifact_files": artifact_files}
