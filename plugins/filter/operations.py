# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the day-2 playbooks (etcd member removal)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


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


class FilterModule:
    """kubebin day-2 operation filters."""

    def filters(self):
        return {"etcd_remove_check": etcd_remove_check}
