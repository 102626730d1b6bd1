"""Verify the prepare role on the Molecule lab nodes, and that preflight stops bad inventories unchanged."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

import pytest
import testinfra
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
# The bad inventories of tests/integration/test_preflight.py (hosts = this machine), run here against the lab nodes.
BAD = sorted((PROJECT / "tests" / "preflight" / "bad").glob("*.yml"))
NODES = {"master01": "172.30.1.11", "node01": "172.30.1.12", "node02": "172.30.1.13"}
SYSCTLS = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
    # kubelet's protectKernelDefaults checks these (in the lab they come from the host: hack/host-sysctl.sh)
    "vm.overcommit_memory": "1",
    "vm.panic_on_oom": "0",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.keys.root_maxkeys": "1000000",
    "kernel.keys.root_maxbytes": "25000000",
}
# Files prepare writes; a preflight failure must leave all of them untouched.
WATCHED = "/etc/hosts /etc/fstab /etc/chrony/chrony.conf /etc/sysctl.d/90-kubebin.conf /etc/modules-load.d/kubebin.conf"


def node(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.mark.parametrize("name", NODES)
def test_sysctl_file_and_live_values(name):
    host = node(name)
    conf = host.file("/etc/sysctl.d/90-kubebin.conf")
    assert conf.mode == 0o644
    for key, value in SYSCTLS.items():
        assert re.search(rf"^{re.escape(key)}\s*=\s*{value}$", conf.content_string, re.M), key
        assert host.file("/proc/sys/" + key.replace(".", "/")).content_string.strip() == value


@pytest.mark.parametrize("name", NODES)
def test_modules_persisted(name):
    lines = node(name).file("/etc/modules-load.d/kubebin.conf").content_string.splitlines()
    assert {"overlay", "br_netfilter"} <= {line.strip() for line in lines}


@pytest.mark.parametrize("name", NODES)
def test_hosts_block_lists_every_node(name):
    content = node(name).file("/etc/hosts").content_string
    block = content.split("# BEGIN kubebin cluster hosts")[1].split("# END kubebin cluster hosts")[0]
    for other, ip in NODES.items():
        assert re.search(rf"^{re.escape(ip)} {other}$", block, re.M), other
    assert content.count("# BEGIN kubebin cluster hosts") == 1


@pytest.mark.parametrize("name", NODES)
def test_swap_disabled_in_fstab(name):
    fstab = node(name).file("/etc/fstab").content_string
    assert "/swapfile none swap sw 0 0" in fstab  # planted by prepare.yml ...
    active = [line for line in fstab.splitlines() if re.match(r"^\s*[^#\s]\S*\s+\S+\s+swap\s", line)]
    assert active == []  # ... and commented out by the role


@pytest.mark.parametrize("name", NODES)
def test_packages(name):
    host = node(name)
    for pkg in ("chrony", "conntrack", "iptables", "ipset", "socat"):
        assert host.package(pkg).is_installed, pkg


@pytest.mark.parametrize("name", NODES)
def test_chrony_running(name):
    host = node(name)
    svc = host.service("chrony")
    assert svc.is_running and svc.is_enabled
    conf = host.file("/etc/chrony/chrony.conf").content_string
    assert "allow 172.30.0.0/16" in conf and "local stratum 10" in conf
    assert ("server 172.30.1.11 iburst" in conf) == (name != "master01")
    assert "pool " not in conf


@pytest.mark.parametrize("name", ["node01", "node02"])
def test_chrony_follows_master01(name):
    host = node(name)
    # converge restarts chronyd on all nodes at once, so a node's first polls (iburst) can reach master01 before it
    # serves time; the node then polls again only after its normal interval (64 s and more). Ask for 4 polls now
    # (as an operator would after such a restart), then allow up to 60 s for the synchronisation.
    assert host.run("chronyc burst 4/4").rc == 0
    sync = host.run("chronyc waitsync 60 0 0 1")
    assert sync.rc == 0, host.run("chronyc -n sources; chronyc -n tracking; journalctl -u chrony --no-pager").stdout
    assert "172.30.1.11" in host.check_output("chronyc -n sources")


@pytest.mark.parametrize("name", NODES)
def test_lab_node_runs_systemd_with_writable_cgroups(name):
    """The shared node shape (molecule/shared/lab_node.yml + kubebin-lab-init) works for runtimes and kubelet."""
    host = node(name)
    assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")
    cg = f"/sys/fs/cgroup/memory/kubebin-verify-{name}"
    assert host.run(f"mkdir {cg} && echo 67108864 > {cg}/memory.limit_in_bytes && rmdir {cg}").rc == 0
    assert host.run("cat /proc/1/comm").stdout.strip() == "systemd"


def _watched_state():
    return {n: node(n).check_output(f"sha256sum {WATCHED}") for n in NODES}


@pytest.fixture(scope="module")
def state_before():
    return _watched_state()


def lab_inventory(case, dest):
    """Write the local case `case` as an inventory of the lab nodes: its hosts, in order, are master01, node01, node02.

    A host keeps a literal kubebin_node_ip (the case's defect may be that address); one left to the default or
    templated ("another address of this machine") gets its lab node's address.
    """
    inventory = yaml.safe_load(case.read_text())
    hosts = inventory["all"]["hosts"]
    assert len(hosts) <= len(NODES), f"{case} has more hosts than the lab"
    for (name, hostvars), (lab_node, lab_ip) in zip(list(hosts.items()), NODES.items()):
        hostvars = dict(hostvars or {}, ansible_host=lab_node)
        if "{{" in str(hostvars.get("kubebin_node_ip", "{{")):
            hostvars["kubebin_node_ip"] = lab_ip
        hosts[name] = hostvars
    inventory["all"]["vars"].update(ansible_connection="community.docker.docker",
                                    ansible_python_interpreter="/usr/bin/python3")
    dest.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return dest


def test_lab_inventory_maps_hosts_to_lab_nodes(tmp_path):
    by_name = {p.stem: p for p in BAD}
    hosts = yaml.safe_load(lab_inventory(by_name["duplicate_short_name"], tmp_path / "i.yml").read_text())["all"]["hosts"]
    assert hosts == {"master01.a.example": {"ansible_host": "master01", "kubebin_node_ip": "172.30.1.11"},
                     "master01.b.example": {"ansible_host": "node01", "kubebin_node_ip": "172.30.1.12"}}
    hosts = yaml.safe_load(lab_inventory(by_name["ip_not_on_host"], tmp_path / "i.yml").read_text())["all"]["hosts"]
    assert hosts == {"master01": {"kubebin_node_ip": "198.51.100.99", "ansible_host": "master01"}}


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_preflight_rejects_bad_inventory(case, state_before, tmp_path):
    expect = re.match(r"---\n# expect: (.*)\n", case.read_text()).group(1)
    inventory = lab_inventory(case, tmp_path / case.name)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
    )
    run = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(PROJECT / "site.yml")],
        env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False,
    )
    out = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, out
    assert " ".join(expect.split()) in out, out
    assert "PLAY [Prepare the operating system]" not in out  # stopped in the preflight play
    assert not re.search(r"changed=[1-9]", out)
    assert _watched_state() == state_before
