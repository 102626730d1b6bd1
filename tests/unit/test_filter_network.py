# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight network filters (plugins/filter/network.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import network


@pytest.mark.parametrize("value,expected", [
    ("10.244.0.0/16", True), ("10.96.0.0/12", True), ("fd00::/64", True),
    ("10.244.0.1/16", False),  # host bits set
    ("10.244.0.0", False), ("10.244.0.0/33", False), ("pods", False), (None, False), (24, False),
])
def test_cidr_valid(value, expected):
    assert network.cidr_valid(value) is expected


@pytest.mark.parametrize("value,expected", [
    ("192.168.2.66", True), ("::1", True), ("192.168.2.300", False), ("master01", False), ("", False),
])
def test_ip_valid(value, expected):
    assert network.ip_valid(value) is expected


def test_cidr_overlaps():
    assert network.cidr_overlaps("10.96.0.0/12", "10.100.0.0/16")
    assert not network.cidr_overlaps("10.244.0.0/16", "10.96.0.0/12")
    assert not network.cidr_overlaps("10.0.0.0/8", "fd00::/8")  # different families never overlap
    with pytest.raises(AnsibleFilterError, match="not a network address"):
        network.cidr_overlaps("10.0.0.1/8", "10.0.0.0/8")


@pytest.mark.parametrize("cidr,prefix,count", [
    ("10.244.0.0/16", 24, 256), ("10.244.0.0/24", 24, 1), ("10.244.0.0/24", 16, 0), ("10.244.0.0/16", 33, 0),
])
def test_cidr_subnet_count(cidr, prefix, count):
    assert network.cidr_subnet_count(cidr, prefix) == count


def test_host_ipv4_networks_from_facts():
    facts = {
        "interfaces": ["lo", "eth0", "cni0", "br-lan"],
        "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}},
        "eth0": {"ipv4": {"address": "192.168.2.66", "netmask": "255.255.255.0"},
                 "ipv4_secondaries": [{"address": "10.1.2.3", "netmask": "255.255.0.0"}]},
        "cni0": {"ipv4": {"address": "10.244.1.1", "netmask": "255.255.255.0"}},
        "br_lan": {"ipv4": {"address": "172.30.0.1", "netmask": "255.255.255.0"}},
    }
    assert network.host_ipv4_networks(facts, ignore=["lo", "cni0"]) == [
        "192.168.2.0/24", "10.1.0.0/16", "172.30.0.0/24",
    ]
    with pytest.raises(AnsibleFilterError):
        network.host_ipv4_networks("not facts")


def test_filters_are_registered():
    assert set(network.FilterModule().filters()) == {
        "cidr_valid", "ip_valid", "cidr_overlaps", "cidr_subnet_count", "host_ipv4_networks", "cidr_host", "node_ips",
    }


def test_node_ips_one_rule():
    hostvars = {
        "a": {"kubebin_node_ip": "10.0.0.1", "ansible_facts": {"default_ipv4": {"address": "10.0.0.9"}}},
        "b": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.2"}}, "ansible_host": "b.example"},
        "c": {"ansible_host": "10.0.0.3"},
        "d": {},
    }
    assert network.node_ips(["a", "b", "c", "d"], hostvars) == {"a": "10.0.0.1", "b": "10.0.0.2", "c": "10.0.0.3",
                                                                "d": ""}
