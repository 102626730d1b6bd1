"""kubebin.cluster.stale_files for real: ansible-playbook runs the action on this machine (local connection)
against files in a temporary directory, normal and check mode, and with bad input."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import subprocess

import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = PROJECT / ".venv" / "bin" / "ansible-playbook"


def _stale(tmp_path, files, *extra):
    """Run the action once with these entries; return (rc, the task result)."""
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "probe", "kubebin.cluster.stale_files": {"files": files}, "register": "probe",
         "ignore_errors": True},
        {"name": "result", "ansible.builtin.copy": {"content": "{{ probe | to_json }}",
                                                    "dest": str(tmp_path / "result.json"), "mode": "0600"},
         "check_mode": False}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    run = subprocess.run([str(PLAYBOOK), "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=/usr/bin/python3",
                          str(tmp_path / "play.yml"), *extra],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((tmp_path / "result.json").read_text())


@pytest.fixture(name="tree")
def tree_fixture(tmp_path):
    d = tmp_path / "etc"
    d.mkdir()
    os.chmod(d, 0o755)
    (d / "app.conf").write_text("hello\n")
    os.chmod(d / "app.conf", 0o600)
    return d


def _wanted(tree, **change):
    conf = {"path": str(tree / "app.conf"), "mode": "0600",
            "checksum": hashlib.sha256(b"hello\n").hexdigest(), "notify": "ignored by the action", **change}
    return [{"path": str(tree), "state": "directory", "mode": "0755"}, conf]


def test_in_place_then_each_difference(tree, tmp_path):
    assert _stale(tmp_path, _wanted(tree))["stale"] == []
    conf = str(tree / "app.conf")
    assert _stale(tmp_path, _wanted(tree, mode="0644"))["stale"] == [conf]
    assert _stale(tmp_path, _wanted(tree, checksum="0" * 64))["stale"] == [conf]
    assert _stale(tmp_path, _wanted(tree, owner="kubebin-nobody"))["stale"] == [conf]
    missing = str(tree / "missing.conf")
    assert _stale(tmp_path, [*_wanted(tree), {"path": missing}])["stale"] == [missing]
    os.chmod(tree, 0o700)
    assert _stale(tmp_path, _wanted(tree))["stale"] == [str(tree)]


def test_check_mode_reads_the_same(tree, tmp_path):
    result = _stale(tmp_path, _wanted(tree, mode="0640"), "--check")
    assert result["stale"] == [str(tree / "app.conf")] and not result["changed"]
    assert oct(os.stat(tree / "app.conf").st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("entry,message", [
    ({"path": "relative/app.conf"}, "needs an absolute path"),
    ({"path": "/etc/app.conf", "mode": "rw-------"}, "is not an octal string"),
    ({"path": "/etc/app.conf", "state": "link"}, "state must be file or directory"),
])
def test_bad_entries_fail_with_a_message(tmp_path, entry, message):
    result = _stale(tmp_path, [entry])
    assert result["failed"] and message in result["msg"] and "stale_files: bad files entry" in result["msg"]


def test_template_entries_are_rendered_with_the_task_vars(tree, tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "app.conf.j2").write_text("{{ 'hel' ~ 'lo' }}\n")
    (tmp_path / "templates" / "other.conf.j2").write_text("{{ 'bye' }}\n")
    conf = str(tree / "app.conf")
    assert _stale(tmp_path, [{"path": conf, "template": "app.conf.j2", "mode": "0600"}])["stale"] == []
    assert _stale(tmp_path, [{"path": conf, "template": "other.conf.j2", "mode": "0600"}])["stale"] == [conf]


def test_content_entries(tree, tmp_path):
    conf = str(tree / "app.conf")
    result = _stale(tmp_path, [{"path": conf, "content": "hello\n"}, {"path": str(tree), "state": "directory"}])
    assert result["stale"] == [] and result["checksums"] == {conf: hashlib.sha256(b"hello\n").hexdigest()}
    assert _stale(tmp_path, [{"path": conf, "content": "hello"}])["stale"] == [conf]


def test_template_entries_see_their_entry_as_item(tree, tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "item.j2").write_text("{{ item.greeting }}\n")
    conf = str(tree / "app.conf")
    assert _stale(tmp_path, [{"path": conf, "template": "item.j2", "greeting": "hello"}])["stale"] == []
    assert _stale(tmp_path, [{"path": conf, "template": "item.j2", "greeting": "bye"}])["stale"] == [conf]


def test_src_entries_are_verified_before_a_copy(tree, tmp_path):
    """A stale entry's control-node src must hash to its checksum (a corrupt bundle file is never copied); an entry
    that is in place is not hashed at all."""
    src = tmp_path / "bundle-file"
    src.write_text("hello\n")
    good = hashlib.sha256(b"hello\n").hexdigest()
    missing = str(tree / "new.bin")
    result = _stale(tmp_path, [{"path": missing, "src": str(src), "checksum": good}])
    assert not result.get("failed") and result["stale"] == [missing]
    result = _stale(tmp_path, [{"path": missing, "src": str(src), "checksum": "0" * 64}])
    assert result["failed"] and f"{src} (for {missing}) hashes to {good}, not {'0' * 64}" in result["msg"]
    result = _stale(tmp_path, [{"path": missing, "src": str(tmp_path / "gone"), "checksum": good}])
    assert result["failed"] and "cannot be read" in result["msg"]
    in_place = str(tree / "app.conf")
    assert _stale(tmp_path, [{"path": in_place, "src": str(tmp_path / "gone"), "checksum": good}])["stale"] == []
