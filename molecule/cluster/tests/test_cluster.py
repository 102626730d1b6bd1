# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cluster scenario: what a whole cluster must do, checked against the lab nodes after site.yml.

Cluster-level checks run once, through the first control-plane host (kubectl with the admin kubeconfig);
node-level checks reach the other hosts through their containers. Shared by molecule/cluster and molecule/ha: the
topology (hosts, addresses, groups) is read from the scenario's platforms, or from the lab inventory, never assumed.
"""
import base64
import glob
import ipaddress
import json
import os
import re
import sys
import time

import pytest
import testinfra
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import kube_bench  # noqa: E402 pylint: disable=wrong-import-position

PROJECT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
KUBEBIN_GROUPS = ("etcd", "kube_control_plane", "kube_node")


def _topology():
    """{host: {"ip": address, "groups": [kubebin groups]}}: the Molecule scenario's platforms (containers named as the
    hosts), or, outside Molecule, the lab inventory KUBEBIN_TEST_INVENTORY (default inventory/lab; the containers are
    then named KUBEBIN_TEST_PREFIX<host>, e.g. kubebin-lab-)."""
    scenario = os.environ.get("MOLECULE_SCENARIO_DIRECTORY")
    if scenario:
        platforms = []  # the scenario's, else the base configuration's
        for path in (os.path.join(scenario, "molecule.yml"), os.path.join(PROJECT, ".config", "molecule", "config.yml")):
            with open(path, encoding="utf-8") as f:
                platforms = platforms or yaml.safe_load(f).get("platforms") or []
        return {p["name"]: {"ip": p["networks"][0]["ipv4_address"],
                            "groups": [g for g in p["groups"] if g in KUBEBIN_GROUPS]} for p in platforms}
    inventory = os.environ.get("KUBEBIN_TEST_INVENTORY", os.path.join(PROJECT, "inventory", "lab"))
    with open(os.path.join(inventory, "hosts.yml"), encoding="utf-8") as f:
        inv = yaml.safe_load(f)["all"]
    return {h: {"ip": v["kubebin_node_ip"],
                "groups": [g for g in KUBEBIN_GROUPS if h in (inv["children"].get(g) or {}).get("hosts", {})]}
            for h, v in inv["hosts"].items()}


# The Molecule nodes (containers named as the hosts, on 172.30.1.0/24). The same tests run against `make lab` with
# KUBEBIN_TEST_PREFIX=kubebin-lab- (and KUBEBIN_TEST_INVENTORY=inventory/lab-ha for `make lab LAB=ha`).
PREFIX = os.environ.get("KUBEBIN_TEST_PREFIX", "")
TOPOLOGY = _topology()
GROUPS = {h: t["groups"] for h, t in TOPOLOGY.items() if t["groups"]}  # the cluster's hosts (not node03, spare)
HOSTS = {h: TOPOLOGY[h]["ip"] for h in sorted(GROUPS)}
MASTERS = sorted(h for h in GROUPS if "kube_control_plane" in GROUPS[h])
MASTER = MASTERS[0]
testinfra_hosts = [f"docker://{PREFIX}{MASTER}"]

# The workers (Nodes that are no control-plane host) and every Node.
NODES = {h: ip for h, ip in HOSTS.items() if "kube_node" in GROUPS[h] and "kube_control_plane" not in GROUPS[h]}
KUBE_NODES = {h: ip for h, ip in HOSTS.items() if "kube_node" in GROUPS[h]}
ETCD = [HOSTS[h] for h in HOSTS if "etcd" in GROUPS[h]]
NS = "kubebin-smoke"
NODE_PORT = 30080
# The API port and service CIDR of the scenario (molecule/ha moves both off their defaults, so every test here also
# proves that no role or playbook assumes them).
API_PORT = int(os.environ.get("KUBEBIN_TEST_API_PORT", "6443"))
# With several control-plane hosts and no external endpoint, the hosts reach the API servers through their local
# HAProxy (role apiserver_lb) on this port.
LB_PORT = int(os.environ.get("KUBEBIN_TEST_LB_PORT", "6444"))
SERVICE_CIDR = ipaddress.ip_network(os.environ.get("KUBEBIN_TEST_SERVICE_CIDR", "10.96.0.0/12"))
KUBECTL = ("/usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.kubeconfig "
           f"--server https://127.0.0.1:{API_PORT}")
UNITS_LOG = "/var/lib/kubebin-test/units.log"
# site.yml runs the scenario makes before verify: converge, idempotence and (molecule/ha) check.
RUNS = int(os.environ.get("KUBEBIN_TEST_RUNS", "3"))
ETCDCTL = ("ETCDCTL_API=3 /usr/local/bin/etcdctl --cacert=/etc/etcd/pki/ca.crt "
           "--cert=/etc/etcd/pki/healthcheck-client.crt --key=/etc/etcd/pki/healthcheck-client.key")


# Both cluster scenarios enable ufw (default deny incoming and routed) before site.yml (molecule/cluster/prepare.yml).
# molecule/cluster runs prepare_firewall: open (KUBEBIN_TEST_FIREWALL=open), so every test here also proves that the
# opened ports are enough; molecule/ha and `make lab` run the default, disable.
FIREWALL = os.environ.get("KUBEBIN_TEST_FIREWALL", "disable")
PREPARE_DEFAULTS = os.path.join(PROJECT, "roles", "prepare", "defaults", "main.yml")


def node(name):
    return testinfra.get_host(f"docker://{PREFIX}{name}")


def kubectl(host, args):
    return host.check_output(f"{KUBECTL} {args}")


def kjson(host, args):
    return json.loads(kubectl(host, args + " -o json"))


@pytest.fixture(scope="module")
def pods(host):
    items = kjson(host, f"-n {NS} get pods -l app=webserver")["items"]
    return [p for p in items if p["status"].get("phase") == "Running"]


@pytest.fixture(scope="module")
def pod_on(pods):
    return {p["spec"]["nodeName"]: p for p in pods}


def in_pod_netns(name, cmd):
    """Run cmd on node `name` inside the network namespace of its webserver pod (the image has no shell or curl)."""
    n = node(name)
    pid = n.check_output("pgrep -o -x webserver")
    return n.run(f"nsenter -t {pid} -n {cmd}")


def etcd_healthy(name, endpoints=None):
    """The endpoints etcdctl on host `name` finds healthy: the given ones, or with endpoints=None every member of the
    cluster (--cluster), as a sorted list; and the endpoints asked about (all members' client URLs)."""
    target = f"--endpoints={','.join(endpoints or [f'https://{HOSTS[name]}:2379'])}"
    r = node(name).run(f"{ETCDCTL} --dial-timeout=3s --command-timeout=5s {target} endpoint health -w json"
                       + ("" if endpoints else " --cluster"))
    health = json.loads(r.stdout or "[]")
    return sorted(h["endpoint"] for h in health if h["health"]), sorted(h["endpoint"] for h in health)


def test_etcd_members_healthy(host):
    """Every etcd member answers, asked from an etcd member that is not the first control-plane host."""
    asker = [h for h in HOSTS if "etcd" in GROUPS[h] and h != MASTER][0]
    endpoints = [f"https://{ip}:2379" for ip in ETCD]
    assert etcd_healthy(asker, endpoints)[0] == sorted(endpoints)


def test_nodes_ready_with_v1_37(host):
    nodes = {n["metadata"]["name"]: n for n in kjson(host, "get nodes")["items"]}
    assert set(KUBE_NODES) == set(nodes)
    for name in KUBE_NODES:
        status = nodes[name]["status"]
        ready = [c for c in status["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", (name, ready)
        assert status["nodeInfo"]["kubeletVersion"].startswith("v1.37."), status["nodeInfo"]
        ips = [a["address"] for a in status["addresses"] if a["type"] == "InternalIP"]
        assert ips == [KUBE_NODES[name]]


def test_no_csr_pending(host):
    pending = [c["metadata"]["name"] for c in kjson(host, "get csr")["items"]
               if not c.get("status", {}).get("conditions")]
    assert pending == []


@pytest.mark.parametrize("case,reason", [
    ("other-ip", "is not an address of node01 (it belongs to node02)"),
    ("other-name", None),  # the API server refused it (403): the CN is not node01's user name
    ("email-san", "SANs are not allowed"),
    ("long-expiry", "spec.expirationSeconds 315360000 is above max_expiration_seconds"),
    ("ca-request", "asks for a CA certificate"),
    ("wrong-case", None),  # likewise (csr_approve would deny it too: tests/unit/test_csr_decide.py)
])
def test_forged_csr_denied(host, case, reason):
    """side_effect.yml: node01 asked for serving certificates it must not get; each was refused by the API server or
    denied by csr_approve (the node role, or the service kubebin-csr-approver with the same checks), saying why."""
    if reason is None:
        out = host.run(f"{KUBECTL} get csr kubebin-test-forged-{case}")
        assert out.rc != 0 and "NotFound" in out.stderr, (out.stdout, out.stderr)
        return
    csr = kjson(host, f"get csr kubebin-test-forged-{case}")
    types = {c["type"]: c for c in csr["status"]["conditions"]}
    assert "Approved" not in types
    assert types["Denied"]["status"] == "True"
    assert reason in types["Denied"]["message"], types["Denied"]["message"]
    assert csr["spec"]["username"] == "system:node:node01"
    assert "certificate" not in csr["status"]


@pytest.mark.parametrize("name", sorted(NODES))
def test_kubelet_serving_cert_signed_by_cluster_ca_with_own_names_only(host, name):
    ca = x509.load_pem_x509_certificate(host.file("/etc/kubernetes/pki/ca.crt").content)
    pem = node(name).file("/var/lib/kubelet/pki/kubelet-server-current.pem").content
    cert = x509.load_pem_x509_certificate(pem)  # the file holds the certificate, then the key
    assert cert.issuer == ca.subject
    pub = ca.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    else:
        assert isinstance(pub, ec.EllipticCurvePublicKey)
        pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName)) | {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    assert names == {name, NODES[name]}
    assert cert.subject.rfc4514_string() in (f"CN=system:node:{name},O=system:nodes",
                                             f"O=system:nodes,CN=system:node:{name}")


def test_api_port_and_service_cidr(host):
    """kube-apiserver listens on the scenario's port only, every kubeconfig on the hosts names it (or, with several
    control-plane hosts, the local HAProxy's port: test_ha.py checks which), and Service IPs come from the
    scenario's service CIDR (kubernetes = its first address)."""
    listening = host.check_output("ss -Htln")
    assert f":{API_PORT} " in listening and (API_PORT == 6443 or ":6443 " not in listening), listening
    assert kjson(host, "-n default get service kubernetes")["spec"]["clusterIP"] == str(SERVICE_CIDR[1])
    assert ipaddress.ip_address(kjson(host, f"-n {NS} get service webserver")["spec"]["clusterIP"]) in SERVICE_CIDR
    ports = (f":{API_PORT}", f":{LB_PORT}") if len(MASTERS) > 1 else (f":{API_PORT}",)
    for name in HOSTS:
        for path in node(name).check_output("ls /etc/kubernetes/*.kubeconfig").split():
            servers = [c["cluster"]["server"] for c in yaml.safe_load(node(name).file(path).content_string)["clusters"]]
            assert servers and all(s.endswith(ports) for s in servers), (name, path, servers)


@pytest.mark.parametrize("name", sorted(NODES))
def test_kubelet_dns_is_the_tenth_service_address(name):
    cfg = yaml.safe_load(node(name).file("/var/lib/kubelet/config.yaml").content_string)
    assert cfg["clusterDNS"] == [str(SERVICE_CIDR[10])]


@pytest.mark.parametrize("name", sorted(NODES))
def test_kubelet_settings(name):
    n = node(name)
    cfg = n.file("/var/lib/kubelet/config.yaml").content_string
    for line in ("readOnlyPort: 0", "serverTLSBootstrap: true", "rotateCertificates: true", "cgroupDriver: systemd",
                 "mode: Webhook", "protectKernelDefaults: true", "- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"):
        assert line in cfg
    assert "CBC" not in cfg
    for path in ("/var/lib/kubelet/config.yaml", "/var/lib/kube-proxy/config.yaml",
                 "/etc/systemd/system/kubelet.service", "/etc/systemd/system/kube-proxy.service"):
        assert n.file(path).mode == 0o600, path
    if not n.file("/sys/fs/cgroup/cgroup.controllers").exists:
        assert "failCgroupV1: false" in cfg
    assert n.run("curl -s -m 3 http://127.0.0.1:10255/healthz").rc != 0  # read-only port closed
    anon = n.run(f"curl -sk -m 3 -o /dev/null -w '%{{http_code}}' https://{NODES[name]}:10250/pods")
    assert anon.stdout == "401"  # anonymous kubelet API refused
    assert n.service("kubelet").is_running and n.service("kube-proxy").is_running


def test_control_plane_node_labelled_and_tainted(host):
    """Workers carry no control-plane label or taint. A control-plane host is a Node only where it is also in
    kube_node (scenario ha): there it has the role label and the NoSchedule taint; elsewhere it is no Node."""
    nodes = {n["metadata"]["name"]: n for n in kjson(host, "get nodes")["items"]}
    for name in NODES:
        assert "node-role.kubernetes.io/control-plane" not in nodes[name]["metadata"]["labels"]
        assert not nodes[name]["spec"].get("taints")
    for name in MASTERS:
        assert (name in nodes) == (name in KUBE_NODES), sorted(nodes)
        if name in nodes:
            assert "node-role.kubernetes.io/control-plane" in nodes[name]["metadata"]["labels"]
            assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in [
                {k: t[k] for k in ("key", "effect")} for t in nodes[name]["spec"].get("taints", [])]


def test_webserver_spread_over_both_nodes(host, pods):
    dep = kjson(host, f"-n {NS} get deployment webserver")
    assert dep["spec"]["replicas"] == 2 and dep["status"].get("readyReplicas") == 2
    assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(NODES)
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "kubebin.local/webserver:1.0"


@pytest.mark.parametrize("name", sorted(NODES))
def test_service_answers_from_a_pod_on_each_node(host, pod_on, name):
    svc = kjson(host, f"-n {NS} get service webserver")
    ip = svc["spec"]["clusterIP"]
    seen = set()
    for _attempt in range(12):
        r = in_pod_netns(name, f"curl -s -m 3 http://{ip}:80/")
        assert r.rc == 0, r.stderr
        seen.add(r.stdout.strip())
    assert seen <= {p["metadata"]["name"] for p in pod_on.values()}
    assert seen  # answered


@pytest.mark.parametrize("name", sorted(NODES))
def test_service_answers_through_nodeport_on_each_node(host, pod_on, name):
    out = host.check_output(f"curl -s -m 5 http://{NODES[name]}:{NODE_PORT}/")
    assert out.strip() in {p["metadata"]["name"] for p in pod_on.values()}


def test_pod_on_node01_reaches_pod_on_node02_by_pod_ip(pod_on):
    target = pod_on["node02"]
    assert target["status"]["podIP"].startswith("10.244.")
    r = in_pod_netns("node01", f"curl -s -m 5 http://{target['status']['podIP']}:8080/")
    assert r.rc == 0, r.stderr
    assert r.stdout.strip() == target["metadata"]["name"]
    # over flannel: node01 routes node02's pod subnet through the vxlan device
    assert "dev flannel.1" in node("node01").check_output(f"ip route get {target['status']['podIP']}")


def test_kubectl_logs_and_exec(host, pods):
    for p in pods:
        name = p["metadata"]["name"]
        assert "listening on" in kubectl(host, f"-n {NS} logs {name}")
        assert kubectl(host, f"-n {NS} exec {name} -- /webserver -version").strip() == "kubebin webserver 1.0"


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_firewall(name):
    status = node(name).check_output("ufw status")
    if FIREWALL == "open":
        with open(PREPARE_DEFAULTS) as f:
            defaults = yaml.safe_load(f.read().replace("{{ kubebin_api_port }}", str(API_PORT)))
        ports = {p.replace("-", ":") for g in ["all", *GROUPS[name]] for p in defaults["prepare_firewall_ports"].get(g, [])}
        public = ports & {p.replace("-", ":") for p in defaults["prepare_firewall_public_ports"]}
        # The public ports from anywhere, every other one from the cluster hosts only; 123/udp from the network
        # every Molecule node serves time to (prepare_chrony_serve_subnets in .config/molecule/config.yml).
        # kubelet's port also from the pod network (metrics-server scrapes it from a pod).
        wanted = ({(p, "Anywhere") for p in public} | {(p, ip) for p in ports - public for ip in HOSTS.values()}
                  | {("123/udp", "172.30.0.0/16"), ("10250/tcp", "10.244.0.0/16")})
        allowed = {(line.split()[0], line.split()[2]) for line in status.splitlines()
                   if " ALLOW " in line and "(v6)" not in line}
        assert status.startswith("Status: active"), status
        assert allowed == wanted
        assert "deny (incoming)" in node(name).check_output("ufw status verbose")
    else:
        ufw = node(name).service("ufw")
        assert status.startswith("Status: inactive"), status
        assert not ufw.is_running and not ufw.is_enabled


def _connects(name, ip, port):
    """Whether a TCP connection from node `name` to ip:port is accepted within 3 s (ufw drops: a time-out)."""
    return node(name).run(f"timeout 3 bash -c '</dev/tcp/{ip}/{port}'").rc == 0


@pytest.mark.skipif(FIREWALL != "open", reason="prepare_firewall: open only (molecule/cluster)")
def test_cluster_ports_refuse_a_host_outside_the_cluster():
    """node03 (172.30.1.14, in no cluster group until the day-2 driver adds it) gets no answer from etcd or kubelet;
    node02, a cluster host, reaches the same ports (so a dead service cannot make this pass), and node03 reaches the
    API server (a public port). VXLAN (8472/udp) between cluster hosts is proven by the cross-node pod tests above;
    from node03 by the day-2 driver after add-node."""
    ips = HOSTS
    closed = [("master01", 2379), ("master01", 2380), ("node01", 10250), ("node01", 2379), ("node01", 2380)]
    assert [t for t in closed if not _connects("node02", ips[t[0]], t[1])] == []
    assert [t for t in closed if _connects("node03", ips[t[0]], t[1])] == []
    assert _connects("node03", ips["master01"], API_PORT)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_no_service_restarted_by_idempotence_or_check(name):
    """converge.yml appends each unit's start time and restart count after converge, idempotence and check."""
    log = node(name).file(UNITS_LOG).content_string
    records = [r.strip() for r in log.split("---") if r.strip()]
    assert len(records) >= RUNS, f"expected records of {RUNS} runs (converge, idempotence[, check]), got {len(records)}"
    assert all(r == records[0] for r in records[1:]), records
    units = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
             for block in records[0].split("\n\n")]
    expected = {unit for group, unit in [("etcd", "etcd.service"), ("kube_control_plane", "kube-apiserver.service"),
                                         ("kube_node", "kubelet.service")] if group in GROUPS[name]}
    if len(MASTERS) > 1:
        expected.add("kube-api-lb.service")  # the local API load balancer (role apiserver_lb, HAProxy) on every host
    if "kube_control_plane" in GROUPS[name]:
        expected.add("kubebin-csr-approver.service")  # role csr_approver
    assert expected <= {u.get("Id") for u in units if u.get("ActiveState") == "active"}, records[0]


# The control node's inventory directory (Molecule's, or the lab's for make lab); the PKI is in
# .kubebin/<kubebin_cluster_name>/pki under it.
INVENTORY_DIR = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory") \
    if os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") else \
    os.environ.get("KUBEBIN_TEST_INVENTORY", os.path.join(PROJECT, "inventory", "lab"))
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _organizations(pem):
    cert = x509.load_pem_x509_certificate(pem.encode())
    return [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]


def _certificates_in(text):
    """Every PEM certificate of a file: plain blocks and the client certificates embedded in kubeconfigs."""
    pems = PEM_RE.findall(text)
    pems += [base64.b64decode(d).decode() for d in re.findall(r"client-certificate-data:\s*(\S+)", text)]
    return pems


@pytest.mark.parametrize("name", ["node02", "ghost"])
def test_a_nodes_bootstrap_token_gets_no_certificate_for_another_name(host, name):
    """side_effect.yml: with the bootstrap token issued to node01, client CSRs for node02 and for a node outside the
    inventory were denied (kube-controller-manager approves no bootstrap CSR: no nodeclient binding)."""
    csr = kjson(host, f"get csr kubebin-test-forged-token-{name}")
    assert re.fullmatch(r"system:bootstrap:[a-z0-9]{6}", csr["spec"]["username"]), csr["spec"]["username"]
    types = {c["type"]: c for c in csr["status"]["conditions"]}
    assert "Approved" not in types and "certificate" not in csr["status"]
    assert types["Denied"]["status"] == "True"
    assert re.fullmatch(r"token [a-z0-9]{6} was issued to node01, the CSR asks for system:node:" + name,
                        types["Denied"]["message"]), types["Denied"]["message"]


def test_kubelet_client_renewal_still_approved_by_the_controller_manager(host):
    """Only bootstrap CSRs lost their automatic approval: node01's renewal of its own client certificate
    (side_effect.yml, with its current certificate) is approved by kube-controller-manager (selfnodeclient) and
    issued."""
    for _attempt in range(30):
        csr = kjson(host, "get csr kubebin-test-renewal-node01")
        if csr["status"].get("certificate"):
            break
        time.sleep(1)
    assert csr["spec"]["username"] == "system:node:node01"
    types = {c["type"]: c for c in csr["status"]["conditions"]}
    assert "Denied" not in types and types["Approved"]["reason"] == "AutoApproved", types
    cert = x509.load_pem_x509_certificate(base64.b64decode(csr["status"]["certificate"]))
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == ["system:node:node01"]
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["system:nodes"]


def test_no_bootstrap_token_left_and_no_foreign_node(host):
    """Every joining node's token (and the one side_effect.yml made for node01) was deleted once it had joined; the
    token holder could not register a Node outside the inventory (its POST got 403 in side_effect.yml)."""
    left = kjson(host, "-n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token")["items"]
    assert [s["metadata"]["name"] for s in left] == []
    names = {n["metadata"]["name"] for n in kjson(host, "get nodes")["items"]}
    assert "ghost" not in names and names == set(KUBE_NODES), names
    bindings = kjson(host, "get clusterrolebindings")["items"]
    nodeclient = [b["metadata"]["name"] for b in bindings
                  if b["roleRef"]["name"] == "system:certificates.k8s.io:certificatesigningrequests:nodeclient"]
    assert nodeclient == []


@pytest.mark.parametrize("name", sorted(NODES))
def test_joined_node_keeps_only_its_own_client_certificate(name):
    n = node(name)
    assert not n.file("/etc/kubernetes/bootstrap-kubelet.kubeconfig").exists
    pem = PEM_RE.findall(n.file("/var/lib/kubelet/pki/kubelet-client-current.pem").content_string)[0]
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == [f"system:node:{name}"]
    assert _organizations(pem) == ["system:nodes"]


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_no_system_masters_certificate_on_the_host(name):
    """system:masters bypasses RBAC and cannot be revoked: no certificate under /etc (or root's kubeconfig) has it."""
    n = node(name)
    files = n.check_output("grep -rlsE --exclude-dir=cache 'BEGIN CERTIFICATE|client-certificate-data' /etc /root/.kube; true").split()
    assert any(f.endswith(".kubeconfig") for f in files), files
    masters = [f for f in files for pem in _certificates_in(n.file(f).content_string)
               if "system:masters" in _organizations(pem)]
    assert masters == [], masters


def test_admin_is_a_bindable_group_and_break_glass_stays_on_the_control_node(host):
    who = kjson(host, "auth whoami")["status"]["userInfo"]
    assert who["username"] == "kubernetes-admin"
    assert "kubebin:cluster-admins" in who["groups"] and "system:masters" not in who["groups"], who
    assert kubectl(host, "auth can-i '*' '*'").strip() == "yes"
    found = glob.glob(os.path.join(INVENTORY_DIR, ".kubebin", "*", "pki", "super-admin.kubeconfig"))
    assert len(found) == 1, found
    path = found[0]
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path) as f:
        assert [_organizations(p) for p in _certificates_in(f.read())] == [["system:masters"]]


# kube-bench's node and etcd sections run on a host that is both: a worker that is an etcd member (molecule/cluster:
# node01), else the first such host (molecule/ha: master01).
_BENCH = [h for h in HOSTS if {"etcd", "kube_node"} <= set(GROUPS[h])]
BENCH_HOST = ([h for h in _BENCH if h in NODES] or _BENCH)[0]


@pytest.mark.parametrize("targets,expected", [("node", {"4.1.1", "4.2.1", "4.2.12", "4.3.1"}),
                                              ("etcd", {"2.1", "2.5", "2.7"})])
def test_kube_bench_node_and_etcd_sections(targets, expected):
    """kube-bench cis-1.12 section 4 (worker node) and 2 (etcd) on BENCH_HOST: every FAIL is a documented
    exception."""
    results = kube_bench.run(node(BENCH_HOST), PREFIX + BENCH_HOST, targets)
    assert expected <= set(results), sorted(results)
    failed = {n for n, s in results.items() if s == "FAIL"}
    assert failed <= kube_bench.documented_exceptions(), sorted(failed - kube_bench.documented_exceptions())


# --- The kubelet serving CSR approver service (role csr_approver), last: it replaces node01's serving certificate ---

APPROVER = "kubebin-csr-approver"
APPROVER_KUBECONFIG = "/etc/kubernetes/csr-approver/csr-approver.kubeconfig"
SERVING_SIGNER = "kubernetes.io/kubelet-serving"
SERVING_CERT = "/var/lib/kubelet/pki/kubelet-server-current.pem"


def _serving_csrs(host, name):
    return {c["metadata"]["name"]: c for c in kjson(host, "get csr")["items"]
            if c["spec"]["signerName"] == SERVING_SIGNER and c["spec"]["username"] == f"system:node:{name}"}


def _approver_logged(line):
    """Whether the service's journal on some control-plane host has ``line`` (``approved <csr> (``, ...)."""
    return any(line in node(m).run(f"journalctl -u {APPROVER} --no-pager -o cat").stdout for m in MASTERS)


def _condition(csr, kind):
    return {c["type"]: c for c in (csr.get("status") or {}).get("conditions") or []}.get(kind)


@pytest.mark.parametrize("name", MASTERS)
def test_csr_approver_runs_on_every_control_plane_host_with_its_own_credentials(name):
    n = node(name)
    assert n.service(APPROVER).is_running and n.service(APPROVER).is_enabled
    props = dict(line.split("=", 1) for line in n.check_output(
        f"systemctl show --property=User,NoNewPrivileges,ProtectSystem {APPROVER}").splitlines())
    assert props == {"User": APPROVER, "NoNewPrivileges": "yes", "ProtectSystem": "strict"}, props
    kubeconfig = n.file(APPROVER_KUBECONFIG)
    assert kubeconfig.user == APPROVER and kubeconfig.group == APPROVER and kubeconfig.mode == 0o600
    pems = _certificates_in(kubeconfig.content_string)
    cert = x509.load_pem_x509_certificate(pems[0].encode())
    assert cert.subject.rfc4514_string() == "CN=kubebin:csr-approver"  # no group, above all no system:masters
    nodes = json.loads(n.file("/etc/kubernetes/csr-approver-nodes.json").content_string)
    assert sorted(nodes, key=lambda e: e["name"]) == [{"name": h, "addresses": [ip]} for h, ip in KUBE_NODES.items()]


@pytest.mark.parametrize("verb,group,resource,subresource,name,allowed", [
    ("get", "certificates.k8s.io", "certificatesigningrequests", "", "", True),
    ("list", "certificates.k8s.io", "certificatesigningrequests", "", "", True),
    ("watch", "certificates.k8s.io", "certificatesigningrequests", "", "", True),
    ("update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", True),
    ("approve", "certificates.k8s.io", "signers", "", SERVING_SIGNER, True),
    ("approve", "certificates.k8s.io", "signers", "", "kubernetes.io/kube-apiserver-client-kubelet", False),
    ("approve", "certificates.k8s.io", "signers", "", "kubernetes.io/kube-apiserver-client", False),
    ("create", "certificates.k8s.io", "certificatesigningrequests", "", "", False),
    ("update", "certificates.k8s.io", "certificatesigningrequests", "status", "", False),
    ("delete", "certificates.k8s.io", "certificatesigningrequests", "", "", False),
    ("get", "", "secrets", "", "", False),
    ("list", "", "nodes", "", "", False),
])
def test_csr_approver_rbac_is_least_privilege(host, verb, group, resource, subresource, name, allowed):
    """A SubjectAccessReview for the service's user (as its client certificate authenticates: no group of its own)."""
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": "kubebin:csr-approver", "groups": ["system:authenticated"],
                       "resourceAttributes": {"verb": verb, "group": group, "resource": resource,
                                              "subresource": subresource, "name": name}}}
    out = host.check_output(f"echo {base64.b64encode(json.dumps(review).encode()).decode()} | base64 -d | "
                            f"{KUBECTL} create -f - -o json")
    assert json.loads(out)["status"].get("allowed", False) is allowed, out


def test_serving_certificate_renewed_by_the_service_without_ansible(host, pod_on):
    """node01 loses its serving certificate and restarts kubelet, which asks for a new one: within 60 s the service
    (not a playbook: none runs during verify) approves it with csr_approve's reason, the kubelet installs the issued
    certificate, and kubectl logs and exec to node01's pod work again."""
    n = node("node01")
    before = set(_serving_csrs(host, "node01"))
    n.check_output(f'target=$(readlink -f {SERVING_CERT}); rm -f "$target" {SERVING_CERT}; systemctl restart kubelet')
    started = time.monotonic()
    approved = None
    for _attempt in range(60):
        new = {k: c for k, c in _serving_csrs(host, "node01").items() if k not in before}
        approved = next((c for c in new.values() if _condition(c, "Approved")), None)
        if approved is not None and approved["status"].get("certificate") and n.file(SERVING_CERT).exists:
            break
        time.sleep(1)
    assert approved is not None, f"no new serving CSR of node01 approved within 60 s: {sorted(new)}"
    cond = _condition(approved, "Approved")
    assert cond["reason"] == "KubebinCSRApprove" and cond["message"].startswith("serving certificate for node01 "), cond
    assert approved["status"].get("certificate"), "approved but not issued"
    assert n.file(SERVING_CERT).exists
    name = approved["metadata"]["name"]
    print(f"\nCLUSTER-MEASURE serving CSR {name} approved and installed {time.monotonic() - started:.1f} s after kubelet's restart")
    assert _approver_logged(f"approved {name} (system:node:node01, {SERVING_SIGNER}): "), name
    pod = pod_on["node01"]["metadata"]["name"]
    for _attempt in range(30):
        logs = host.run(f"{KUBECTL} -n {NS} logs {pod}")
        if logs.rc == 0:
            break
        time.sleep(1)
    assert "listening on" in logs.stdout, logs.stderr
    assert kubectl(host, f"-n {NS} exec {pod} -- /webserver -version").strip() == "kubebin webserver 1.0"


def test_forged_serving_csr_denied_by_the_service(host):
    """node01 (its own client certificate) asks for a serving certificate with node02's IP: the service denies it
    within 60 s with csr_approve's reason, and nothing is issued."""
    csr_name = "kubebin-test-service-forged-other-ip"
    kubectl(host, f"delete csr {csr_name} --ignore-not-found")  # a former verify run's
    key = ec.generate_private_key(ec.SECP256R1())
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                                        x509.NameAttribute(NameOID.COMMON_NAME, "system:node:node01")]))
               .add_extension(x509.SubjectAlternativeName([
                   x509.DNSName("node01"), x509.IPAddress(ipaddress.ip_address(KUBE_NODES["node02"]))]), critical=False)
               .sign(key, hashes.SHA256()))
    body = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": csr_name},
            "spec": {"signerName": SERVING_SIGNER, "usages": ["digital signature", "key encipherment", "server auth"],
                     "request": base64.b64encode(request.public_bytes(serialization.Encoding.PEM)).decode()}}
    n = node("node01")
    server = yaml.safe_load(n.file("/etc/kubernetes/kubelet.kubeconfig").content_string)["clusters"][0]["cluster"]["server"]
    client = "/var/lib/kubelet/pki/kubelet-client-current.pem"
    posted = n.check_output(
        f"echo {base64.b64encode(json.dumps(body).encode()).decode()} | base64 -d | curl -sS -o /dev/null "
        f"-w '%{{http_code}}' --cacert /etc/kubernetes/pki/ca.crt --cert {client} --key {client} "
        f"-H 'Content-Type: application/json' --data-binary @- {server}/apis/certificates.k8s.io/v1/certificatesigningrequests")
    assert posted == "201", posted
    started = time.monotonic()
    denied = None
    for _attempt in range(60):
        csr = kjson(host, f"get csr {csr_name}")
        denied = _condition(csr, "Denied")
        if denied:
            break
        time.sleep(1)
    assert denied is not None, "the forged CSR was not denied within 60 s"
    print(f"\nCLUSTER-MEASURE forged serving CSR denied {time.monotonic() - started:.1f} s after it was posted")
    assert csr["spec"]["username"] == "system:node:node01"
    assert denied["reason"] == "KubebinCSRApprove"
    assert denied["message"] == f"SAN IP {KUBE_NODES['node02']} is not an address of node01 (it belongs to node02)"
    assert not _condition(csr, "Approved") and "certificate" not in csr.get("status", {})
    assert _approver_logged(f"denied {csr_name} (system:node:node01, {SERVING_SIGNER}): SAN IP")
