"""docker scenario: docker + cri-dockerd as the kubelet will use them, through the real CRI socket (crictl)."""
import json

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import cri_smoke  # noqa: E402 pylint: disable=wrong-import-position
from cri_smoke import PAUSE, WEB, assert_serves_http_then_remove, inspect_running_web_pod  # noqa: E402 pylint: disable=wrong-import-position

# The fixtures and tests shared with the containerd scenario are bound here by name, where they run in this module's
# order; web_image is this scenario's own.


def test_engine_from_the_distribution(host):
    assert host.package("docker.io").is_installed
    for unit in ("docker.service", "cri-docker.socket", "cri-docker.service"):
        svc = host.service(unit)
        assert svc.is_running, unit
        assert svc.is_enabled, unit


def test_daemon_json(host):
    f = host.file("/etc/docker/daemon.json")
    assert f.mode == 0o644
    cfg = json.loads(f.content_string)
    assert cfg["exec-opts"] == ["native.cgroupdriver=systemd"]
    assert cfg["log-driver"] == "json-file"
    assert cfg["log-opts"] == {"max-size": "100m", "max-file": "5"}
    assert cfg["data-root"] == "/var/lib/docker"
    # lab inventory: the oom_score_adj clamp; side_effect.yml: an extra option merged in.
    assert cfg["default-runtime"] == "kubebin-runc"
    assert cfg["runtimes"] == {"kubebin-runc": {"path": "/usr/local/sbin/kubebin-runc"}}
    assert cfg["max-concurrent-downloads"] == 4


def test_dockerd_uses_the_configuration(host):
    """dockerd's own view (a misspelt key would not show up here)."""
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["CgroupDriver"] == "systemd"
    assert info["LoggingDriver"] == "json-file"
    assert info["DefaultRuntime"] == "kubebin-runc"
    assert info["DockerRootDir"] == "/var/lib/docker"


test_started_once_plus_one_restart = cri_smoke.test_started_once_plus_one_restart


def test_cri_dockerd_flags(host):
    unit = host.file("/etc/systemd/system/cri-docker.service").content_string
    for flag in ("--container-runtime-endpoint=fd://", "--pod-infra-container-image=" + PAUSE,
                 "--network-plugin=cni", "--cni-bin-dir=/opt/cni/bin", "--cni-conf-dir=/etc/cni/net.d"):
        assert flag in unit, flag
    assert host.socket("unix:///run/cri-dockerd.sock").is_listening


def test_crictl_config(host):
    f = host.file("/etc/crictl.yaml")
    assert f.mode == 0o644
    assert "runtime-endpoint: unix:///run/cri-dockerd.sock" in f.content_string


test_crictl_info_ready = cri_smoke.test_crictl_info_ready
test_pause_image_loaded_from_bundle = cri_smoke.test_pause_image_loaded_from_bundle


@pytest.fixture()
def web_image(host):
    """The docker role loads only pause: the web server image comes from the bundle's tarball, which the prepare
    playbook put on the node (molecule_prepare_images)."""
    host.check_output("docker load -i /var/lib/kubebin/images/webserver.tar")
    return WEB


web_pod = cri_smoke.web_pod


def test_pod_serves_http(host, web_pod):  # pylint: disable=redefined-outer-name
    pod, ctr = web_pod
    ip, _podinfo, _state = inspect_running_web_pod(host, pod, ctr)
    # The sandbox runs the pinned pause image (with cri-dockerd the sandbox id is the docker container id; the
    # io.kubernetes.pod.name label is kubelet's, so crictl-made sandboxes do not carry it).
    sandbox = json.loads(host.check_output("docker inspect %s" % pod))[0]
    assert sandbox["Config"]["Image"] == PAUSE
    assert sandbox["Config"]["Labels"]["io.kubernetes.docker.type"] == "podsandbox"
    # The lab clamp: cri-dockerd asked for -998, the runc wrapper made it 0.
    assert int(host.file("/proc/%d/oom_score_adj" % sandbox["State"]["Pid"]).content_string) >= 0
    assert_serves_http_then_remove(host, ip, ctr)


test_pod_removed = cri_smoke.test_pod_removed
