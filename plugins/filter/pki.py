# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the pki role (the certificate table, the file sets) and of the bootstrap token.

Thin wrappers: the logic is in plugins/module_utils/_pki_table.py and _bootstrap_token.py (plain Python, unit
tested); these turn their ValueErrors into AnsibleFilterError.
"""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.module_utils import _bootstrap_token, _pki_table


def _filter_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (_pki_table.PkiTableError, _bootstrap_token.BootstrapTokenError) as exc:
            raise AnsibleFilterError(f"{func.__name__}: {exc}") from exc
    return wrapper


@_filter_errors
def pki_certificates(etcd_hosts, control_plane_hosts, host_ips, api_endpoint, service_ip, cluster_domain,
                     extra_sans=None, admin_organization="kubebin:cluster-admins",
                     apiserver_kubelet_client_organization=""):
    """Every leaf certificate of the cluster: [{name, ca, cn, o, usages, sans}] (see _pki_table.certificates)."""
    return _pki_table.certificates(etcd_hosts, control_plane_hosts, host_ips, api_endpoint, service_ip,
                                   cluster_domain, extra_sans or [], admin_organization,
                                   apiserver_kubelet_client_organization)


@_filter_errors
def pki_x509_entries(certificates, pki_dir, ca_valid_days, ca_renew_before_days):
    """The CAs and ``certificates`` as the ``certificates`` argument of kubebin.cluster.x509_cert."""
    return _pki_table.x509_entries(certificates, pki_dir, ca_valid_days, ca_renew_before_days)


@_filter_errors
def pki_file_sets(host, etcd_dir, kube_dir, kubeconfig_dir):
    """{set: [{id, src, dest, mode}]} for one host."""
    return _pki_table.file_sets(host, etcd_dir, kube_dir, kubeconfig_dir)


@_filter_errors
def pki_hosts_file_sets(etcd_hosts, control_plane_hosts, node_hosts, etcd_dir, kube_dir, kubeconfig_dir):
    """{host: {set: [{id, src, dest, mode}]}}: what every host receives by default."""
    return _pki_table.hosts_file_sets(etcd_hosts, control_plane_hosts, node_hosts, etcd_dir, kube_dir,
                                      kubeconfig_dir)


@_filter_errors
def pki_distribute_entries(file_sets, sets, pki_dir, owner="root", group="root"):
    """Entries of the kubebin.cluster.kubebin files step for the named sets of one host's file sets."""
    return _pki_table.distribute_entries(file_sets, sets, pki_dir, owner, group)


@_filter_errors
def bootstrap_token(now_epoch, ttl_minutes):
    """A new bootstrap token {id, secret, expiration} valid for ``ttl_minutes`` from ``now_epoch``."""
    return _bootstrap_token.new_token(now_epoch, ttl_minutes)


@_filter_errors
def encryption_secret(content, path, provider="secretbox"):
    """The key text of the encryption-at-rest key file; fails on a missing, empty or malformed key."""
    return _pki_table.encryption_secret(content, path, provider)


class FilterModule:
    """kubebin pki filters."""

    def filters(self):
        return {
            "pki_certificates": pki_certificates,
            "pki_x509_entries": pki_x509_entries,
            "pki_file_sets": pki_file_sets,
            "pki_hosts_file_sets": pki_hosts_file_sets,
            "pki_distribute_entries": pki_distribute_entries,
            "bootstrap_token": bootstrap_token,
            "encryption_secret": encryption_secret,
        }
