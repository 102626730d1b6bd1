# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the day-2 playbooks (etcd member removal, the upgrade preflight)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
# Kubernetes version-skew policy: a kubelet may be up to three minors older than kube-apiserver.
KUBELET_MAX_SKEW = 3


def _quorum(count):
    return count // 2 + 1


def etcd_remove_check(members, health, peer_url, host, allow_even=False, allow_quorum_loss=False):
    """Decide whether the member advertising ``peer_url`` may be removed from the running cluster.

    ``members`` is the ``members`` list of ``etcdctl member list -w json`` (each with ``name``, ``peerURLs``,
    ``clientURLs``), ``health`` the list of ``etcdctl endpoint health --cluster -w json`` (each with ``endpoint`` and
    ``health``). Returns ``{member, count, remaining, healthy_others, problems}``: ``member`` is the entry to remove
    (``{}`` when ``peer_url`` is not a member: nothing to remove), ``problems`` the refusals, each naming ``host``,
    the variable that accepts the risk (if any) and the fix.

    Refused: removing the last member; removing a member when the other healthy members are not a quorum of the
    current membership (the removal itself needs that quorum, and in a two-member cluster the survivor alone is not
    one: a failure during the change leaves no quorum), unless ``allow_quorum_loss``; leaving an even member count
    (no more fault tolerance than one member less), unless ``allow_even``.
    """
    if not isinstance(members, list) or not isinstance(health, list):
        raise AnsibleFilterError("etcd_remove_check: members and health must be lists (etcdctl -w json output)")
    target = next((m for m in members if peer_url in (m.get("peerURLs") or [])), {})
    result = {"member": target, "count": len(members), "remaining": len(members) - (1 if target else 0),
              "healthy_others": 0, "problems": []}
    if not target:
        return result
    healthy = {str(h.get("endpoint")) for h in health if h.get("health")}
    others = [m for m in members if m is not target]
    result["healthy_others"] = sum(1 for m in others if healthy.intersection(m.get("clientURLs") or []))
    count, remaining = result["count"], result["remaining"]
    name = target.get("name") or peer_url
    if remaining == 0:
        result["problems"].append(
            f"host {host}: etcd member {name} is the last member of the cluster; removing it would delete the "
            f"cluster's data. Tear the whole cluster down with playbooks/reset.yml instead.")
        return result
    if result["healthy_others"] < _quorum(count) and not allow_quorum_loss:
        result["problems"].append(
            f"host {host}: removing etcd member {name} from a cluster of {count} needs {_quorum(count)} healthy "
            f"members besides it, found {result['healthy_others']}: the cluster would be left without quorum if "
            f"anything fails during the change. Add a member first (site.yml with etcd_add_members=true), or set "
            f"etcd_remove_allow_quorum_loss=true to accept the risk.")
    if remaining % 2 == 0 and not allow_even:
        result["problems"].append(
            f"host {host}: removing etcd member {name} leaves {remaining} members, an even count (it tolerates no "
            f"more failures than {remaining - 1}). Add a member afterwards to keep the count odd, and set "
            f"etcd_remove_allow_even=true to accept the even count meanwhile.")
    return result


def _parse(version, what):
    match = _VERSION.match(str(version or ""))
    if not match:
        raise AnsibleFilterError(f"upgrade_check: {what} {version!r} is not a Kubernetes version such as v1.37.2")
    return tuple(int(x) for x in match.groups())


def _ready(node):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def upgrade_check(server, nodes, target, variable="kubebin_kubernetes_version"):
    """Decide whether the cluster may be upgraded to ``target``, following the Kubernetes version-skew policy.

    ``server`` is the running kube-apiserver's gitVersion, ``nodes`` the ``items`` of ``kubectl get nodes -o json``.
    Returns ``{needed, problems}``: ``needed`` is true when the API server or a kubelet is not at ``target``; each
    problem names what runs, the variable and the fix. Refused: another major version, a downgrade (of the API
    server or of a kubelet), skipping a minor (the API server moves one minor per upgrade), kubelets that would end
    up more than three minors older than the API server, and Nodes that are not Ready.
    """
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise AnsibleFilterError("upgrade_check: nodes must be the items of `kubectl get nodes -o json`")
    try:
        kubelets = {n["metadata"]["name"]: n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes}
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError(f"upgrade_check: a Node without metadata.name or status.nodeInfo.kubeletVersion ({e})")
    want = _parse(target, variable)
    have = _parse(server, "the running kube-apiserver version")
    problems = []
    if want[0] != have[0]:
        problems.append(f"the API server runs {server} and {variable} is {target}: another major version is not an "
                        "upgrade kubebin performs")
    elif want < have:
        problems.append(f"the API server runs {server} and {variable} is {target}: a downgrade is not supported; set "
                        f"{variable} to {server} or later")
    elif want[1] > have[1] + 1:
        problems.append(f"the API server runs {server} and {variable} is {target}: that skips a minor release; upgrade "
                        f"to the latest v{have[0]}.{have[1] + 1}.x first, then to {target}")
    for node, version in sorted(kubelets.items()):
        kubelet = _parse(version, f"the kubelet version of Node {node}")
        if kubelet > want:
            problems.append(f"Node {node} runs kubelet {version}, newer than {variable}={target}: a downgrade is not "
                            "supported")
        elif want[1] - kubelet[1] > KUBELET_MAX_SKEW:
            problems.append(f"Node {node} runs kubelet {version}, more than {KUBELET_MAX_SKEW} minors older than "
                            f"{variable}={target}: upgrade that Node to v{want[0]}.{want[1] - KUBELET_MAX_SKEW} or "
                            "later first")
    not_ready = sorted(n["metadata"]["name"] for n in nodes if not _ready(n))
    if not_ready:
        problems.append(f"Nodes not Ready: {', '.join(not_ready)}; make them Ready or remove them "
                        "(playbooks/remove-node.yml)")
    needed = want != have or any(_parse(v, "kubeletVersion") != want for v in kubelets.values())
    return {"needed": needed, "problems": problems}


def _truncate(text, length=300, end="...", leeway=5):
    """Jinja's ``truncate(length)``: kept up to ``length + leeway`` characters, else cut at the last space before
    ``length - len(end)`` and ended with ``end``."""
    if len(text) <= length + leeway:
        return text
    return text[:length - len(end)].rsplit(" ", 1)[0] + end


def upgrade_preflight_problems(etcd, etcd_members, etcd_host, pending="", serial=None, drain_timeout=None):
    """The cluster checks of playbooks/upgrade.yml before any change, besides the version skew (``upgrade_check``).

    ``etcd`` is the registered result (``rc``, ``stdout``, ``stderr``) of ``etcdctl endpoint health --cluster -w json``
    run on ``etcd_host``, ``etcd_members`` the number of members expected, ``pending`` the Pending pods
    (``namespace/name`` separated by spaces), ``serial`` and ``drain_timeout`` the values of ``upgrade_serial`` and
    ``upgrade_drain_timeout`` (``None``: not set). Returns the problems, an empty list when the upgrade may go on.
    Refused: an ``upgrade_serial`` that is no whole number of at least 1 or percentage of 1-100, an
    ``upgrade_drain_timeout`` that is no whole number of at least 1, etcd that is not healthy (etcdctl failed, a member
    is not healthy or fewer members answered than expected) and Pending pods.
    """
    if not isinstance(etcd, Mapping):
        raise AnsibleFilterError("upgrade_preflight_problems: the input must be the registered result of etcdctl")
    if not isinstance(etcd_members, int) or isinstance(etcd_members, bool) or not isinstance(etcd_host, str):
        raise AnsibleFilterError("upgrade_preflight_problems: etcd_members must be a number, etcd_host a host name")
    if not isinstance(pending, (str, type(None))):
        raise AnsibleFilterError("upgrade_preflight_problems: pending must be a string (the Pending pods)")
    health = []
    if etcd.get("rc") == 0:
        try:
            health = json.loads(etcd.get("stdout") or "[]")
        except (TypeError, ValueError) as e:
            raise AnsibleFilterError(f"upgrade_preflight_problems: the etcdctl output is not JSON ({e})")
        if not isinstance(health, list) or not all(isinstance(h, dict) for h in health):
            raise AnsibleFilterError("upgrade_preflight_problems: the etcdctl output must be a JSON list of endpoints")
    problems = []
    if serial is not None and not re.match(r"^([1-9][0-9]*|[1-9][0-9]?%|100%)$", str(serial)):
        problems.append("upgrade_serial must be a whole number of Nodes of at least 1 or a percentage such as 25% "
                        f"(got {serial})")
    if drain_timeout is not None and not re.match(r"^[1-9][0-9]*$", str(drain_timeout)):
        problems.append(f"upgrade_drain_timeout must be a whole number of seconds of at least 1 (got {drain_timeout})")
    if etcd.get("rc") != 0 or not all(h.get("health") for h in health) or len(health) < etcd_members:
        problems.append(f"etcd is not healthy ({_truncate(str(etcd.get('stderr') or '').strip())}): every member "
                        f"must answer `etcdctl endpoint health --cluster` on {etcd_host}; repair it (docs/etcd.md)")
    if (pending or "").strip():
        problems.append(f"Pending pods: {pending.strip()}; an upgrade drains Nodes, and their pods must find room "
                        "elsewhere: schedule or delete these first")
    return problems


class FilterModule:
    """kubebin day-2 operation filters."""

    def filters(self):
        return {"etcd_remove_check": etcd_remove_check, "upgrade_check": upgrade_check,
                "upgrade_preflight_problems": upgrade_preflight_problems}
