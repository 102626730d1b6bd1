"""Checks of the etcd scenario, after converge, idempotence, check mode and side_effect.yml (3 lab nodes)."""
import base64
import hashlib
import json
import os

import pytest

PKI = "/etc/etcd/pki"
ETCDCTL = ("/usr/local/bin/etcdctl --cacert=%s/ca.crt --cert=%s/healthcheck-client.crt "
           "--key=%s/healthcheck-client.key" % (PKI, PKI, PKI))
NAMES = ("master01", "node01", "node02")


def members(host):
    """{member name: kubebin_node_ip} from the inventory."""
    runner = host.backend.ansible_runner
    return {n: runner.get_variables(n)["kubebin_node_ip"] for n in NAMES}


def all_endpoints(host):
    return ",".join("https://%s:2379" % ip for ip in members(host).values())


def run_once(host):
    """Cluster-wide checks run from master01 only."""
    if host.backend.get_hostname() != "master01":
        pytest.skip("cluster-wide check, run from master01")


def pki_dir(host):
    return host.ansible.get_variables()["kubebin_pki_dir"]


def ctl(host, args, endpoints=None):
    out = host.run("%s --endpoints=%s %s" % (ETCDCTL, endpoints or all_endpoints(host), args))
    assert out.rc == 0, out.stderr
    return out.stdout


def test_service_runs_as_etcd_with_tls_settings(host):
    svc = host.service("etcd")
    assert svc.is_running and svc.is_enabled
    pid = host.check_output("systemctl show etcd -p MainPID --value")
    assert host.check_output("stat -c %%U /proc/%s" % pid) == "etcd"
    environ = dict(line.split("=", 1) for line in
                   host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines() if "=" in line)
    assert environ["ETCD_CLIENT_CERT_AUTH"] == "true"
    assert environ["ETCD_PEER_CLIENT_CERT_AUTH"] == "true"
    assert environ["ETCD_AUTO_TLS"] == environ["ETCD_PEER_AUTO_TLS"] == "false"
    assert environ["ETCD_TRUSTED_CA_FILE"] == environ["ETCD_PEER_TRUSTED_CA_FILE"] == PKI + "/ca.crt"
    # the running process has the side effect's settings: the rolling restart applied them
    assert environ["ETCD_HEARTBEAT_INTERVAL"] == "150"
    assert environ["ETCD_SNAPSHOT_COUNT"] == "5000"
    assert host.file("/etc/systemd/system/etcd.service").contains("^Type=notify$")


def test_data_dir_and_keys(host):
    for path in ("/var/lib/etcd", "/var/lib/etcd/default.etcd"):
        d = host.file(path)
        assert d.is_directory and d.mode == 0o700 and (d.user, d.group) == ("etcd", "etcd"), path
    assert host.file("/var/lib/etcd/default.etcd/member/snap/db").exists
    for key in ("server.key", "peer.key", "healthcheck-client.key"):
        f = host.file("%s/%s" % (PKI, key))
        assert f.mode == 0o600 and f.user == "etcd", key
    ca = host.file(PKI + "/ca.crt")
    assert ca.mode == 0o644
    # the trusted CA is the etcd CA of the control node's PKI, not the kubernetes CA
    with open(os.path.join(pki_dir(host), "etcd", "ca.crt"), "rb") as f:
        assert ca.sha256sum == hashlib.sha256(f.read()).hexdigest()


def test_marker_names_the_cluster(host):
    marker = json.loads(host.file("/var/lib/etcd/default.etcd.cluster.json").content_string)
    status = json.loads(ctl(host, "member list -w json --hex", "https://127.0.0.1:2379"))
    assert marker == {"token": "kubebin-molecule-etcd", "cluster_id": status["header"]["cluster_id"]}


def test_endpoint_health_cluster(host):
    run_once(host)
    health = json.loads(ctl(host, "endpoint health --cluster -w json"))
    assert len(health) == 3 and all(h["health"] for h in health)


def test_member_list_three_started(host):
    run_once(host)
    rows = [line.split(", ") for line in ctl(host, "member list -w simple").splitlines()]
    assert sorted((r[1], r[2]) for r in rows) == [("started", n) for n in NAMES]
    for r in rows:
        assert r[3] == "https://%s:2380" % members(host)[r[2]] and r[5] == "false"


def test_client_without_certificate_is_refused(host):
    run_once(host)
    for ip in members(host).values():
        out = host.run("/usr/local/bin/etcdctl --cacert=%s/ca.crt --endpoints=https://%s:2379 "
                       "--dial-timeout=3s --command-timeout=5s get /kubebin-test/outage" % (PKI, ip))
        assert out.rc != 0, ip
        assert "written-while" not in out.stdout


def test_client_with_kubernetes_ca_certificate_is_refused(host):
    run_once(host)
    for name in ("admin.crt", "admin.key"):
        host.ansible("copy", "src=%s/%s dest=/root/kube-%s mode=0600" % (pki_dir(host), name, name), check=False)
    for ip in members(host).values():
        out = host.run("/usr/local/bin/etcdctl --cacert=%s/ca.crt --cert=/root/kube-admin.crt "
                       "--key=/root/kube-admin.key --endpoints=https://%s:2379 --dial-timeout=3s "
                       "--command-timeout=5s get /kubebin-test/outage" % (PKI, ip))
        assert out.rc != 0, ip
        assert "written-while" not in out.stdout
    # the same request with an etcd-CA client certificate works
    assert "written-while" in ctl(host, "get /kubebin-test/outage", "https://127.0.0.1:2379")


def test_1000_keys_on_every_member(host):
    run_once(host)
    for ip in members(host).values():
        # serializable: answered from that member's own store
        out = json.loads(ctl(host, "get --prefix /kubebin-test/keys/ --consistency=s -w json",
                             "https://%s:2379" % ip))
        kvs = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode() for kv in out["kvs"]}
        assert kvs == {"/kubebin-test/keys/%04d" % n: "value-%d" % n for n in range(1, 1001)}, ip
        outage = ctl(host, "get /kubebin-test/outage --consistency=s --print-value-only", "https://%s:2379" % ip)
        assert outage.strip() == "written-while-node02-was-down", ip


def test_hashkv_agrees(host):
    run_once(host)
    hashes = json.loads(ctl(host, "endpoint hashkv --cluster -w json"))
    assert len(hashes) == 3
    assert len({h["HashKV"]["hash"] for h in hashes}) == 1


def test_restart_was_rolling(host):
    """side_effect.yml recorded each member's last stop (InactiveEnter) and start (ActiveEnter) after the restart."""
    run_once(host)
    times = {}
    for name in NAMES:
        rec = dict(line.split("=", 1) for line in
                   host.file("/var/tmp/kubebin-etcd-roll-%s.txt" % name).content_string.splitlines() if "=" in line)
        times[name] = (int(rec["InactiveEnterTimestampMonotonic"]), int(rec["ActiveEnterTimestampMonotonic"]),
                       int(rec["BeforeRollMonotonic"]))
    windows = sorted((stop, start) for stop, start, _before in times.values())
    # every member was restarted by the side effect's role run ...
    assert all(stop > before and start > stop for stop, start, before in times.values()), times
    # ... one at a time: each stopped only after the previous one was running again
    for (_prev_stop, prev_start), (next_stop, _next_start) in zip(windows, windows[1:]):
        assert next_stop > prev_start, times
