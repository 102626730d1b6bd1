# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd member-removal decision of playbooks/remove-node.yml and the upgrade preflight of playbooks/upgrade.yml
(plugins/filter/operations.py)."""
from __future__ import annotations

import json

import jinja2
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


# --- upgrade_preflight_problems: the cluster checks of playbooks/upgrade.yml ----------------------------------
ETCD_OK = {"rc": 0, "stdout": json.dumps(health(1, 2, 3)), "stderr": ""}
ETCD_MSG = ("etcd is not healthy ({}): every member must answer `etcdctl endpoint health --cluster` on master01; "
            "repair it (docs/etcd.md)")


def preflight(etcd=None, members=3, pending="", **kw):
    return operations.upgrade_preflight_problems(ETCD_OK if etcd is None else etcd, members, "master01", pending, **kw)


def test_preflight_fine():
    assert preflight() == []
    assert preflight(pending=" \n") == []
    assert preflight(pending=None) == []
    assert operations.upgrade_preflight_problems(ETCD_OK, 3, "master01") == []


@pytest.mark.parametrize("value", [1, 10, "1", "25%", "1%", "99%", "100%"])
def test_preflight_serial_accepted(value):
    assert preflight(serial=value) == []


@pytest.mark.parametrize("value", [0, -1, "x", "101%", "0%", "100.0%", "", 1.5, "01", True])
def test_preflight_serial_refused(value):
    assert preflight(serial=value) == [
        f"upgrade_serial must be a whole number of Nodes of at least 1 or a percentage such as 25% (got {value})"]


@pytest.mark.parametrize("value", [1, 300, "600"])
def test_preflight_drain_timeout_accepted(value):
    assert preflight(drain_timeout=value) == []


@pytest.mark.parametrize("value", [0, -1, "x", "5%", "", 1.5, "01"])
def test_preflight_drain_timeout_refused(value):
    assert preflight(drain_timeout=value) == [
        f"upgrade_drain_timeout must be a whole number of seconds of at least 1 (got {value})"]


@pytest.mark.parametrize("etcd", [
    {"rc": 1, "stdout": json.dumps(health(1, 2, 3)), "stderr": ""},  # etcdctl failed
    {"rc": 1, "stdout": "", "stderr": ""},
    {"rc": 0, "stdout": json.dumps(health(1, 2, 3, bad=(2,))), "stderr": ""},  # a member not healthy
    {"rc": 0, "stdout": json.dumps([{"endpoint": "https://10.0.0.1:2379"}] + health(2, 3)), "stderr": ""},
    {"rc": 0, "stdout": json.dumps(health(1, 2)), "stderr": ""},  # too few members answered
    {"rc": 0, "stdout": "", "stderr": ""},
    {"stdout": json.dumps(health(1, 2, 3))},  # no rc
])
def test_preflight_etcd_unhealthy(etcd):
    assert preflight(etcd) == [ETCD_MSG.format("")]


def test_preflight_etcd_more_members_than_expected_is_fine():
    assert preflight({"rc": 0, "stdout": json.dumps(health(1, 2, 3, 4))}) == []
    assert preflight({"rc": 0, "stdout": ""}, members=0) == []


def test_preflight_etcd_stderr_trimmed_and_truncated():
    etcd = {"rc": 1, "stdout": "", "stderr": "\n  context deadline exceeded \n"}
    assert preflight(etcd) == [ETCD_MSG.format("context deadline exceeded")]
    # up to 305 characters (Jinja's leeway) stay, longer ones are cut at the last space before 297, plus ...
    assert preflight({"rc": 1, "stderr": "e" * 305}) == [ETCD_MSG.format("e" * 305)]
    words = " ".join(["word"] * 100)  # 499 characters
    assert preflight({"rc": 1, "stderr": words}) == [ETCD_MSG.format(" ".join(["word"] * 59) + "...")]
    assert preflight({"rc": 1, "stderr": "e" * 306}) == [ETCD_MSG.format("e" * 297 + "...")]


@pytest.mark.parametrize("text", ["", "short", "e" * 305, "e" * 306, " ".join(["word"] * 100),
                                  "a " * 200, "x" * 296 + " yy" + " z" * 10])
def test_preflight_truncate_is_jinja_truncate(text):
    assert operations._truncate(text) == jinja2.Environment().from_string("{{ s | truncate(300) }}").render(s=text)


def test_preflight_pending_pods():
    assert preflight(pending=" default/a kube-system/b ") == [
        "Pending pods: default/a kube-system/b; an upgrade drains Nodes, and their pods must find room elsewhere: "
        "schedule or delete these first"]


def test_preflight_every_problem_in_order():
    problems = preflight({"rc": 1, "stderr": "down"}, pending="default/a", serial=0, drain_timeout="x")
    assert [p.split(" ", 1)[0] for p in problems] == ["upgrade_serial", "upgrade_drain_timeout", "etcd", "Pending"]
    assert problems[2] == ETCD_MSG.format("down")


@pytest.mark.parametrize("args,message", [
    (([], 3, "master01"), "registered result"),
    (("x", 3, "master01"), "registered result"),
    ((ETCD_OK, "3", "master01"), "etcd_members must be a number"),
    ((ETCD_OK, True, "master01"), "etcd_members must be a number"),
    ((ETCD_OK, 3, None), "etcd_host a host name"),
    ((ETCD_OK, 3, "master01", ["default/a"]), "pending must be a string"),
    (({"rc": 0, "stdout": "not json"}, 3, "master01"), "not JSON"),
    (({"rc": 0, "stdout": '{"health": true}'}, 3, "master01"), "JSON list of endpoints"),
    (({"rc": 0, "stdout": "[true]"}, 3, "master01"), "JSON list of endpoints"),
])
def test_preflight_bad_input(args, message):
    with pytest.raises(AnsibleFilterError, match=f"upgrade_preflight_problems: .*{message}"):
        operations.upgrade_preflight_problems(*args)


def test_preflight_is_registered():
    assert operations.FilterModule().filters()["upgrade_preflight_problems"] is operations.upgrade_preflight_problems
