# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster PKI as data: which certificates exist, what they carry, and which files each host receives.

Pure functions over plain values (host names, addresses, URLs, directories); no Ansible imports. The
kubebin.cluster.pki role reads them through the filters of plugins/filter/pki.py, and the unit tests pin them down.

* ``certificates()``: every leaf certificate (file stem, signing CA, CN, O, usages, SANs), in a fixed order.
* ``x509_entries()``: the CAs and the leaves as the ``certificates`` argument of kubebin.cluster.x509_cert.
* ``file_sets()``: the files of each set (etcd, control_plane, node, flannel) for one host.
* ``hosts_file_sets()``: {host: {set: files}}, the sets every host receives by default (hosts.yml).
* ``distribute_entries()``: a host's requested sets as entries of the kubebin.cluster.kubebin files step.

Errors are ``PkiTableError`` (a ValueError) with a message naming the host and the variable to fix.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import posixpath

from ansible_collections.kubebin.cluster.plugins.module_utils import _url


class PkiTableError(ValueError):
    """Inputs from which no PKI can be made; the message names the host and the variable to fix."""


# The three CAs: file stem under the PKI directory and CN.
CAS = (
    {"name": "etcd/ca", "cn": "etcd-ca"},
    {"name": "ca", "cn": "kubernetes-ca"},
    {"name": "front-proxy-ca", "cn": "front-proxy-ca"},
)

# The CN of every etcd member's peer certificate. The members accept only it on the peer port
# (ETCD_PEER_CERT_ALLOWED_CN, roles/etcd), so the etcd CA's client certificates (health check, API server) are
# refused there; each member's name and address stay in its SANs.
ETCD_PEER_CN = "kubebin-etcd-peer"

# The file sets a host may receive, in the order they are listed.
SET_NAMES = ("etcd", "control_plane", "node", "flannel", "csr_approver")

# The user of the kubebin-csr-approver service (role csr_approver): RBAC lets it read CSRs and approve or deny
# kubelet serving CSRs, nothing else.
CSR_APPROVER_CN = "kubebin:csr-approver"

HOST_IP_HINT = "kubebin_node_ip (else its default IPv4 address, else ansible_host)"


def is_ip(value):
    """True when ``value`` is one IPv4 or IPv6 address (no prefix, no zone)."""
    text = str(value)
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def san(value):
    """A subject alternative name with its type: ``DNS:``/``IP:`` kept as given, a bare address ``IP:``, else ``DNS:``."""
    text = str(value)
    if text.startswith(("DNS:", "IP:")):
        return text
    return ("IP:" if is_ip(text) else "DNS:") + text


def _unique(values):
    """``values`` without repeats, the first kept; names that differ only in case are repeats (DNS is case-blind)."""
    seen, out = set(), []
    for value in values:
        key = value.lower()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _host_ip(host, host_ips):
    ip = host_ips.get(host, "") if isinstance(host_ips, dict) else ""
    ip = "" if ip is None else str(ip)
    if not is_ip(ip):
        raise PkiTableError(
            f"host {host}: {HOST_IP_HINT} must be an IP address, because its certificates carry it; got '{ip}'. "
            f"Set kubebin_node_ip for {host} in the inventory.")
    return ip


def _host_sans(host, ip):
    """A certified host's own names: its inventory name (unless that is an address) and its address."""
    return ([] if is_ip(host) else ["DNS:" + str(host)]) + [san(ip)]


def api_endpoint_host(api_endpoint):
    """The host part of an ``https://host:port`` URL (an IPv6 address without its brackets); see _url."""
    try:
        return _url.https_host_port(api_endpoint)
    except _url.UrlError as exc:
        raise PkiTableError(
            f"kubebin_api_endpoint (pki_api_endpoint) must be of the form https://host:port; got '{api_endpoint}' "
            f"({exc.reason}).") from exc


def certificates(etcd_hosts, control_plane_hosts, host_ips, api_endpoint, service_ip, cluster_domain,
                 extra_sans=(), admin_organization="kubebin:cluster-admins",
                 apiserver_kubelet_client_organization=""):
    """Every leaf certificate of the cluster, in a fixed order.

    Each is a dict: ``name`` (file stem under the PKI directory), ``ca`` (stem of the signing CA), ``cn``, ``o``
    (only when the certificate has organizations), ``usages`` and ``sans`` (only for the server certificates).

    * etcd: one client certificate for health checks and one for the API server; per member (``etcd_hosts``) a
      server certificate whose CN is the member's name and a peer certificate whose CN is ``ETCD_PEER_CN`` (the one
      CN the members accept on the peer port); the SANs of both are the member's name and address (the server
      certificate also localhost and 127.0.0.1, for etcdctl on the member itself). Both carry server and client
      usage: members dial each other with the peer certificate.
    * the API server certificate: the names of the ``kubernetes`` Service (also ``svc.<first label of the
      domain>``), its address (``service_ip``), the name and address of every control-plane host,
      ``extra_sans``, the host of ``api_endpoint`` and 127.0.0.1; repeats (case-blind) are dropped.
    * the client certificates of the API server (to kubelets and front proxy), admin, controller-manager,
      scheduler, kube-proxy, flannel and the CSR approver service, whose CN and O are the user and group the API server authorizes. An
      empty organization leaves O out (the API server's kubelet client needs none: RBAC grants it the kubelet API).
    * ``super-admin`` (O ``system:masters``, which bypasses RBAC and cannot be revoked): the break-glass
      credential, which stays on the control node (no file set copies it to a host).

    ``host_ips`` maps every etcd and control-plane host to its address; a host without a valid one, no etcd host,
    a ``service_ip`` that is not an address or an ``api_endpoint`` that is not https://host:port raise
    PkiTableError.
    """
    etcd_hosts = [str(h) for h in etcd_hosts or []]
    control_plane_hosts = [str(h) for h in control_plane_hosts or []]
    if not etcd_hosts:
        raise PkiTableError("the etcd group (pki_etcd_group) has no hosts; the PKI needs at least one etcd member.")
    ips = {h: _host_ip(h, host_ips) for h in etcd_hosts + control_plane_hosts}
    if not is_ip(service_ip):
        raise PkiTableError(
            "pki_apiserver_service_ip (by default the first address of kubebin_service_cidr) must be an IP "
            f"address; got '{service_ip}'.")
    endpoint_host = api_endpoint_host(api_endpoint)
    domain = str(cluster_domain)

    out = [
        {"name": "etcd/healthcheck-client", "ca": "etcd/ca", "cn": "kube-etcd-healthcheck-client",
         "usages": ["client"]},
        {"name": "apiserver-etcd-client", "ca": "etcd/ca", "cn": "kube-apiserver-etcd-client", "usages": ["client"]},
    ]
    for host in etcd_hosts:
        own = _host_sans(host, ips[host])
        out.append({"name": f"etcd/{host}-server", "ca": "etcd/ca", "cn": host, "usages": ["server", "client"],
                    "sans": own + ["DNS:localhost", "IP:127.0.0.1"]})
        out.append({"name": f"etcd/{host}-peer", "ca": "etcd/ca", "cn": ETCD_PEER_CN,
                    "usages": ["server", "client"], "sans": own})

    apiserver_sans = [
        "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc." + domain.split(".", maxsplit=1)[0], "DNS:kubernetes.default.svc." + domain,
        san(service_ip),
    ]
    for host in control_plane_hosts:
        apiserver_sans += _host_sans(host, ips[host])
    apiserver_sans += [san(extra) for extra in list(extra_sans or []) + [endpoint_host, "IP:127.0.0.1"]]
    out += [
        {"name": "apiserver", "ca": "ca", "cn": "kube-apiserver", "usages": ["server"],
         "sans": _unique(apiserver_sans)},
        {"name": "apiserver-kubelet-client", "ca": "ca", "cn": "kube-apiserver-kubelet-client",
         **_orgs(apiserver_kubelet_client_organization), "usages": ["client"]},
        {"name": "front-proxy-client", "ca": "front-proxy-ca", "cn": "front-proxy-client", "usages": ["client"]},
        {"name": "admin", "ca": "ca", "cn": "kubernetes-admin", **_orgs(admin_organization), "usages": ["client"]},
        {"name": "controller-manager", "ca": "ca", "cn": "system:kube-controller-manager", "usages": ["client"]},
        {"name": "scheduler", "ca": "ca", "cn": "system:kube-scheduler", "usages": ["client"]},
        {"name": "kube-proxy", "ca": "ca", "cn": "system:kube-proxy", "usages": ["client"]},
        {"name": "flannel", "ca": "ca", "cn": "flanneld", "usages": ["client"]},
        {"name": "csr-approver", "ca": "ca", "cn": CSR_APPROVER_CN, "usages": ["client"]},
        {"name": "super-admin", "ca": "ca", "cn": "kubernetes-super-admin", "o": ["system:masters"],
         "usages": ["client"]},
    ]
    return out


def _orgs(organization):
    """The ``o`` key of a leaf: absent for an empty organization."""
    return {"o": [str(organization)]} if organization else {}


def x509_entries(leaves, pki_dir, ca_valid_days, ca_renew_before_days):
    """The ``certificates`` argument of kubebin.cluster.x509_cert: the CAs first, then every leaf of ``leaves``."""
    def paths(name):
        return {"path": f"{pki_dir}/{name}.crt", "privatekey_path": f"{pki_dir}/{name}.key"}

    out = [{**paths(ca["name"]), "common_name": ca["cn"], "is_ca": True, "valid_days": int(ca_valid_days),
            "renew_before_days": int(ca_renew_before_days)} for ca in CAS]
    for leaf in leaves:
        out.append({**paths(leaf["name"]), "common_name": leaf["cn"], "organizations": list(leaf.get("o", [])),
                    "usages": list(leaf["usages"]), "subject_alt_names": list(leaf.get("sans", [])),
                    "ca_cert_path": f"{pki_dir}/{leaf['ca']}.crt",
                    "ca_privatekey_path": f"{pki_dir}/{leaf['ca']}.key"})
    return out


# The files of each set: id (key of the pki_files fact), src (under the PKI directory), dest (on the host), mode.
# {host} is the host's inventory name; {etcd}, {kube}, {kubeconfig} are the remote directories.
_FILE_SETS = {
    "etcd": [
        ("etcd_ca_cert", "etcd/ca.crt", "{etcd}/ca.crt", "0644"),
        ("etcd_server_cert", "etcd/{host}-server.crt", "{etcd}/server.crt", "0644"),
        ("etcd_server_key", "etcd/{host}-server.key", "{etcd}/server.key", "0600"),
        ("etcd_peer_cert", "etcd/{host}-peer.crt", "{etcd}/peer.crt", "0644"),
        ("etcd_peer_key", "etcd/{host}-peer.key", "{etcd}/peer.key", "0600"),
        ("etcd_healthcheck_client_cert", "etcd/healthcheck-client.crt", "{etcd}/healthcheck-client.crt", "0644"),
        ("etcd_healthcheck_client_key", "etcd/healthcheck-client.key", "{etcd}/healthcheck-client.key", "0600"),
    ],
    "control_plane": [
        ("ca_cert", "ca.crt", "{kube}/ca.crt", "0644"),
        ("ca_key", "ca.key", "{kube}/ca.key", "0600"),
        ("apiserver_cert", "apiserver.crt", "{kube}/apiserver.crt", "0644"),
        ("apiserver_key", "apiserver.key", "{kube}/apiserver.key", "0600"),
        ("apiserver_kubelet_client_cert", "apiserver-kubelet-client.crt", "{kube}/apiserver-kubelet-client.crt",
         "0644"),
        ("apiserver_kubelet_client_key", "apiserver-kubelet-client.key", "{kube}/apiserver-kubelet-client.key",
         "0600"),
        ("apiserver_etcd_client_cert", "apiserver-etcd-client.crt", "{kube}/apiserver-etcd-client.crt", "0644"),
        ("apiserver_etcd_client_key", "apiserver-etcd-client.key", "{kube}/apiserver-etcd-client.key", "0600"),
        ("etcd_ca_cert_for_apiserver", "etcd/ca.crt", "{kube}/etcd/ca.crt", "0644"),
        ("front_proxy_ca_cert", "front-proxy-ca.crt", "{kube}/front-proxy-ca.crt", "0644"),
        ("front_proxy_client_cert", "front-proxy-client.crt", "{kube}/front-proxy-client.crt", "0644"),
        ("front_proxy_client_key", "front-proxy-client.key", "{kube}/front-proxy-client.key", "0600"),
        ("sa_key", "sa.key", "{kube}/sa.key", "0600"),
        ("sa_pub", "sa.pub", "{kube}/sa.pub", "0644"),
        ("encryption_key", "encryption-at-rest.key", "{kube}/encryption-at-rest.key", "0600"),
        ("admin_kubeconfig", "admin.kubeconfig", "{kubeconfig}/admin.kubeconfig", "0600"),
        ("controller_manager_kubeconfig", "controller-manager.kubeconfig", "{kubeconfig}/controller-manager.kubeconfig",
         "0600"),
        ("scheduler_kubeconfig", "scheduler.kubeconfig", "{kubeconfig}/scheduler.kubeconfig", "0600"),
    ],
    "node": [
        ("ca_cert", "ca.crt", "{kube}/ca.crt", "0644"),
        ("kube_proxy_kubeconfig", "kube-proxy.kubeconfig", "{kubeconfig}/kube-proxy.kubeconfig", "0600"),
    ],
    "flannel": [
        ("flannel_kubeconfig", "flannel.kubeconfig", "{kubeconfig}/flannel.kubeconfig", "0600"),
    ],
    # In a directory of its own: the csr_approver role makes the service's user own it and its kubeconfig.
    "csr_approver": [
        ("csr_approver_kubeconfig", "csr-approver.kubeconfig", "{kubeconfig}/csr-approver/csr-approver.kubeconfig",
         "0600"),
    ],
}


def file_sets(host, etcd_dir, kube_dir, kubeconfig_dir):
    """The files of every set for ``host``: {set: [{id, src (under the PKI directory), dest (on the host), mode}]}.

    Keys and kubeconfigs are 0600, certificates and the public key 0644. File names follow kubeadm's; an etcd
    member's own files ``etcd/<host>-server.*`` and ``etcd/<host>-peer.*`` land as ``server.*`` and ``peer.*``.
    """
    names = {"host": str(host), "etcd": str(etcd_dir), "kube": str(kube_dir), "kubeconfig": str(kubeconfig_dir)}
    return {
        name: [{"id": file_id, "src": src.format(**names), "dest": dest.format(**names), "mode": mode}
               for file_id, src, dest, mode in _FILE_SETS[name]]
        for name in SET_NAMES
    }


def hosts_file_sets(etcd_hosts, control_plane_hosts, node_hosts, etcd_dir, kube_dir, kubeconfig_dir):
    """{host: {set: files}}: the sets each host of the three groups receives by default, hosts in group order.

    etcd goes to etcd members, control_plane and csr_approver to control-plane hosts, node to nodes, flannel to both
    control-plane hosts and nodes.
    """
    etcd_hosts, control_plane_hosts, node_hosts = (
        [str(h) for h in hosts or []] for hosts in (etcd_hosts, control_plane_hosts, node_hosts))
    members = {
        "etcd": set(etcd_hosts),
        "control_plane": set(control_plane_hosts),
        "node": set(node_hosts),
        "flannel": set(control_plane_hosts) | set(node_hosts),
        "csr_approver": set(control_plane_hosts),
    }
    out = {}
    for host in etcd_hosts + control_plane_hosts + node_hosts:
        if host not in out:
            sets = file_sets(host, etcd_dir, kube_dir, kubeconfig_dir)
            out[host] = {name: sets[name] for name in SET_NAMES if host in members[name]}
    return out


def requested_sets(value):
    """``pki_distribute_set`` (one name or a list, possibly nested, empty items ignored) as a list of names."""
    if value is None or isinstance(value, (str, bytes)):
        items = [value]
    else:
        items = list(value)
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out += requested_sets(item)
        elif item:
            out.append(str(item))
    return out


def select_files(sets_of_host, requested):
    """The files of the ``requested`` sets (names) of one host's ``file_sets()``, each destination once."""
    unknown = [name for name in requested if name not in sets_of_host]
    if unknown:
        raise PkiTableError(f"pki_distribute_set: unknown file sets {unknown}; the sets are {', '.join(SET_NAMES)}.")
    out, dests = [], set()
    for name in requested:
        for entry in sets_of_host[name]:
            if entry["dest"] not in dests:
                dests.add(entry["dest"])
                out.append(dict(entry))
    return out


def sha256_file(path):
    """The sha256 of a control-node file, None while it does not exist."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


def distribute_entries(sets_of_host, requested, pki_dir, owner="root", group="root", checksum=sha256_file):
    """Entries of the kubebin.cluster.kubebin files step that install a host's ``requested`` sets.

    First the directories of the files (0755), then each file with ``src`` (its path under ``pki_dir``) and
    ``checksum`` (``checksum(src)``: the sha256 of the control-node file, None while it does not exist); keys and
    kubeconfigs (0600) are ``secret``. All are owned by ``owner``/``group``.
    """
    files = select_files(sets_of_host, requested_sets(requested))
    dirs = []
    for entry in files:
        parent = posixpath.dirname(entry["dest"])
        if parent not in dirs:
            dirs.append(parent)
    out = [{"path": d, "state": "directory", "mode": "0755", "owner": owner, "group": group} for d in dirs]
    for entry in files:
        src = f"{pki_dir}/{entry['src']}"
        out.append({"path": entry["dest"], "mode": entry["mode"], "owner": owner, "group": group, "src": src,
                    "checksum": checksum(src), "secret": entry["mode"] == "0600"})
    return out


# Key sizes (bytes) each EncryptionConfiguration provider accepts.
ENCRYPTION_KEY_SIZES = {"secretbox": (32,), "aescbc": (16, 24, 32)}


def encryption_secret(content, path, provider="secretbox"):
    """The base64 key of the encryption-at-rest key file ``path`` (its ``content``), checked for ``provider``.

    Never returns an empty or malformed key: kube-apiserver would refuse to start (or, worse, the config would
    carry a key nobody generated). Raises PkiTableError naming the file and the fix.
    """
    text = (content or "").strip()
    if not text:
        raise PkiTableError(f"the encryption-at-rest key {path} is missing or empty; run the pki role first "
                            "(playbooks/site.yml or the pki role), which creates it, and never edit it by hand")
    sizes = ENCRYPTION_KEY_SIZES.get(provider)
    if sizes is None:
        raise PkiTableError(f"encryption provider {provider!r} is not supported; use one of "
                            f"{', '.join(sorted(ENCRYPTION_KEY_SIZES))}")
    try:
        size = len(base64.b64decode(text, validate=True))
    except ValueError:
        raise PkiTableError(f"the encryption-at-rest key {path} is not base64; restore the file from a backup "
                            "(data encrypted with it is unreadable without it)") from None
    if size not in sizes:
        raise PkiTableError(f"the encryption-at-rest key {path} holds {size} bytes; {provider} needs "
                            f"{' or '.join(str(s) for s in sizes)}; restore the file from a backup")
    return text
