"""The CRI smoke test shared by the docker and containerd scenarios: a pod sandbox and a web server container made
through the real CRI socket with crictl, and an HTTP check of the container by its pod IP."""
import json

CRICTL = "/usr/local/bin/crictl"


def crictl(host, *args):
    return host.check_output(" ".join([CRICTL] + list(args)))


def run_web_pod(host, pod, container):
    """Generator for a fixture: `crictl runp` the sandbox, create and start the container, yield (pod, ctr),
    then stop and remove the sandbox."""
    host.check_output("mkdir -p /tmp/kubebin-cri")
    for name, obj in (("pod.json", pod), ("ctr.json", container)):
        host.check_output("cat > /tmp/kubebin-cri/%s <<'EOF'\n%s\nEOF" % (name, json.dumps(obj)))
    pod_id = crictl(host, "runp", "/tmp/kubebin-cri/pod.json").strip()
    try:
        ctr = crictl(host, "create", pod_id, "/tmp/kubebin-cri/ctr.json", "/tmp/kubebin-cri/pod.json").strip()
        crictl(host, "start", ctr)
        yield pod_id, ctr
    finally:
        host.run("%s stopp %s && %s rmp %s" % (CRICTL, pod_id, CRICTL, pod_id))


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
