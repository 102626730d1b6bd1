# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the etcd role: the member table derived from the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def url_host(ip):
    """An address as the host part of a URL (IPv6 in brackets)."""
    ip = str(ip)
    return f"[{ip}]" if ":" in ip else ip


def etcd_members(hosts, hostvars, node_ips, peer_port, client_port):
    """[{host, name, ip, peer_url, client_url}] of the etcd members, in inventory order.

    A member that published its own entry as the fact ``_etcd_self`` (the role's preflight) is taken as it is; any
    other is derived from the inventory: its ``etcd_name`` (else the host name) and its address in ``node_ips``
    (else the host name).
    """
    try:
        peer_port, client_port = int(peer_port), int(client_port)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"etcd_members: ports must be integers, got {peer_port!r} and {client_port!r}") from exc
    members = []
    for host in hosts or []:
        hv = hostvars[host]
        own = hv.get("_etcd_self")
        if own:
            members.append(own)
            continue
        ip = str((node_ips or {}).get(host) or host)
        members.append({"host": host, "name": hv.get("etcd_name") or host, "ip": ip,
                        "peer_url": f"https://{url_host(ip)}:{peer_port}",
                        "client_url": f"https://{url_host(ip)}:{client_port}"})
    return members


class FilterModule:
    """kubebin etcd filters."""

    def filters(self):
        return {"etcd_members": etcd_members}
