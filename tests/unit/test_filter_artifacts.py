# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The artifacts role's filters (plugins/filter/artifacts.py): SHA256SUMS and the entries a host receives."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import artifacts

A, B = "a" * 64, "b" * 64


def test_sha256sums_text_and_binary_mode():
    assert artifacts.sha256sums(f"{A}  bin/etcd\n\n{B} *images/pause.tar\n") == {"bin/etcd": A, "images/pause.tar": B}


@pytest.mark.parametrize("text", [f"{A} bin/etcd", "nonsense", f"{A[:-1]}  bin/etcd"])
def test_sha256sums_refuses_other_lines(text):
    with pytest.raises(AnsibleFilterError, match="line 1 is not"):
        artifacts.sha256sums(text)


def test_artifact_files_directories_first_cni_apart_and_checksums():
    sums = {"bin/etcd": A, "bin/flannel": B}
    entries = artifacts.artifact_files(["etcd", "flannel"], ["pause"], sums, "/b", "/usr/local/bin", "/opt/cni/bin",
                                       "/var/lib/kubebin/images", ["flannel"])
    assert entries == [
        {"path": "/usr/local/bin", "state": "directory", "mode": "0755"},
        {"path": "/opt/cni/bin", "state": "directory", "mode": "0755"},
        {"path": "/var/lib/kubebin/images", "state": "directory", "mode": "0755"},
        {"path": "/usr/local/bin/etcd", "src": "/b/bin/etcd", "mode": "0755", "checksum": A},
        {"path": "/opt/cni/bin/flannel", "src": "/b/bin/flannel", "mode": "0755", "checksum": B},
        {"path": "/var/lib/kubebin/images/pause.tar", "src": "/b/images/pause.tar", "mode": "0644", "checksum": None},
    ]
    assert artifacts.artifact_files([], [], {}, "/b", "/x", "/y", "/z", []) == []
