"""Preflight rejects each bad inventory with its own message and changes nothing; the good one passes.

Every host in tests/preflight/*.yml is this machine (ansible_connection: local) with addresses it really has, so no
lab is needed: preflight only reads. Each bad/*.yml differs from good.yml in the one thing its "# expect:" names.
The cases run in parallel (one ansible-playbook each) from one fixture to keep the session short. The Molecule
scenario `prepare` runs the same bad/*.yml against its lab nodes (molecule/prepare/tests/test_prepare.py).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import pathlib
import re
import subprocess

import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
CASES = PROJECT / "tests" / "preflight"
BAD = sorted((CASES / "bad").glob("*.yml"))
GOOD = CASES / "good.yml"
PLAYBOOK = PROJECT / ".venv" / "bin" / "ansible-playbook"
# Files the prepare role writes on a host (here: this machine); preflight must leave them as they were.
WATCHED = ["/etc/hosts", "/etc/fstab", "/etc/chrony/chrony.conf", "/etc/sysctl.d/90-kubebin.conf",
           "/etc/modules-load.d/kubebin.conf"]
NEXT_PLAY = "PLAY [Prepare the operating system]"  # only reached when the preflight play passed on every host


def _run(inventory):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    run = subprocess.run(
        [str(PLAYBOOK), "-i", str(inventory), str(PROJECT / "site.yml"), "--tags", "preflight"],
        env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False,
    )
    return run.returncode, " ".join((run.stdout + run.stderr).split())


@pytest.fixture(scope="session")
def results():
    if not PLAYBOOK.exists():
        pytest.skip(f"{PLAYBOOK} is missing: run `make venv` first")
    cases = [*BAD, GOOD]
    before = _watched_state()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(cases, pool.map(_run, cases)))
    assert _watched_state() == before, "a preflight run changed a file the prepare role manages"
    return done


def _watched_state():
    return {p: hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest() if os.path.exists(p) else None
            for p in WATCHED}


def _recap_changed(out):
    return [int(n) for n in re.findall(r" : ok=\d+ changed=(\d+) ", out)]


def test_at_least_one_bad_inventory_per_rule():
    assert len(BAD) >= 10
    assert all(re.match(r"---\n# expect: \S", p.read_text()) for p in BAD)


@pytest.mark.parametrize("inventory", BAD, ids=[p.stem for p in BAD])
def test_preflight_rejects_bad_inventory(inventory, results):
    expect = re.match(r"---\n# expect: (.*)\n", inventory.read_text()).group(1)
    rc, out = results[inventory]
    assert rc != 0, out
    assert " ".join(expect.split()) in out, out
    assert NEXT_PLAY not in out, out  # stopped in the preflight play, before any other play
    changed = _recap_changed(out)
    assert changed and not any(changed), out


def test_preflight_passes_good_inventory(results):
    # Every role's preflight (tag preflight) passes on a fresh, correct inventory; every host passing is what lets
    # the bad cases fail only for their one defect.
    rc, out = results[GOOD]
    assert rc == 0, out
    # The preflight play passes on every host: each reports its clock offset and the next play starts.
    assert "[master01] clock offset" in out and "[node01] clock offset" in out, out
    assert NEXT_PLAY in out, out
    assert "/roles/prepare/" not in out, out  # no error located in the prepare role (Origin: .../roles/prepare/...)
    changed = _recap_changed(out)
    assert changed and not any(changed), out
