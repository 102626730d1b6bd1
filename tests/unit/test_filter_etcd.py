# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd member table (plugins/filter/etcd.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import etcd


def test_members_from_inventory_and_published_entries():
    own = {"host": "m1", "name": "custom", "ip": "10.0.0.1", "peer_url": "https://10.0.0.1:2380",
           "client_url": "https://10.0.0.1:2379"}
    hostvars = {"m1": {"_etcd_self": own}, "m2": {"etcd_name": "second"}, "m3": {}, "m4": {}}
    ips = {"m1": "10.0.0.1", "m2": "10.0.0.2", "m3": "fd00::3", "m4": ""}
    members = etcd.etcd_members(["m1", "m2", "m3", "m4"], hostvars, ips, "2380", 2379)
    assert members[0] is own
    assert members[1] == {"host": "m2", "name": "second", "ip": "10.0.0.2", "peer_url": "https://10.0.0.2:2380",
                          "client_url": "https://10.0.0.2:2379"}
    assert members[2]["peer_url"] == "https://[fd00::3]:2380" and members[2]["client_url"] == "https://[fd00::3]:2379"
    assert members[3]["ip"] == "m4" and members[3]["name"] == "m4"  # no address known: the host name
    assert etcd.etcd_members([], hostvars, ips, 2380, 2379) == []


def test_members_refuse_bad_ports():
    with pytest.raises(AnsibleFilterError, match="ports must be integers"):
        etcd.etcd_members(["m1"], {"m1": {}}, {}, "peer", 2379)
