# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The addons (kubebin.cluster.addons) on the cluster of the scenario: CoreDNS answers every kind of cluster name from
a pod on every node and keeps answering while one of its pods is replaced; metrics-server serves `kubectl top`
behind an APIService the API server reaches at a pod IP; every inventory host reaches every pod IP.

The DNS test objects live in their own namespace, with one dnsclient pod per Node (a DaemonSet), and are deleted
when this module is done. Shared by molecule/cluster and molecule/ha.
"""
import hashlib
import ipaddress
import time

import pytest

from test_cluster import HOSTS, KUBECTL, MASTER, NS, PREFIX, SERVICE_CIDR, kjson, kubectl, node

testinfra_hosts = [f"docker://{PREFIX}{MASTER}"]

DNS_NS = "kubebin-dns-test"
DOMAIN = "cluster.local"
IMAGE = "kubebin.local/dnsclient:1.0"
MANIFEST = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {DNS_NS}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: dnsclient, namespace: {DNS_NS}}}
spec:
  selector: {{matchLabels: {{app: dnsclient}}}}
  template:
    metadata: {{labels: {{app: dnsclient}}}}
    spec:
      tolerations: [{{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}}]
      terminationGracePeriodSeconds: 1
      containers:
        - name: dnsclient
          image: {IMAGE}
          imagePullPolicy: Never
          args: [-sleep]
          ports: [{{name: probe, containerPort: 8053, protocol: TCP}}]
---
apiVersion: v1
kind: Service
metadata: {{name: headless, namespace: {DNS_NS}}}
spec:
  clusterIP: None
  selector: {{app: dnsclient}}
  ports: [{{name: probe, port: 8053, protocol: TCP}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {DNS_NS}}}
spec:
  selector: {{app: dnsclient}}
  ports: [{{name: http, port: 80, targetPort: probe, protocol: TCP}}]
---
apiVersion: v1
kind: Service
metadata: {{name: alias, namespace: {DNS_NS}}}
spec:
  type: ExternalName
  externalName: web.{DNS_NS}.svc.{DOMAIN}
"""


@pytest.fixture(scope="module")
def clients(host):
    """{node name: dnsclient pod} once the DaemonSet runs on every Node; the namespace is deleted afterwards."""
    host.check_output(f"{KUBECTL} apply -f - <<'EOF'\n{MANIFEST}\nEOF")
    try:
        kubectl(host, f"-n {DNS_NS} rollout status daemonset/dnsclient --timeout=120s")
        items = kjson(host, f"-n {DNS_NS} get pods -l app=dnsclient")["items"]
        yield {p["spec"]["nodeName"]: p for p in items if p["status"].get("phase") == "Running"}
    finally:
        host.run(f"{KUBECTL} delete namespace {DNS_NS} --timeout=60s")


def lookup(host, pod, *args):
    """dnsclient's answers (a sorted list) for one name, run in `pod`."""
    out = kubectl(host, f"-n {DNS_NS} exec {pod['metadata']['name']} -- /dnsclient {' '.join(args)}")
    return out.split()[1:]


def nodes_of_cluster(host):
    return sorted(n["metadata"]["name"] for n in kjson(host, "get nodes")["items"])


def test_dns_client_on_every_node(host, clients):
    assert sorted(clients) == nodes_of_cluster(host)


def test_coredns_deployment(host):
    dep = kjson(host, "-n kube-system get deployment coredns")
    spec = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 2 and dep["status"].get("readyReplicas") == 2
    assert spec["priorityClassName"] == "system-cluster-critical"
    container = spec["containers"][0]
    assert container["image"] == "kubebin.local/coredns:1.15.0"
    assert container["livenessProbe"] and container["readinessProbe"] and container["resources"]["requests"]
    assert spec["affinity"]["podAntiAffinity"]
    assert kjson(host, "-n kube-system get pdb coredns")["spec"]["maxUnavailable"] == 1
    # The pods roll when the Corefile changes: their template carries the Corefile's checksum.
    corefile = kjson(host, "-n kube-system get configmap coredns")["data"]["Corefile"]
    annotation = dep["spec"]["template"]["metadata"]["annotations"]["kubebin.io/corefile-sha256"]
    assert annotation == hashlib.sha256(corefile.rstrip("\n").encode()).hexdigest()


def test_dns_service_at_the_tenth_service_address(host):
    svc = kjson(host, "-n kube-system get service kube-dns")
    assert svc["spec"]["clusterIP"] == str(SERVICE_CIDR[10])


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_cluster_names_from_a_pod_on_every_node(host, clients, name):
    if name not in clients:
        pytest.skip(f"{name} is no Node in this scenario")
    pod = clients[name]
    web = kjson(host, f"-n {DNS_NS} get service web")["spec"]["clusterIP"]
    pod_ips = sorted(p["status"]["podIP"] for p in clients.values())
    # kubernetes.default through the search path, a Service by its full name and by its short name.
    assert lookup(host, pod, "kubernetes.default") == [str(SERVICE_CIDR[1])]
    assert lookup(host, pod, f"web.{DNS_NS}.svc.{DOMAIN}.") == [web]
    assert lookup(host, pod, "web") == [web]
    assert lookup(host, pod, f"webserver.{NS}") == [kjson(host, f"-n {NS} get service webserver")["spec"]["clusterIP"]]
    # A headless Service answers with its pods' IPs, and the SRV record of its named port with each of them.
    assert lookup(host, pod, f"headless.{DNS_NS}.svc.{DOMAIN}.") == pod_ips
    srv = lookup(host, pod, "-type", "srv", f"_probe._tcp.headless.{DNS_NS}.svc.{DOMAIN}.")
    assert len(srv) == len(pod_ips) and all(s.endswith(f".headless.{DNS_NS}.svc.{DOMAIN}.:8053") for s in srv), srv
    # A pod's A record, and an ExternalName Service's CNAME.
    ip = pod["status"]["podIP"]
    assert lookup(host, pod, f"{ip.replace('.', '-')}.{DNS_NS}.pod.{DOMAIN}.") == [ip]
    assert lookup(host, pod, "-type", "cname", f"alias.{DNS_NS}.svc.{DOMAIN}.") == [f"web.{DNS_NS}.svc.{DOMAIN}."]


def test_dns_keeps_answering_while_a_coredns_pod_is_replaced(host, clients):
    pod = sorted(clients.values(), key=lambda p: p["metadata"]["name"])[0]["metadata"]["name"]
    out = "/tmp/kubebin-dns-loop.out"
    host.check_output(
        f"nohup {KUBECTL} -n {DNS_NS} exec {pod} -- /dnsclient -loop 30s -interval 100ms "
        f"kubernetes.default.svc.{DOMAIN}. web.{DNS_NS}.svc.{DOMAIN}. > {out} 2>&1 &")
    time.sleep(5)
    victim = kjson(host, "-n kube-system get pods -l k8s-app=kube-dns")["items"][0]["metadata"]["name"]
    kubectl(host, f"-n kube-system delete pod {victim} --wait=false")
    time.sleep(30)
    for _attempt in range(20):
        result = host.check_output(f"cat {out}")
        if "lookups=" in result:
            break
        time.sleep(1)
    assert "lookups=" in result and "failures=0" in result, result
    assert int(result.split("lookups=")[1].split()[0]) > 100, result
    kubectl(host, "-n kube-system rollout status deployment/coredns --timeout=120s")


def test_metrics_api_available_and_verifying_kubelets(host):
    svc = kjson(host, "get apiservice v1beta1.metrics.k8s.io")
    available = [c for c in svc["status"]["conditions"] if c["type"] == "Available"]
    assert available and available[0]["status"] == "True", available
    assert svc["spec"]["caBundle"] and not svc["spec"].get("insecureSkipTLSVerify")
    args = kjson(host, "-n kube-system get deployment metrics-server")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not [a for a in args if "insecure" in a], args
    assert "--kubelet-certificate-authority=/etc/metrics-server/ca/ca.crt" in args


def test_kubectl_top_nodes_and_pods(host):
    want = nodes_of_cluster(host)
    for _attempt in range(30):
        r = host.run(f"{KUBECTL} top nodes --no-headers")
        rows = [line.split() for line in r.stdout.splitlines()]
        if r.rc == 0 and sorted(row[0] for row in rows) == want:
            break
        time.sleep(4)
    assert r.rc == 0 and sorted(row[0] for row in rows) == want, r.stdout + r.stderr
    assert all(row[1].endswith("m") and row[3].endswith("Mi") for row in rows), rows
    pods = kubectl(host, "top pods -A --no-headers")
    assert "coredns" in pods and "metrics-server" in pods


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_every_pod_ip_answers_from_every_host(host, name):
    """Every inventory host, the control plane included (a Node or not), reaches every webserver pod by pod IP."""
    for pod in kjson(host, f"-n {NS} get pods -l app=webserver")["items"]:
        ip = pod["status"]["podIP"]
        assert ipaddress.ip_address(ip)
        r = node(name).run(f"curl -s -m 5 http://{ip}:8080/")
        assert r.rc == 0 and r.stdout.strip() == pod["metadata"]["name"], (name, ip, r.stderr)
