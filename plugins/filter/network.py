# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small IP/CIDR filters for preflight validation (stdlib ipaddress; no netaddr needed)."""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleError, AnsibleFilterError


def _net(value):
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError(f"'{value}' is not a network address in CIDR notation: {exc}") from exc


def cidr_valid(value):
    """True when value is a network in CIDR notation with no host bits set (10.244.0.0/16)."""
    if not isinstance(value, str) or "/" not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


def ip_valid(value):
    """True when value is a single IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def cidr_overlaps(value, other):
    """True when two CIDR networks share at least one address."""
    a, b = _net(value), _net(other)
    return a.version == b.version and a.overlaps(b)


def cidr_subnet_count(value, prefix):
    """How many subnets of length prefix fit into the network (0 when the network is smaller)."""
    net = _net(value)
    prefix = int(prefix)
    if prefix < net.prefixlen or prefix > net.max_prefixlen:
        return 0
    return 2 ** (prefix - net.prefixlen)


def cidr_host(value, index):
    """The address at position ``index`` of a network (1: its first host address; negative counts from the end)."""
    net = _net(value)
    try:
        index = int(index)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"cidr_host: the index must be an integer, got {index!r}") from exc
    if not -net.num_addresses <= index < net.num_addresses:
        raise AnsibleFilterError(f"cidr_host: {value} has {net.num_addresses} addresses, no index {index}")
    return str(net[index])


def node_ips(hosts, hostvars):
    """{host: the address the cluster knows it by}: kubebin_node_ip, else its default IPv4 fact, else ansible_host.

    Every role reads host addresses through this one rule (an empty string marks a host with none of them).
    """
    out = {}
    for host in hosts or []:
        hv = hostvars[host]
        try:
            ip = hv.get("kubebin_node_ip")
        except AnsibleError:
            ip = None  # an inventory expression over facts that are not gathered yet: the other rules apply
        ip = ip or ((hv.get("ansible_facts") or {}).get("default_ipv4") or {}).get("address") \
            or hv.get("ansible_host") or ""
        out[host] = str(ip)
    return out


def host_ipv4_networks(facts, ignore=None):
    """The IPv4 networks ("net/prefix") of a host's interfaces, from its gathered facts.

    ``ignore`` is a list of regular expressions of interface names to leave out (loopback, CNI bridges, ...).
    """
    if not isinstance(facts, dict):
        raise AnsibleFilterError("host_ipv4_networks expects a host's ansible_facts dictionary")
    patterns = [re.compile(p) for p in (ignore or [])]
    networks = []
    for name in facts.get("interfaces", []):
        if any(p.fullmatch(name) for p in patterns):
            continue
        iface = facts.get(name.replace("-", "_"), {}) or {}
        entries = []
        if isinstance(iface.get("ipv4"), dict):
            entries.append(iface["ipv4"])
        entries.extend(e for e in iface.get("ipv4_secondaries", []) or [] if isinstance(e, dict))
        for entry in entries:
            if entry.get("address") and entry.get("netmask"):
                net = ipaddress.ip_interface(f"{entry['address']}/{entry['netmask']}").network
                if str(net) not in networks:
                    networks.append(str(net))
    return networks


class FilterModule:
    """kubebin network filters."""

    def filters(self):
        return {
            "cidr_valid": cidr_valid,
            "ip_valid": ip_valid,
            "cidr_overlaps": cidr_overlaps,
            "cidr_subnet_count": cidr_subnet_count,
            "host_ipv4_networks": host_ipv4_networks,
            "cidr_host": cidr_host,
            "node_ips": node_ips,
        }
