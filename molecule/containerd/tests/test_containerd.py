"""containerd scenario: the runtime as the kubelet will use it, through the real CRI socket (crictl)."""
import json

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import cri_smoke  # noqa: E402 pylint: disable=wrong-import-position
from cri_smoke import PAUSE, WEB, assert_serves_http_then_remove, inspect_running_web_pod  # noqa: E402 pylint: disable=wrong-import-position

# The fixtures and tests shared with the docker scenario are bound here by name, where they run in this module's order.


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


test_started_once_plus_one_restart = cri_smoke.test_started_once_plus_one_restart
test_crictl_info_ready = cri_smoke.test_crictl_info_ready


def test_bundle_images_loaded(host):
    names = host.check_output("/usr/local/bin/ctr -n k8s.io images ls -q").split()
    assert PAUSE in names
    assert WEB in names


test_pause_image_loaded_from_bundle = cri_smoke.test_pause_image_loaded_from_bundle
# The role imported the web server image (containerd_images): the shared web_image names it.
web_image = cri_smoke.web_image
web_pod = cri_smoke.web_pod


def test_pod_serves_http(host, web_pod):  # pylint: disable=redefined-outer-name
    pod, ctr = web_pod
    ip, podinfo, state = inspect_running_web_pod(host, pod, ctr)
    # The sandbox runs the pinned pause image imported from the bundle (no registry is reachable here).
    assert PAUSE in json.dumps(podinfo["info"])
    # systemd cgroup driver: the container lives in a systemd scope under the pod's slice.
    pid = state["info"]["pid"]
    cgroups = host.file("/proc/%d/cgroup" % pid).content_string
    assert "kubebin-test.slice" in cgroups and "cri-containerd-%s.scope" % ctr in cgroups
    # The clamp: nothing in the pod got a negative oom_score_adj.
    assert int(host.file("/proc/%d/oom_score_adj" % pid).content_string) >= 0
    assert_serves_http_then_remove(host, ip, ctr)


test_pod_removed = cri_smoke.test_pod_removed
