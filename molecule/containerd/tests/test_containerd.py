"""containerd scenario: the runtime as the kubelet will use it, through the real CRI socket (crictl)."""
import json

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from cri_smoke import assert_serves_http_then_remove, crictl, run_web_pod  # noqa: E402 pylint: disable=wrong-import-position

POD = {
    "metadata": {"name": "kubebin-web", "namespace": "default", "uid": "kubebin-web-uid", "attempt": 0},
    "hostname": "kubebin-web",
    "log_directory": "/tmp/kubebin-web-logs",
    "linux": {"cgroup_parent": "kubebin-test.slice"},
}
CONTAINER = {
    "metadata": {"name": "web"},
    "image": {"image": "kubebin.local/webserver:1.0"},
    "log_path": "web.log",
    "linux": {},
}


def test_runc_comes_from_the_distribution(host):
    assert host.package("runc").is_installed
    assert host.run("command -v runc").stdout.strip() in ("/usr/sbin/runc", "/usr/bin/runc")


def test_service_enabled_and_running(host):
    svc = host.service("containerd")
    assert svc.is_running
    assert svc.is_enabled


def test_config_version_3(host):
    cfg = host.file("/etc/containerd/config.toml")
    assert cfg.mode == 0o644
    text = cfg.content_string
    for line in ("version = 3", "SystemdCgroup = true", 'sandbox = "kubebin.local/pause:3.10"',
                 'config_path = "/etc/containerd/certs.d"', "restrict_oom_score_adj = true",
                 'bin_dirs = ["/opt/cni/bin"]', 'conf_dir = "/etc/cni/net.d"',
                 'level = "debug"'):  # side_effect.yml changed the log level
        assert line in text, line


def test_containerd_parsed_the_config(host):
    """containerd's own view of the merged config carries our values (a misspelt key would not)."""
    out = host.check_output("/usr/local/bin/containerd --config /etc/containerd/config.toml config dump")
    assert "sandbox = 'kubebin.local/pause:3.10'" in out or 'sandbox = "kubebin.local/pause:3.10"' in out
    assert "restrict_oom_score_adj = true" in out
    assert "SystemdCgroup = true" in out


def test_registry_mirror_hosts_file(host):
    f = host.file("/etc/containerd/certs.d/docker.io/hosts.toml")
    assert f.mode == 0o644
    assert 'server = "https://registry-1.docker.io"' in f.content_string
    assert '[host."https://mirror.kubebin.invalid"]' in f.content_string


def test_started_once_plus_one_restart(host):
    """converge started containerd once; idempotence and check restarted nothing; side_effect's change once."""
    lines = host.file(host.ansible.get_variables()["molecule_start_counter"]).content_string.split()
    assert len(lines) == 2


def test_crictl_info_ready(host):
    info = json.loads(crictl(host, "info"))
    conditions = {c["type"]: c["status"] for c in info["status"]["conditions"]}
    assert conditions["RuntimeReady"] is True
    assert conditions["NetworkReady"] is True


def test_bundle_images_loaded(host):
    names = host.check_output("/usr/local/bin/ctr -n k8s.io images ls -q").split()
    assert "kubebin.local/pause:3.10" in names
    assert "kubebin.local/webserver:1.0" in names
    tags = [t for i in json.loads(crictl(host, "images", "-o", "json"))["images"] for t in i["repoTags"]]
    assert "kubebin.local/pause:3.10" in tags


@pytest.fixture()
def web_pod(host):
    yield from run_web_pod(host, POD, CONTAINER)


def test_pod_serves_http(host, web_pod):
    pod, ctr = web_pod
    podinfo = json.loads(crictl(host, "inspectp", pod))
    # The sandbox runs the pinned pause image imported from the bundle (no registry is reachable here).
    assert "kubebin.local/pause:3.10" in json.dumps(podinfo["info"])
    ip = podinfo["status"]["network"]["ip"]
    assert ip.startswith("10.244.1.")
    state = json.loads(crictl(host, "inspect", ctr))
    assert state["status"]["state"] == "CONTAINER_RUNNING"
    # systemd cgroup driver: the container lives in a systemd scope under the pod's slice.
    pid = state["info"]["pid"]
    cgroups = host.file("/proc/%d/cgroup" % pid).content_string
    assert "kubebin-test.slice" in cgroups and "cri-containerd-%s.scope" % ctr in cgroups
    # The clamp: nothing in the pod got a negative oom_score_adj.
    assert int(host.file("/proc/%d/oom_score_adj" % pid).content_string) >= 0
    assert_serves_http_then_remove(host, ip, ctr)


def test_pod_removed(host):
    assert crictl(host, "pods", "-q").strip() == ""
    assert crictl(host, "ps", "-a", "-q").strip() == ""
