# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The comparison behind kubebin.cluster.stale_files (plugins/plugin_utils/_files.py), against the real output of
ansible.builtin.find's statinfo."""
from __future__ import annotations

import os

import pytest
from ansible.modules.find import statinfo

from ansible_collections.kubebin.cluster.plugins.plugin_utils._files import files_stale, find_args

SUM = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of empty content


def found_of(*paths):
    """What find returns for these paths (statinfo is the function find itself uses), with the sha256 checksum."""
    out = []
    for path in paths:
        info = statinfo(os.lstat(path))
        info["path"] = path
        if info["isreg"]:
            with open(path, "rb") as f:
                info["checksum"] = SUM if not f.read() else "other"
        out.append(info)
    return out


@pytest.fixture(name="tree")
def tree_fixture(tmp_path):
    (tmp_path / "d").mkdir(mode=0o755)
    os.chmod(tmp_path / "d", 0o755)
    f = tmp_path / "d" / "f"
    f.write_bytes(b"")
    os.chmod(f, 0o600)
    return tmp_path


def test_all_in_place(tree):
    d, f = str(tree / "d"), str(tree / "d" / "f")
    owner = found_of(f)[0]["pw_name"]
    wanted = [{"path": d, "state": "directory", "mode": "0755"},
              {"path": f, "mode": "0600", "owner": owner, "group": None, "checksum": SUM}]
    assert not files_stale(found_of(d, f), wanted)


@pytest.mark.parametrize("change", [
    {"mode": "0644"}, {"mode": "600"}, {"owner": "nobody-else"}, {"group": "nogroup-else"}, {"checksum": "0" * 64},
])
def test_one_field_differs(tree, change):
    f = str(tree / "d" / "f")
    want = {"path": f, "mode": "0600", "checksum": SUM, **change}
    expected = [] if change == {"mode": "600"} else [f]  # 600 and 0600 are the same mode
    assert files_stale(found_of(f), [want]) == expected


def test_missing_and_wrong_type(tree):
    d, f = str(tree / "d"), str(tree / "d" / "f")
    wanted = [{"path": str(tree / "nope")}, {"path": d}, {"path": f, "state": "directory"}]
    assert files_stale(found_of(d, f), wanted) == [str(tree / "nope"), d, f]


@pytest.mark.parametrize("found,wanted,message", [
    ([], "x", "expects a list of wanted entries"),
    ([], [{"mode": "0644"}], "needs an absolute path"),
    ([], [{"path": "relative"}], "needs an absolute path"),
    ([], [{"path": "/a", "state": "link"}], "state must be file or directory"),
    ([{"path": "/a", "isreg": True, "mode": "0644"}], [{"path": "/a", "mode": "rw-r--r--"}], "not an octal string"),
    ("x", [], "expects the files list"),
    ([], [{"path": "/d", "state": "directory", "mode": "0755"}, {"path": "/d/", "state": "directory", "mode": "0700"}],
     "/d/ is listed twice with different settings"),
])
def test_bad_input(found, wanted, message):
    with pytest.raises(ValueError, match=message):
        files_stale(found, wanted)


def test_the_same_entry_twice_is_one_entry(tree):
    d = str(tree / "d")
    wanted = [{"path": d, "state": "directory", "mode": "0755"}] * 2
    assert not files_stale(found_of(d), wanted)


def test_find_args_cover_files_and_directories():
    args = find_args([{"path": "/etc/kubernetes/pki", "state": "directory"}, {"path": "/etc/kubernetes/pki/ca.crt"},
                      {"path": "/etc/kubernetes/admin.kubeconfig"}])
    assert args["paths"] == ["/etc/kubernetes", "/etc/kubernetes/pki"]
    assert args["patterns"] == ["admin.kubeconfig", "ca.crt", "pki"]
    assert args["file_type"] == "any" and args["get_checksum"] and args["checksum_algorithm"] == "sha256"
