"""docker scenario: docker + cri-dockerd as the kubelet will use them, through the real CRI socket (crictl)."""
import json

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
from cri_smoke import assert_serves_http_then_remove, crictl, run_web_pod  # noqa: E402 pylint: disable=wrong-import-position

PAUSE = "kubebin.local/pause:3.10"
WEB = "kubebin.local/webserver:1.0"
POD = {
    "metadata": {"name": "kubebin-web", "namespace": "default", "uid": "kubebin-web-uid", "attempt": 0},
    "hostname": "kubebin-web",
    "log_directory": "/tmp/kubebin-web-logs",
    "linux": {"cgroup_parent": "kubebin-test.slice"},
}
CONTAINER = {
    "metadata": {"name": "web"},
    "image": {"image": WEB},
    "log_path": "web.log",
    "linux": {},
}


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


def test_started_once_plus_one_restart(host):
    """converge started docker once; idempotence and check restarted nothing; side_effect's change once."""
    lines = host.file(host.ansible.get_variables()["molecule_start_counter"]).content_string.split()
    assert len(lines) == 2


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


def test_crictl_info_ready(host):
    info = json.loads(crictl(host, "info"))
    conditions = {c["type"]: c["status"] for c in info["status"]["conditions"]}
    assert conditions["RuntimeReady"] is True
    assert conditions["NetworkReady"] is True


def test_pause_image_loaded_from_bundle(host):
    tags = [t for i in json.loads(crictl(host, "images", "-o", "json"))["images"] for t in i["repoTags"]]
    assert PAUSE in tags


@pytest.fixture()
def web_pod(host):
    # The web server image comes from the bundle too (prepare.yml put the tarball on the node).
    host.check_output("docker load -i /var/lib/kubebin/images/webserver.tar")
    # kubelet creates the pod's log directory; cri-dockerd only links the container log into it.
    host.check_output("mkdir -p /tmp/kubebin-cri %s" % POD["log_directory"])
    yield from run_web_pod(host, POD, CONTAINER)


def test_pod_serves_http(host, web_pod):
    pod, ctr = web_pod
    podinfo = json.loads(crictl(host, "inspectp", pod))
    ip = podinfo["status"]["network"]["ip"]
    assert ip.startswith("10.244.1.")
    state = json.loads(crictl(host, "inspect", ctr))
    assert state["status"]["state"] == "CONTAINER_RUNNING"
    # The sandbox runs the pinned pause image (with cri-dockerd the sandbox id is the docker container id; the
    # io.kubernetes.pod.name label is kubelet's, so crictl-made sandboxes do not carry it).
    sandbox = json.loads(host.check_output("docker inspect %s" % pod))[0]
    assert sandbox["Config"]["Image"] == PAUSE
    assert sandbox["Config"]["Labels"]["io.kubernetes.docker.type"] == "podsandbox"
    # The lab clamp: cri-dockerd asked for -998, the runc wrapper made it 0.
    assert int(host.file("/proc/%d/oom_score_adj" % sandbox["State"]["Pid"]).content_string) >= 0
    assert_serves_http_then_remove(host, ip, ctr)


def test_pod_removed(host):
    assert crictl(host, "pods", "-q").strip() == ""
    assert crictl(host, "ps", "-a", "-q").strip() == ""
