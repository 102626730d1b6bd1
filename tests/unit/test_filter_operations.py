# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd member-removal decision of playbooks/remove-node.yml (plugins/filter/operations.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import operations


def members(*names):
    return [{"ID": f"id{n}", "name": f"m{n}", "peerURLs": [f"https://10.0.0.{n}:2380"],
             "clientURLs": [f"https://10.0.0.{n}:2379"]} for n in names]


def health(*names, bad=()):
    return [{"endpoint": f"https://10.0.0.{n}:2379", "health": n not in bad} for n in names]


def check(ms, hs, n, **kw):
    return operations.etcd_remove_check(ms, hs, f"https://10.0.0.{n}:2380", f"h{n}", **kw)


def test_three_to_two_needs_allow_even():
    r = check(members(1, 2, 3), health(1, 2, 3), 3)
    assert r["member"]["name"] == "m3" and r["count"] == 3 and r["remaining"] == 2 and r["healthy_others"] == 2
    assert len(r["problems"]) == 1
    assert "host h3" in r["problems"][0] and "etcd_remove_allow_even=true" in r["problems"][0]
    assert check(members(1, 2, 3), health(1, 2, 3), 3, allow_even=True)["problems"] == []


def test_five_to_four_even_and_four_to_three_fine():
    assert len(check(members(1, 2, 3, 4, 5), health(1, 2, 3, 4, 5), 5)["problems"]) == 1
    assert check(members(1, 2, 3, 4), health(1, 2, 3, 4), 4)["problems"] == []


def test_two_to_one_is_without_quorum():
    r = check(members(1, 2), health(1, 2), 2)
    assert r["remaining"] == 1 and r["healthy_others"] == 1
    assert len(r["problems"]) == 1 and "without quorum" in r["problems"][0]
    assert "etcd_remove_allow_quorum_loss=true" in r["problems"][0]
    # allow_even does not accept a quorum loss
    assert check(members(1, 2), health(1, 2), 2, allow_even=True)["problems"] == r["problems"]
    assert check(members(1, 2), health(1, 2), 2, allow_quorum_loss=True)["problems"] == []


def test_unhealthy_others_refuse_even_a_safe_count():
    # 4 -> 3 is odd, but with one other member down only 2 of the needed 3 are healthy
    r = check(members(1, 2, 3, 4), health(1, 2, 3, 4, bad=(1,)), 4)
    assert r["healthy_others"] == 2 and len(r["problems"]) == 1 and "without quorum" in r["problems"][0]
    # a dead target does not count: 3 -> 2 with the target down still has a quorum of others
    assert check(members(1, 2, 3), health(1, 2, 3, bad=(3,)), 3, allow_even=True)["problems"] == []


def test_last_member_is_always_refused():
    r = check(members(1), health(1), 1, allow_even=True, allow_quorum_loss=True)
    assert len(r["problems"]) == 1 and "last member" in r["problems"][0]


def test_not_a_member_has_nothing_to_remove():
    r = check(members(1, 2), health(1, 2), 9)
    assert r["member"] == {} and r["problems"] == [] and r["remaining"] == 2


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="must be lists"):
        operations.etcd_remove_check({"members": []}, [], "x", "h")


# --- upgrade_check: the version-skew preflight of playbooks/upgrade.yml ---------------------------------------
def nodes(ready=True, **versions):
    return [{"metadata": {"name": name}, "status": {"nodeInfo": {"kubeletVersion": version}, "conditions": [
        {"type": "MemoryPressure", "status": "False"},
        {"type": "Ready", "status": "True" if ready is True or name not in ready else "False", "reason": "x"}]}}
        for name, version in versions.items()]


@pytest.mark.parametrize("server,kubelets,target,needed", [
    ("v1.36.3", {"a": "v1.36.3", "b": "v1.36.3"}, "v1.37.2", True),
    ("v1.37.2", {"a": "v1.37.2"}, "v1.37.2", False),
    ("v1.37.2", {"a": "v1.36.3"}, "v1.37.2", True),  # an interrupted upgrade: the API server is done, a Node is not
    ("v1.37.0", {"a": "v1.37.0"}, "v1.37.2", True),  # a patch release
])
def test_upgrade_allowed(server, kubelets, target, needed):
    assert operations.upgrade_check(server, nodes(**kubelets), target) == {"needed": needed, "problems": []}


@pytest.mark.parametrize("server,kubelets,target,message", [
    ("v1.35.4", {"a": "v1.35.4"}, "v1.37.2", "that skips a minor release; upgrade to the latest v1.36.x first"),
    ("v1.37.2", {"a": "v1.37.2"}, "v1.36.3", "a downgrade is not supported"),
    ("v1.37.2", {"a": "v1.37.2"}, "v1.37.1", "a downgrade is not supported"),
    ("v1.37.2", {"a": "v1.37.2"}, "v2.0.0", "another major version"),
    ("v1.36.3", {"a": "v1.37.2"}, "v1.36.3", "Node a runs kubelet v1.37.2, newer than"),
    ("v1.36.3", {"old": "v1.33.0"}, "v1.37.2", "Node old runs kubelet v1.33.0, more than 3 minors older"),
])
def test_upgrade_refused(server, kubelets, target, message):
    result = operations.upgrade_check(server, nodes(**kubelets), target)
    assert result["problems"] and message in result["problems"][0], result
    assert all("kubebin_kubernetes_version" in p for p in result["problems"])


def test_upgrade_refused_with_nodes_not_ready():
    result = operations.upgrade_check("v1.36.3", nodes(ready=["b", "c"], a="v1.36.3", b="v1.36.3", c="v1.36.3"),
                                      "v1.37.2")
    assert result["problems"] == ["Nodes not Ready: b, c; make them Ready or remove them (playbooks/remove-node.yml)"]


@pytest.mark.parametrize("server,items", [("1.37", []), ("v1.37.2", nodes(a="garbage")), ("v1.37.2", {}),
                                          ("v1.37.2", [{"metadata": {"name": "a"}}])])
def test_upgrade_check_bad_input(server, items):
    with pytest.raises(AnsibleFilterError, match="upgrade_check"):
        operations.upgrade_check(server, items, "v1.37.2")
