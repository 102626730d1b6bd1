# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A highly available control plane (docs/ha.md), measured on the real cluster of molecule/ha.

Several kube-apiservers serve, one controller-manager and one scheduler lead, every host reaches the API servers
through its local HAProxy (127.0.0.1:LB_PORT), and the cluster keeps serving while one control-plane host loses its
API server, the whole host, or restarts its API servers for a changed flag and renewed certificates (one host at a time), and when the leading
controller-manager is killed. A client loop on the first worker (authenticated GETs through its local HAProxy, about
7 per second) runs across each disruption; every test prints what it measured as one "HA-MEASURE" line.

These tests run on any topology with several control-plane hosts and are skipped on a single one, unless
KUBEBIN_TEST_HA=1 (molecule/ha): then they are mandatory (they fail on a single control-plane host, and conftest.py
fails the session if one of them was skipped). They run after test_addons.py and test_cluster.py (file order) and
leave the cluster as they found it: every stopped unit or host is started again in a `finally`. The last test's flag
change is passed with -e, so the next site.yml run reverts it.
"""
import base64
import contextlib
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import pytest
import yaml

from test_cluster import (API_PORT, ETCD, HOSTS, INVENTORY_DIR, KUBE_NODES, LB_PORT, MASTER, MASTERS, NODES, PREFIX,
                          PROJECT, etcd_healthy, node)

REQUIRED = os.environ.get("KUBEBIN_TEST_HA") == "1"
pytestmark = pytest.mark.skipif(len(MASTERS) < 2 and not REQUIRED,
                                reason="a single control-plane host (KUBEBIN_TEST_HA=1 makes these tests mandatory)")
testinfra_hosts = [f"docker://{PREFIX}{MASTER}"]

CLIENT = sorted(NODES)[0]      # the worker whose local HAProxy the client loop goes through
WORKDIR = "/root/kubebin-ha-test"  # on CLIENT: the admin credentials, kubectl and the loop (removed afterwards)
LB = f"https://127.0.0.1:{LB_PORT}"
KCTL = f"{WORKDIR}/kubectl --kubeconfig {WORKDIR}/admin.kubeconfig"
CURL = f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {WORKDIR}/ca.crt"
CHECK_INTERVAL = 4  # s: HAProxy checks /readyz every 2 s and marks a server down after 2 failures
REQUEST_TIMEOUT = 5  # s: a client loop request unanswered for this long counts as failed
TEST_NS = "kubebin-ha-test"
ROLLOUT_TIMEOUT = 180
# kube-controller-manager's --node-monitor-grace-period (its default): a Node whose kubelet cannot post its status for
# this long turns NotReady. An API server is stopped for longer than that, with a margin of two status updates (10 s).
NODE_GRACE = 50
STOP_WINDOW = NODE_GRACE + 25
# A new Deployment while an API server is down: the scheduler places it, the kubelets run it (the image is on every
# Node: the smoke test loaded it).
PROBE = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {TEST_NS}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: probe, namespace: {TEST_NS}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: probe}}}}
  template:
    metadata: {{labels: {{app: probe}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - {{name: web, image: kubebin.local/webserver:1.0, imagePullPolicy: Never}}
"""
MEASURES = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", tempfile.gettempdir()), "ha-measures.jsonl")

# loop.sh api OUT STOP: an authenticated GET (a quorum read of an object) through the local HAProxy every 0.1 s,
# one line "<start> <http code> <end>" each, until STOP exists; a request fails when it gets no 200 within
# REQUEST_TIMEOUT s (a slower answer is reported as latency). loop.sh readyz OUT STOP: every API server's /readyz,
# anonymously and directly, one line "<time> <address> <http code>" each.
LOOP = f"""#!/bin/bash
mode=$1 out=$2 stop=$3
while [ ! -e "$stop" ]; do
  if [ "$mode" = api ]; then
    t=$(date +%s.%N)
    c=$({CURL} -m {REQUEST_TIMEOUT} --cert {WORKDIR}/admin.crt --key {WORKDIR}/admin.key {LB}/api/v1/namespaces/default)
    echo "$t $c $(date +%s.%N)" >> "$out"
    sleep 0.1
  else
    for ip in {' '.join(HOSTS[m] for m in MASTERS)}; do
      echo "$(date +%s.%N) $ip $({CURL} -m 1 https://$ip:{API_PORT}/readyz)" >> "$out"
    done
    sleep 0.2
  fi
done
"""


def report(name, **numbers):
    """Print what a test measured (the ha scenario's verifier runs with -s) and keep it in MEASURES."""
    line = json.dumps({"test": name, **numbers}, sort_keys=True)
    print(f"\nHA-MEASURE {line}")
    with open(MEASURES, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True, timeout=120)


def wait_for(what, predicate, timeout, interval=1.0):
    """Seconds until predicate() is true; fails after timeout."""
    start = time.time()
    while not predicate():
        assert time.time() - start < timeout, f"{what}: not within {timeout} s"
        time.sleep(interval)
    return round(time.time() - start, 1)


@pytest.fixture(scope="module")
def client():
    """The admin credentials (from the control node's admin kubeconfig), a kubeconfig for 127.0.0.1:LB_PORT, the
    bundle's kubectl and the loop script on CLIENT, removed when the module is done."""
    found = glob.glob(os.path.join(INVENTORY_DIR, ".kubebin", "*", "pki", "admin.kubeconfig"))
    assert len(found) == 1, found
    with open(found[0], encoding="utf-8") as f:
        admin = yaml.safe_load(f)
    cluster, user = admin["clusters"][0]["cluster"], admin["users"][0]["user"]

    def data(entry, key):
        if f"{key}-data" in entry:
            return base64.b64decode(entry[f"{key}-data"]).decode()
        with open(os.path.join(os.path.dirname(found[0]), entry[key]), encoding="utf-8") as g:
            return g.read()

    files = {"ca.crt": data(cluster, "certificate-authority"), "admin.crt": data(user, "client-certificate"),
             "admin.key": data(user, "client-key"), "loop.sh": LOOP}
    local = {**admin, "clusters": [{"name": admin["clusters"][0]["name"], "cluster": {**cluster, "server": LB}}]}
    files["admin.kubeconfig"] = yaml.safe_dump(local)
    kubectl = os.path.join(os.environ.get("KUBEBIN_CACHE", "/var/cache/kubebin"), "bundle", "bin", "kubectl")
    container = PREFIX + CLIENT
    n = node(CLIENT)
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as g:
                g.write(content)
        n.check_output(f"rm -rf {WORKDIR} && mkdir -m 0700 {WORKDIR}")
        docker("cp", f"{tmp}/.", f"{container}:{WORKDIR}")  # not /tmp: docker cp cannot write to a tmpfs
        docker("cp", kubectl, f"{container}:{WORKDIR}/kubectl")
    n.check_output(f"chmod 0600 {WORKDIR}/admin.key {WORKDIR}/admin.kubeconfig")
    try:
        yield n
    finally:
        n.run(f"touch {WORKDIR}/*.stop; sleep 1; rm -rf {WORKDIR}")
        assert not n.file(WORKDIR).exists


def kctl(client, args):
    """kubectl on CLIENT through its local HAProxy (never through the API server a test stops)."""
    return client.check_output(f"{KCTL} {args}")


def kctl_json(client, args):
    return json.loads(kctl(client, args + " -o json"))


def _create_configmap(client, errors):
    """One try at creating the ConfigMap kubebin-ha-write; the errors are kept for the report."""
    run = client.run(f"{KCTL} -n default create configmap kubebin-ha-write --from-literal=at=two-members")
    if run.rc == 0 or "AlreadyExists" in run.stderr:
        return True
    errors.append(run.stderr.strip()[:200])
    return False


class Loop:
    """The samples of a client loop: api [(start, code, end)], readyz [(time, address, code)]."""

    def __init__(self):
        self.api, self.readyz = [], []

    def failures(self, since, until=float("inf")):
        return sum(1 for start, code, _end in self.api if since <= start < until and code != "200")

    def failed(self, since):
        """The failed requests: [seconds after `since`, http code (000: no answer), seconds taken]."""
        return [[round(start - since, 1), code, round(end - start, 2)]
                for start, code, end in self.api if code != "200"]

    def latency(self):
        """(slowest answer in seconds, answers slower than 1 s)."""
        took = [end - start for start, _code, end in self.api]
        return round(max(took), 2), sum(1 for t in took if t > 1)

    def rate(self):
        return round(len(self.api) / (self.api[-1][2] - self.api[0][0]), 1) if len(self.api) > 1 else 0.0

    def down_windows(self, address):
        """[(first non-200 /readyz, next 200)] of one API server, in order."""
        windows, down = [], None
        for t, ip, code in self.readyz:
            if ip != address:
                continue
            if code != "200" and down is None:
                down = t
            elif code == "200" and down is not None:
                windows.append((down, t))
                down = None
        if down is not None:
            windows.append((down, float("inf")))
        return windows


@contextlib.contextmanager
def client_loop(client, tag):
    """Run both loops on CLIENT for the duration of the block (after 2 s of warm-up); the samples are in the Loop
    object once the block is left."""
    out = {mode: f"{WORKDIR}/{tag}-{mode}.log" for mode in ("api", "readyz")}
    stop = f"{WORKDIR}/{tag}.stop"
    for mode, path in out.items():
        client.check_output(f"rm -f {path} {stop}; nohup bash {WORKDIR}/loop.sh {mode} {path} {stop} >/dev/null 2>&1 &")
    loop = Loop()
    time.sleep(2)
    try:
        yield loop
    finally:
        client.run(f"touch {stop}")
        time.sleep(REQUEST_TIMEOUT + 1)  # the last request ends
        loop.api = [(float(a), c, float(b)) for a, c, b in
                    (line.split() for line in client.check_output(f"cat {out['api']}").splitlines())]
        loop.readyz = [(float(t), ip, c) for t, ip, c in
                       (line.split() for line in client.check_output(f"cat {out['readyz']}").splitlines())]
        assert loop.api and loop.api[0][0] < loop.api[-1][0], "the client loop did not run"


def readyz(client, name):
    return client.check_output(f"{CURL} -m 3 https://{HOSTS[name]}:{API_PORT}/readyz || true")


def lease(client, name):
    spec = kctl_json(client, f"-n kube-system get lease {name}")["spec"]
    return spec, spec["holderIdentity"].split("_")[0]


def micro_time(value):
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def unit_times(name, unit="kube-apiserver"):
    """(process start, active = ready for a Type=notify unit) of a unit on host `name`, as wall-clock seconds (the
    containers share the lab host's kernel, hence its monotonic clock)."""
    offset = time.time() - time.monotonic()
    out = node(name).check_output(
        f"systemctl show -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic {unit}")
    values = dict(line.split("=", 1) for line in out.splitlines())
    return (int(values["ExecMainStartTimestampMonotonic"]) / 1e6 + offset,
            int(values["ActiveEnterTimestampMonotonic"]) / 1e6 + offset)


def run_playbook(tag, playbook, playbook_hosts, *args):
    """ansible-playbook with the scenario's (or the lab's) inventory, as an operator runs it; the output is kept next
    to MEASURES. Returns (seconds, {host: changed count}, {host: [names of the tasks that changed it]})."""
    start = time.time()
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                          "-i", INVENTORY_DIR, os.path.join(PROJECT, playbook), *args],
                         cwd=PROJECT, capture_output=True, text=True, timeout=1800, check=False,
                         env=dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1"))
    seconds = round(time.time() - start, 1)
    with open(f"{MEASURES}.{tag}.log", "w", encoding="utf-8") as f:
        f.write(run.stdout + run.stderr)
    assert run.returncode == 0, f"{playbook} {args}: rc {run.returncode}\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    recap = {line.split()[0]: int(line.split("changed=")[1].split()[0])
             for line in run.stdout.split("PLAY RECAP")[-1].splitlines() if "changed=" in line}
    assert set(recap) >= set(playbook_hosts), recap
    changed, task = {}, None
    for line in run.stdout.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):].split("] *")[0]
        elif line.startswith("changed: ["):
            changed.setdefault(line.split("[")[1].split("]")[0], []).append(task)
    return seconds, recap, changed


def test_several_control_plane_hosts():
    assert len(MASTERS) >= 2, f"KUBEBIN_TEST_HA=1 needs several control-plane hosts, the topology has {MASTERS}"


def test_every_api_server_ready_anonymously_and_nothing_else(client):
    """Each API server answers /readyz (200) without credentials, but /api only with them (401 without)."""
    codes = {m: (readyz(client, m), client.check_output(f"{CURL} -m 3 https://{HOSTS[m]}:{API_PORT}/api || true"))
             for m in MASTERS}
    report("api_servers", codes=codes)
    assert codes == {m: ("200", "401") for m in MASTERS}


def test_one_leader_each_renewing_and_etcd_healthy(client):
    """One holder of each leader lease, a control-plane host, renewed within the lease duration; every
    controller-manager and scheduler runs (the candidates); etcd has every member healthy."""
    now, leaders = time.time(), {}
    for name in ("kube-controller-manager", "kube-scheduler"):
        spec, holder = lease(client, name)
        age = round(now - micro_time(spec["renewTime"]), 1)
        leaders[name] = {"holder": holder, "renewed_s_ago": age, "duration": spec["leaseDurationSeconds"]}
        assert holder in MASTERS, spec
        assert age <= spec["leaseDurationSeconds"], spec
        assert all(node(m).service(name).is_running for m in MASTERS), name
    healthy, asked = etcd_healthy(MASTERS[-1])
    report("leaders_and_etcd", leaders=leaders, etcd_healthy=len(healthy), etcd_members=len(asked))
    assert healthy == asked == sorted(f"https://{ip}:2379" for ip in ETCD)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_host_clients_use_the_local_load_balancer(name):
    """kubelet, kube-proxy, flannel, controller-manager and scheduler reach the API servers through the host's
    HAProxy, which listens on the loopback address only; the distribution's own haproxy service (the package started
    it with its stock configuration) is stopped and disabled."""
    n = node(name)
    wanted = {"flannel.kubeconfig": LB}
    if name in KUBE_NODES:
        wanted.update({"kubelet.kubeconfig": LB, "kube-proxy.kubeconfig": LB})
    if name in MASTERS:
        wanted.update({"controller-manager.kubeconfig": LB, "scheduler.kubeconfig": LB})
    servers = {}
    for path in n.check_output("ls /etc/kubernetes/*.kubeconfig").split():
        config = yaml.safe_load(n.file(path).content_string)
        servers[os.path.basename(path)] = {c["cluster"]["server"] for c in config["clusters"]}
    assert {f: servers.get(f) for f in wanted} == {f: {s} for f, s in wanted.items()}, servers
    listening = {line.split()[3] for line in n.check_output("ss -Htlnp").splitlines() if '"haproxy"' in line}
    distribution = n.run("systemctl is-active haproxy; systemctl is-enabled haproxy").stdout.split()
    report("local_lb", host=name, listening=sorted(listening), distribution_haproxy_service=distribution)
    assert n.service("kube-api-lb").is_running and listening == {f"127.0.0.1:{LB_PORT}"}, listening
    assert distribution == ["inactive", "disabled"], distribution


def test_api_server_stopped_on_one_host(client):
    """kube-apiserver stopped on the first control-plane host: the client loop keeps being answered (failures only
    within the first health-check interval), every Node stays Ready for longer than the node monitor grace period
    (STOP_WINDOW), and a new Deployment is scheduled
    and runs (its scheduler may have to take over the lease)."""
    victim = node(MASTER)
    polls, not_ready = 0, []
    with client_loop(client, "apiserver-stop") as loop:
        stopped = time.time()
        victim.check_output("systemctl stop kube-apiserver")
        try:
            kctl(client, f"apply -f - <<'EOF'\n{PROBE}\nEOF")
            deployed = None
            while time.time() - stopped < STOP_WINDOW:
                nodes = kctl_json(client, "get nodes")["items"]
                polls += 1
                not_ready += [n["metadata"]["name"] for n in nodes if not any(
                    c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])]
                assert len(nodes) == len(KUBE_NODES)
                if deployed is None:
                    dep = kctl_json(client, f"-n {TEST_NS} get deployment probe")
                    if dep["status"].get("readyReplicas") == 2:
                        deployed = round(time.time() - stopped, 1)
                time.sleep(5)
            active = victim.run("systemctl is-active kube-apiserver").stdout.strip()
        finally:
            victim.run("systemctl start kube-apiserver")
        back = wait_for("the API server ready again", lambda: readyz(client, MASTER) == "200", 120)
    pods = kctl_json(client, f"-n {TEST_NS} get pods")["items"]
    kctl(client, f"delete namespace {TEST_NS} --wait=false")
    report("apiserver_stopped", victim=MASTER, requests=len(loop.api), rate_per_s=loop.rate(),
           failures_before=loop.failures(0, stopped),
           failures_first_interval=loop.failures(stopped, stopped + CHECK_INTERVAL),
           failures_after_interval=loop.failures(stopped + CHECK_INTERVAL), failed=loop.failed(stopped),
           latency_max_s_and_over_1s=loop.latency(), ready_polls=polls, not_ready=not_ready,
           deployment_ready_s=deployed, apiserver_ready_again_s=back, unit_state_while_stopped=active)
    # it stayed stopped for the whole window, and stopped cleanly (its watches closed, not killed by systemd)
    assert active == "inactive", active
    assert loop.rate() >= 5 and loop.failures(0, stopped) == 0
    assert loop.failures(stopped + CHECK_INTERVAL) == 0
    assert polls >= 10 and not_ready == []
    assert deployed is not None and all(p["status"]["phase"] == "Running" and p["spec"]["nodeName"] in KUBE_NODES
                                        for p in pods) and len(pods) == 2, pods


def test_controller_manager_leader_killed(client):
    """kill -9 of the leading kube-controller-manager: another host's takes the lease over within the lease duration
    and one retry period (with a margin). The killed one is held stopped while measured (systemd would restart it
    after 5 s and it could win the race for the lease itself), then started again."""
    spec, victim = lease(client, "kube-controller-manager")
    limit = spec["leaseDurationSeconds"] + 2 + 3
    n = node(victim)
    killed = time.time()
    n.check_output("kill -9 $(systemctl show -p MainPID --value kube-controller-manager) "
                   "&& systemctl stop kube-controller-manager")
    try:
        def taken_over():
            return lease(client, "kube-controller-manager")[1] not in ("", victim)
        seen = wait_for("another controller-manager holds the lease", taken_over, limit + 30, interval=0.5)
        spec, holder = lease(client, "kube-controller-manager")
    finally:
        n.run("systemctl start kube-controller-manager")
    acquired = round(micro_time(spec["acquireTime"]) - killed, 1)
    report("controller_manager_takeover", victim=victim, new_holder=holder, acquired_after_s=acquired,
           observed_after_s=seen, limit_s=limit)
    assert holder in MASTERS and holder != victim
    assert 0 < acquired <= limit
    assert n.service("kube-controller-manager").is_running


def test_control_plane_host_stopped_and_back(client):
    """The first control-plane host's container stopped: the API keeps serving through CLIENT's HAProxy with the two
    other etcd members (a write works); started again, etcd has every member healthy and its API server is ready
    within 3 minutes; then site.yml changes nothing on any host. Meanwhile root's kubectl on another control-plane host
    (its default kubeconfig, /root/.kube/config) keeps answering: it goes through that host's load balancer."""
    container, others = PREFIX + MASTER, [m for m in MASTERS if m != MASTER]
    two = [f"https://{HOSTS[m]}:2379" for m in others]
    with client_loop(client, "host-stop") as loop:
        t0 = time.time()
        try:
            docker("stop", container)
            stopped = time.time()
            # When the stopped host led etcd, a write during the two members' election fails ("request timed out,
            # possibly due to previous leader failure"): writes must work again within 30 s. A timed-out create may
            # still have been committed, so AlreadyExists counts as written.
            write_errors = []
            write_s = wait_for("a write with two etcd members", lambda: _create_configmap(client, write_errors), 30)
            written = kctl_json(client, "-n default get configmap kubebin-ha-write")["data"]
            remaining = etcd_healthy(others[0], two)[0]
            root_kubectl = node(others[0]).run("/usr/local/bin/kubectl --request-timeout=10s get nodes -o name")
            time.sleep(10)
        finally:
            docker("start", container)
        started = time.time()
        etcd_s = wait_for("every etcd member healthy", lambda: etcd_healthy(others[0])[0] == sorted(
            f"https://{ip}:2379" for ip in ETCD), 180, interval=2)
        wait_for("its API server ready", lambda: readyz(client, MASTER) == "200", 180, interval=2)
        api_s = round(time.time() - started, 1)
    kctl(client, "-n default delete configmap kubebin-ha-write")
    site_s, recap, changed = run_playbook("site-after-host-stop", "site.yml", HOSTS)
    report("host_stopped", victim=MASTER, docker_stop_s=round(stopped - t0, 1), requests=len(loop.api),
           rate_per_s=loop.rate(), failures_during_stop_and_first_interval=loop.failures(t0, stopped + CHECK_INTERVAL),
           failures_after_interval=loop.failures(stopped + CHECK_INTERVAL), failed=loop.failed(t0),
           latency_max_s_and_over_1s=loop.latency(), etcd_healthy_while_down=len(remaining),
           etcd_all_healthy_after_start_s=etcd_s, apiserver_ready_after_start_s=api_s,
           write_ok_after_stop_s=write_s, write_errors=write_errors,
           site_yml_s=site_s, site_yml_changed=recap, site_yml_changed_tasks=changed)
    assert written == {"at": "two-members"} and remaining == sorted(two)
    listed = root_kubectl.stdout.split()
    assert root_kubectl.rc == 0 and f"node/{others[0]}" in listed, (root_kubectl.stdout, root_kubectl.stderr)
    assert loop.rate() >= 5 and loop.failures(0, t0) == 0 and loop.failures(stopped + CHECK_INTERVAL) == 0
    # Docker writes a container's /etc/hosts anew at every start (a host's survives a reboot), so on the restarted
    # container only, the prepare role's managed block in it comes back; nothing else may change anywhere.
    hosts_block = "kubebin.cluster.prepare : Names | Managed block for every cluster host in /etc/hosts"
    assert all(recap[h] == len([t for t in changed.get(h, []) if h == MASTER and t == hosts_block])
               for h in HOSTS), (recap, changed)


def assert_rolling(windows, after):
    """Each API server went down once, only after the previous host's was ready again, and each new process started
    after the previous host was ready (ActiveEnter of a Type=notify unit)."""
    order = sorted(windows, key=lambda m: after[m][0])
    assert all(len(windows[m]) == 1 for m in order), windows  # once each
    for prev, nxt in zip(order, order[1:]):
        prev_ready = windows[prev][0][1]
        assert windows[nxt][0][0] >= prev_ready, f"{nxt} went down before {prev} was ready again: {windows}"
        assert after[nxt][0] >= prev_ready and after[nxt][0] >= after[prev][1], (prev, nxt, after, windows)


PKI_DIR = os.path.join(INVENTORY_DIR, ".kubebin", "kubebin-molecule", "pki")


def leaf_serials():
    """{path under the PKI dir: serial} of every leaf certificate on the control node (not the CAs)."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    serials = {}
    for path in sorted(glob.glob(f"{PKI_DIR}/*.crt") + glob.glob(f"{PKI_DIR}/etcd/*.crt")):
        with open(path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            serials[os.path.relpath(path, PKI_DIR)] = format(cert.serial_number, "x")
    return serials


def presented_serial(address, port):
    """The serial of the certificate a TLS server presents (openssl s_client on the control node)."""
    out = subprocess.run(f"openssl s_client -connect {address}:{port} </dev/null 2>/dev/null | "
                         "openssl x509 -noout -serial", shell=True, capture_output=True, text=True, check=False)
    return out.stdout.strip().split("=")[-1].lower().lstrip("0")


def main_start(name, unit):
    """ExecMainStartTimestampMonotonic of `unit` on host `name`, as systemd prints it (changes only on a start)."""
    return node(name).check_output(f"systemctl show -p ExecMainStartTimestampMonotonic --value {unit}").strip()


def starts_since(name, unit, since):
    """How many times `unit` started on host `name` since the wall-clock time `since` (its journal)."""
    out = node(name).run(f"journalctl -u {unit} --since @{int(since)} -o cat | grep -c '^Started ' || true").stdout
    return int(out.strip() or 0)


def test_forced_renewal_and_a_flag_change_restart_each_consumer_once_one_host_at_a_time(client):
    """site.yml -e pki_renew_certificates=true with a changed API server flag (the two reasons to restart an operator
    meets most) reissues every leaf certificate (keys kept); every API server runs with the flag and presents its new
    certificate; kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kube-proxy, flanneld and the CSR
    approver restart exactly once each; the API servers one at a time (each goes down only after the previous one is
    ready again); kubelet, the runtime and HAProxy keep running (they use no reissued file); the client loop through
    the local HAProxy sees no failure."""
    before = leaf_serials()
    units = {"kube-apiserver": MASTERS, "kube-controller-manager": MASTERS, "kube-scheduler": MASTERS,
             "kube-proxy": sorted(KUBE_NODES), "flanneld": sorted(KUBE_NODES), "kubebin-csr-approver": MASTERS,
             "etcd": [h for h in HOSTS if HOSTS[h] in ETCD]}
    kept = {"kubelet": sorted(KUBE_NODES), "containerd": sorted(HOSTS), "kube-api-lb": sorted(HOSTS)}
    starts = {(u, h): main_start(h, u) for u, hosts in {**units, **kept}.items() for h in hosts}
    t0 = time.time()
    with client_loop(client, "renewal") as loop:
        seconds, _recap, _changed = run_playbook("renewal", "site.yml", sorted(HOSTS), "-e", "pki_renew_certificates=true",
                                                 "-e", '{"control_plane_apiserver_extra_args": {"v": "3"}}')
    after = leaf_serials()
    api_times = {m: unit_times(m) for m in MASTERS}
    windows = {m: loop.down_windows(HOSTS[m]) for m in MASTERS}
    flags = {m: "--v=3" in node(m).check_output("systemctl cat kube-apiserver") for m in MASTERS}
    restarted = sorted(f"{h}/{u}" for (u, h), s in starts.items() if main_start(h, u) != s)
    counts = {f"{h}/{u}": starts_since(h, u, t0) for u, hosts in units.items() for h in hosts}
    presented = {f"{m}/apiserver": presented_serial(HOSTS[m], API_PORT) for m in MASTERS}
    presented.update({f"{h}/etcd": presented_serial(HOSTS[h], 2379) for h in HOSTS if HOSTS[h] in ETCD})
    files = {"apiserver": after["apiserver.crt"],
             **{f"{h}/etcd": after[f"etcd/{h}-server.crt"] for h in HOSTS if HOSTS[h] in ETCD}}
    report("forced_renewal", playbook_s=seconds, leaves=len(before), etcd_presented_and_files=(presented, files),
           unchanged_serials=sorted(k for k in before if before[k] == after.get(k)), restarted=restarted,
           starts=counts, requests=len(loop.api), failures=loop.failures(0), failed=loop.failed(loop.api[0][0]),
           latency_max_s_and_over_1s=loop.latency(),
           readyz_down_s={m: [(round(a - t0, 1), round(b - t0, 1)) for a, b in windows[m]] for m in MASTERS})
    assert all(flags.values()), flags
    assert before.keys() == after.keys() and len(before) >= 10, (before, after)
    assert all(before[k] != after[k] for k in before), [k for k in before if before[k] == after[k]]
    # every API server and etcd member presents the certificate the control node holds now (the run issued each
    # once: a second issuance by a later play would leave the hosts with the first)
    assert all(presented[k] == files["apiserver" if k.endswith("/apiserver") else k].lstrip("0") for k in presented), (
        presented, files)
    assert restarted == sorted(f"{h}/{u}" for u, hosts in units.items() for h in hosts), restarted
    assert all(n == 1 for n in counts.values()), counts
    assert_rolling(windows, api_times)
    assert loop.failures(0) == 0, loop.failed(loop.api[0][0])
