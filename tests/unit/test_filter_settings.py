# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight check of free-form settings (plugins/filter/settings.py): each bad value is named, good ones pass."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import settings
from ansible_collections.kubebin.cluster.plugins.filter.settings import setting_problems


@pytest.mark.parametrize("name,value", [
    ("kubebin_cluster_name", "kubebin"),
    ("kubebin_cluster_name", "prod-1"),
    ("control_plane_apiserver_extra_args", {"v": 4, "feature-gates": "A=true,B=false", "profiling": False}),
    ("flannel_extra_args", ["--iptables-resync=10", "--v=2"]),
    ("etcd_extra_env", {"ETCD_LOG_OUTPUTS": "stderr", "ETCD_QUOTA_BACKEND_BYTES": 8589934592}),
    ("pki_apiserver_extra_sans", ["api.example.com", "*.lb.example.com", "10.0.0.5", "fd00::5", "DNS:vip",
                                  "IP:192.168.2.1", "xn--nde-6ma.example"]),
    ("prepare_swap_off", "anything"),  # not a free-form setting: no checks here
])
def test_clean_settings_pass(name, value):
    assert setting_problems(value, name) == []


@pytest.mark.parametrize("name,value,expected", [
    ("kubebin_cluster_name", "../etc", "is not a lowercase RFC 1123 label"),
    ("kubebin_cluster_name", "my cluster", "is not a lowercase RFC 1123 label"),
    ("kubebin_cluster_name", "Prod", "is not a lowercase RFC 1123 label"),
    ("etcd_cluster_name", 5, "is not a lowercase RFC 1123 label"),
    ("control_plane_apiserver_extra_args", {"v": "2 --anonymous-auth=true"}, "v value '2 --anonymous-auth=true' has a space"),
    ("node_kubelet_extra_args", {"root-dir": "/var/lib/kubelet\nExecStartPre=/bin/sh"}, "has a space or a line break"),
    ("node_kubelet_extra_args", {"root-dir": "/var/lib/../../etc"}, "has a '../' path component"),
    ("node_kubelet_extra_args", {"--v": 2}, "key '--v' is not a valid flag name"),
    ("node_kubelet_extra_args", {"v": [1, 2]}, "is a list, not a single value"),
    ("node_kubelet_extra_args", {"node-labels": "zone=ü"}, "has non-ASCII characters"),
    ("node_kubelet_extra_args", {"cgroup-root": "$HOME"}, "has one of the characters"),
    ("node_kubelet_extra_args", "--v=2", "must be a mapping or a list"),
    ("flannel_extra_args", ["--iface=eth0 --ip-masq"], "has a space or a line break"),
    ("flannel_extra_args", ["iface=eth0"], "does not start with --"),
    ("etcd_extra_env", {"PATH": "/tmp"}, "key 'PATH' is not a valid ETCD_* variable name"),
    ("etcd_extra_env", {"ETCD_NAME": "a\nETCD_DATA_DIR=/tmp"}, "has a space or a line break"),
    ("pki_apiserver_extra_sans", ["nöde.example"], "is neither an IP address nor a lowercase ASCII DNS name"),
    ("pki_apiserver_extra_sans", ["api example"], "is neither an IP address"),
    ("pki_apiserver_extra_sans", ["IP:api.example"], "is neither an IP address"),
    ("pki_apiserver_extra_sans", "api.example", "must be a list"),
])
def test_bad_settings_are_named(name, value, expected):
    problems = setting_problems(value, name)
    assert problems and expected in problems[0] and name in problems[0], problems


# --- clock_offset: the preflight's clock check --------------------------------------------------------------
@pytest.mark.parametrize("host,sent,read,offset", [
    (100.0, 99.0, 106.0, 0.0),     # a correct clock, whatever the wait between sending and reading
    (112.3, 99.0, 100.0, 12.3),    # ahead
    (90.0, 99.0, 100.0, -9.0),     # behind
    ("99.5", "99", "100", 0.0),    # as the command prints them
])
def test_clock_offset(host, sent, read, offset):
    assert settings.clock_offset(host, sent, read) == offset


@pytest.mark.parametrize("host,sent,read,message", [("x", 1, 2, "Unix seconds"), (1, 5, 2, "came before")])
def test_clock_offset_bad_input(host, sent, read, message):
    with pytest.raises(AnsibleFilterError, match=message):
        settings.clock_offset(host, sent, read)
