"""The CRI smoke test shared by the docker and containerd scenarios: a pod sandbox and a web server container made
through the real CRI socket with crictl, as the kubelet would ask for them, and an HTTP check of the container by its
pod IP; plus the checks both runtimes must pass. Each scenario's tests/test_*.py takes the fixtures and tests over
by name (pytest collects a test module's names in their order there)."""
import json

import pytest

CRICTL = "/usr/local/bin/crictl"
PAUSE = "kubebin.local/pause:3.10"
WEB = "kubebin.local/webserver:1.0"
# molecule/shared/runtime_prepare.yml gives pods addresses from 10.244.1.0/24.
POD_IP_PREFIX = "10.244.1."
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


def crictl(host, *args):
    return host.check_output(" ".join([CRICTL] + list(args)))


def crictl_image_tags(host):
    return [t for i in json.loads(crictl(host, "images", "-o", "json"))["images"] for t in i["repoTags"]]


@pytest.fixture()
def web_image():
    """The image web_pod runs, already in the runtime's image store (the containerd role imports it from the bundle).
    A scenario whose runtime role does not (docker) defines its own web_image that loads it."""
    return WEB


@pytest.fixture()
def web_pod(host, web_image):  # pylint: disable=redefined-outer-name
    """`crictl runp` the sandbox, create and start the web container, yield (pod, ctr); then stop and remove the
    sandbox (test_pod_removed checks that nothing is left)."""
    # The kubelet creates the pod's log directory before it asks for the sandbox; cri-dockerd relies on that.
    host.check_output("mkdir -p /tmp/kubebin-cri %s" % POD["log_directory"])
    container = dict(CONTAINER, image={"image": web_image})
    for name, obj in (("pod.json", POD), ("ctr.json", container)):
        host.check_output("cat > /tmp/kubebin-cri/%s <<'EOF'\n%s\nEOF" % (name, json.dumps(obj)))
    pod_id = crictl(host, "runp", "/tmp/kubebin-cri/pod.json").strip()
    try:
        ctr = crictl(host, "create", pod_id, "/tmp/kubebin-cri/ctr.json", "/tmp/kubebin-cri/pod.json").strip()
        crictl(host, "start", ctr)
        yield pod_id, ctr
    finally:
        host.run("%s stopp %s && %s rmp %s" % (CRICTL, pod_id, CRICTL, pod_id))


def inspect_running_web_pod(host, pod, ctr):
    """crictl's view of web_pod: the sandbox holds an IP of the test network and the container runs.
    Returns (pod IP, `crictl inspectp`, `crictl inspect`)."""
    podinfo = json.loads(crictl(host, "inspectp", pod))
    ip = podinfo["status"]["network"]["ip"]
    assert ip.startswith(POD_IP_PREFIX)
    state = json.loads(crictl(host, "inspect", ctr))
    assert state["status"]["state"] == "CONTAINER_RUNNING"
    return ip, podinfo, state


def assert_serves_http_then_remove(host, ip, ctr):
    """The web server answers / with its hostname and /healthz with ok; then the container is stopped and removed."""
    get = ("python3 -c \"import urllib.request,sys; "
           "print(urllib.request.urlopen('http://%s:8080' + sys.argv[1], timeout=5).read().decode())\" " % ip)
    body = ""
    for _attempt in range(20):
        r = host.run(get + "/")
        if r.rc == 0:
            body = r.stdout
            break
        host.run("sleep 0.5")
    assert "kubebin-web" in body
    assert host.check_output(get + "/healthz").strip() == "ok"
    crictl(host, "stop", ctr)
    crictl(host, "rm", ctr)
    assert ctr not in crictl(host, "ps", "-a", "-q")


# --- tests both scenarios run --------------------------------------------------------------------------------------

def test_started_once_plus_one_restart(host):
    """converge started the runtime once; idempotence and check restarted nothing; side_effect's change once
    (molecule_start_counter: the unit drop-in of runtime_prepare.yml writes a line per start)."""
    lines = host.file(host.ansible.get_variables()["molecule_start_counter"]).content_string.split()
    assert len(lines) == 2


def test_crictl_info_ready(host):
    info = json.loads(crictl(host, "info"))
    conditions = {c["type"]: c["status"] for c in info["status"]["conditions"]}
    assert conditions["RuntimeReady"] is True
    assert conditions["NetworkReady"] is True


def test_pause_image_loaded_from_bundle(host):
    assert PAUSE in crictl_image_tags(host)


def test_pod_removed(host):
    """Run after the test that uses web_pod: its teardown left no sandbox and no container."""
    assert crictl(host, "pods", "-q").strip() == ""
    assert crictl(host, "ps", "-a", "-q").strip() == ""
