"""Checks of the control_plane scenario: etcd + control plane converged on master01 (see ../molecule.yml)."""
import base64
import importlib.util
import json
import os
import shlex
import ssl
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import kube_bench  # noqa: E402 pylint: disable=wrong-import-position

PKI_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "pki")
REPO = os.path.join(os.path.dirname(__file__), "..", "..", "..")
API = "https://172.30.1.11:6443"
KUBECTL = "/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.kubeconfig"
ETCDCTL = ("ETCDCTL_API=3 /usr/local/bin/etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/etcd/pki/ca.crt "
           "--cert /etc/etcd/pki/healthcheck-client.crt --key /etc/etcd/pki/healthcheck-client.key")
UNITS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
# Flags the tutorial used that Kubernetes has removed since (docs/tutorial-map.md says what replaced each).
REMOVED_FLAGS = ["--insecure-port", "--insecure-bind-address", "--kubelet-https", "--enable-swagger-ui",
                 "--allow-privileged", "--experimental-cluster-signing-duration", "--pod-infra-container-image",
                 "--network-plugin", "--token-auth-file"]


def kubectl(host, args):
    return host.check_output("%s %s" % (KUBECTL, args))


def kube_module():
    """The collection's stdlib API client (plugins/module_utils/_kube.py), loaded by path."""
    path = os.path.join(REPO, "plugins", "module_utils", "_kube.py")
    spec = importlib.util.spec_from_file_location("kubebin_kube", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_services_active_and_enabled(host):
    for unit in UNITS:
        svc = host.service(unit)
        assert svc.is_running, unit
        assert svc.is_enabled, unit


@pytest.mark.parametrize("endpoint", ["/readyz", "/livez"])
def test_health_with_admin_kubeconfig(host, endpoint):
    assert host.check_output("/usr/local/bin/kubectl get --raw %s" % endpoint) == "ok"  # /root/.kube/config


def test_anonymous_requests_reach_the_health_checks_only():
    """From the control node, trusting the cluster CA, without credentials: the health checks answer (a load
    balancer's probe), anything else -> 401 (the AuthenticationConfiguration's anonymous conditions)."""
    ctx = ssl.create_default_context(cafile=os.path.join(PKI_DIR, "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))
    for path in ("/api", "/api/v1/namespaces/kube-system/secrets", "/version", "/readyz/etcd", "/metrics"):
        with pytest.raises(urllib.error.HTTPError) as err:
            opener.open(API + path, timeout=10)
        assert err.value.code == 401, path
    for path in ("/readyz", "/livez", "/healthz"):
        with opener.open(API + path, timeout=10) as answer:
            assert (answer.status, answer.read()) == (200, b"ok"), path


def test_admin_kubeconfig_on_control_node_works():
    """pki_dir/admin.kubeconfig (next to the inventory) reaches the API endpoint from the control node."""
    kube = kube_module()
    client = kube.KubeClient.from_kubeconfig(os.path.join(PKI_DIR, "admin.kubeconfig"))
    assert client.config.server == API
    assert client.get("/api/v1/namespaces/kube-system")["metadata"]["name"] == "kube-system"


@pytest.mark.parametrize("lease", ["kube-controller-manager", "kube-scheduler"])
def test_leader_leases_held(host, lease):
    holder = ""
    for _attempt in range(30):
        holder = kubectl(host, "-n kube-system get lease %s -o jsonpath={.spec.holderIdentity}" % lease)
        if holder:
            break
        time.sleep(2)
    assert holder.startswith("master01_"), holder


def test_no_shared_bootstrap_token(host):
    """Bootstrap tokens are per joining node (the node role's): the control plane keeps none, on the control node or
    in the cluster, and nothing lets kube-controller-manager approve a bootstrap CSR (no nodeclient binding). The
    shared token of an earlier version, planted by side_effect.yml (file, Secret, binding), is gone."""
    assert not os.path.exists(os.path.join(PKI_DIR, "bootstrap-token.json"))
    assert kubectl(host, "-n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token -o name") == ""
    nodeclient = [b["metadata"]["name"] for b in json.loads(kubectl(host, "get clusterrolebindings -o json"))["items"]
                  if b["roleRef"]["name"] == "system:certificates.k8s.io:certificatesigningrequests:nodeclient"]
    assert nodeclient == []


@pytest.mark.parametrize("name,role,kind,subject", [
    ("kubebin:node-bootstrapper", "system:node-bootstrapper", "Group",
     "system:bootstrappers:kubebin:default-node-token"),
    ("kubebin:node-autoapprove-certificate-rotation",
     "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "Group", "system:nodes"),
    ("kubebin:kube-apiserver-to-kubelet", "kubebin:kube-apiserver-to-kubelet", "User",
     "kube-apiserver-kubelet-client"),
])
def test_cluster_role_bindings(host, name, role, kind, subject):
    crb = json.loads(kubectl(host, "get clusterrolebinding %s -o json" % name))
    assert crb["roleRef"]["name"] == role
    assert [(s["kind"], s["name"]) for s in crb["subjects"]] == [(kind, subject)]


def test_apiserver_may_use_kubelet_api_through_rbac(host):
    """The binding alone (no system:masters group) lets the apiserver's kubelet client user reach nodes/proxy."""
    for sub in ("proxy", "log", "stats", "metrics"):
        assert kubectl(host, "auth can-i get nodes --subresource %s --as kube-apiserver-kubelet-client" % sub) == "yes"
    assert host.run(KUBECTL + " auth can-i get nodes --subresource proxy --as someone-else").stdout.strip() == "no"


def test_secret_is_encrypted_in_etcd(host):
    name = "kubebin-enc-" + uuid.uuid4().hex[:8]
    plaintext = "plaintext-" + uuid.uuid4().hex
    kubectl(host, "-n default create secret generic %s --from-literal=v=%s" % (name, plaintext))
    try:
        raw = base64.b64decode(host.check_output(
            "%s get /registry/secrets/default/%s --print-value-only | base64 -w0" % (ETCDCTL, name)))
        assert raw.startswith(b"k8s:enc:secretbox:v1:key1:") or raw.startswith(b"k8s:enc:aescbc:v1:key1:"), raw[:40]
        assert plaintext.encode() not in raw and b"kubebin-enc-" not in raw
        # the API still serves it decrypted
        assert base64.b64decode(kubectl(host, "-n default get secret %s -o jsonpath={.data.v}" % name)) == \
            plaintext.encode()
    finally:
        kubectl(host, "-n default delete secret %s" % name)


def test_audit_log_records_requests(host):
    log = "/var/log/kubernetes/audit/audit.log"
    before = host.file(log).size
    name = "kubebin-audit-" + uuid.uuid4().hex[:8]
    kubectl(host, "-n default create configmap %s" % name)
    kubectl(host, "-n default delete configmap %s" % name)
    found = False
    for _attempt in range(10):  # the audit backend writes asynchronously
        found = host.run("grep -q '\"name\":\"%s\"' %s" % (name, log)).rc == 0
        if found:
            break
        time.sleep(1)
    assert found, "no audit event names configmap %s" % name
    assert host.file(log).size > before
    assert host.file(log).mode == 0o600


def test_file_modes(host):
    private = ["/etc/kubernetes/%s.kubeconfig" % k for k in ("admin", "controller-manager", "scheduler")]
    private += ["/root/.kube/config"]
    private += ["/etc/systemd/system/%s.service" % u for u in UNITS]
    private += ["/etc/kubernetes/control-plane/%s" % f for f in (
        "encryption-config.yaml", "audit-policy.yaml", "admission-config.yaml", "kube-scheduler.yaml")]
    private += host.check_output("find /etc/kubernetes/pki -name '*.key'").split()
    assert len(private) > 15
    for path in private:
        f = host.file(path)
        assert f.mode == 0o600 and f.user == "root", path
    for path in host.check_output("find /etc/kubernetes/pki -name '*.crt' -o -name '*.pub'").split():
        assert host.file(path).mode & 0o022 == 0, path


PPROF_PROBE = r"""
import base64, re, ssl, sys, tempfile, urllib.error, urllib.request
text = open("/etc/kubernetes/admin.kubeconfig").read()
pem = {k: base64.b64decode(re.search(k + r"-data: *(\S+)", text).group(1)) for k in ("client-certificate", "client-key")}
d = tempfile.mkdtemp()
for k, v in pem.items():
    open(d + "/" + k, "wb").write(v)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the components' self-signed serving certificates; only the status matters here
ctx.load_cert_chain(d + "/client-certificate", d + "/client-key")
for path in ("/healthz", "/debug/pprof/"):
    try:
        code = urllib.request.urlopen("https://127.0.0.1:%s%s" % (sys.argv[1], path), context=ctx, timeout=10).status
    except urllib.error.HTTPError as e:
        code = e.code
    print(path, code)
"""


@pytest.mark.parametrize("port", [6443, 10257, 10259])
def test_profiling_is_off(host, port):
    """/debug/pprof is not served (404) to the cluster admin, while /healthz answers 200 on the same port."""
    out = host.check_output("python3 -c %s %d" % (shlex.quote(PPROF_PROBE), port))
    assert out.split("\n") == ["/healthz 200", "/debug/pprof/ 404"], out


def test_no_removed_flags_and_cis_flags_present(host):
    units = host.check_output("cat /etc/systemd/system/kube-*.service")
    for flag in REMOVED_FLAGS:
        assert flag + "=" not in units, flag
    cmdline = host.check_output("ps -eo args | grep [k]ube-apiserver")
    for flag in ("--authentication-config=", "--profiling=false", "--authorization-mode=Node,RBAC",
                 "--enable-bootstrap-token-auth=true", "--kubelet-certificate-authority="):
        assert flag in cmdline, flag
    assert "--anonymous-auth" not in cmdline


@pytest.mark.parametrize("targets,groups,expected", [
    ("master", "1.1,1.2,1.3,1.4", {"1.1.1", "1.1.13", "1.2.1", "1.2.30", "1.3.7", "1.4.2"}),
    ("controlplane", None, {"3.1.1", "3.2.1"}),
])
def test_kube_bench_sections_1_and_3(host, targets, groups, expected):
    """kube-bench cis-1.12 sections 1 (control-plane files and components) and 3 (its configuration) on master01:
    every FAIL is a documented exception."""
    results = kube_bench.run(host, "master01", targets, groups)
    assert expected <= set(results), sorted(results)
    failed = {n for n, s in results.items() if s == "FAIL"}
    assert failed <= kube_bench.documented_exceptions(), sorted(failed - kube_bench.documented_exceptions())
