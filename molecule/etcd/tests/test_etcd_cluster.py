"""Cluster-wide checks of the etcd scenario, run once from master01 against every member (per-member checks:
test_etcd.py). Molecule runs testinfra with its own inventory (--connection=ansible --ansible-inventory=...), so
ansible://master01 is that inventory's master01."""
import base64
import json
import os
import sys

from etcd_common import NAMES, PKI, ctl, members, pki_dir

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import kube_bench  # noqa: E402 pylint: disable=wrong-import-position

testinfra_hosts = ["ansible://master01"]

OUTAGE_KEY = "/kubebin-test/outage"
OUTAGE_VALUE = "written-while-node02-was-down"


def test_endpoint_health_cluster(host):
    health = json.loads(ctl(host, "endpoint health --cluster -w json"))
    assert len(health) == 3 and all(h["health"] for h in health)


def test_member_list_three_started(host):
    rows = [line.split(", ") for line in ctl(host, "member list -w simple").splitlines()]
    assert sorted((r[1], r[2]) for r in rows) == [("started", n) for n in NAMES]
    for r in rows:
        assert r[3] == "https://%s:2380" % members(host)[r[2]] and r[5] == "false"


def refused(host, ip, client_tls):
    """Read the outage key from member ip with the client TLS options given; the same read with the healthcheck
    client certificate must work (so a refusal is the certificate's doing, not the address or the key)."""
    assert ctl(host, "get %s --print-value-only" % OUTAGE_KEY, "https://%s:2379" % ip).strip() == OUTAGE_VALUE, ip
    out = host.run("/usr/local/bin/etcdctl --cacert=%s/ca.crt %s --endpoints=https://%s:2379 --dial-timeout=3s "
                   "--command-timeout=5s get %s" % (PKI, client_tls, ip, OUTAGE_KEY))
    return out.rc != 0 and OUTAGE_VALUE not in out.stdout


def test_client_without_certificate_is_refused(host):
    for ip in members(host).values():
        assert refused(host, ip, ""), ip


def test_client_with_kubernetes_ca_certificate_is_refused(host):
    for name in ("admin.crt", "admin.key"):
        host.ansible("copy", "src=%s/%s dest=/root/kube-%s mode=0600" % (pki_dir(host), name, name), check=False)
    for ip in members(host).values():
        assert refused(host, ip, "--cert=/root/kube-admin.crt --key=/root/kube-admin.key"), ip


def peer_get(host, ip, cert, key):
    """GET /members on member ip's peer port (2380) with a client certificate; curl's result. HTTP/1.1: the peer
    port gives curl's default HTTP/2 an empty reply whatever the certificate."""
    return host.run("curl -sS --http1.1 --max-time 5 -o /dev/null -w '%%{http_code}' --cacert %s/ca.crt --cert %s "
                    "--key %s https://%s:2380/members" % (PKI, cert, key, ip))


def test_peer_port_refuses_client_certificates_of_the_etcd_ca(host):
    """Only the members' peer certificates (CN kubebin-etcd-peer) pass the peer port; the etcd CA's client
    certificates (healthcheck, API server) are refused in the TLS handshake, though the same CA signed them."""
    for name in ("apiserver-etcd-client.crt", "apiserver-etcd-client.key"):
        host.ansible("copy", "src=%s/%s dest=/root/%s mode=0600" % (pki_dir(host), name, name), check=False)
    clients = [(PKI + "/healthcheck-client.crt", PKI + "/healthcheck-client.key"),
               ("/root/apiserver-etcd-client.crt", "/root/apiserver-etcd-client.key")]
    for ip in members(host).values():
        member = peer_get(host, ip, PKI + "/peer.crt", PKI + "/peer.key")
        assert member.rc == 0 and member.stdout == "200", (ip, member.stderr)
        for cert, key in clients:
            out = peer_get(host, ip, cert, key)
            # etcd's check fails the handshake: curl: (56) OpenSSL SSL_read: ... sslv3 alert bad certificate
            assert out.rc == 56 and "alert bad certificate" in out.stderr, (ip, cert, out.rc, out.stderr)


def test_1000_keys_on_every_member(host):
    for ip in members(host).values():
        # serializable: answered from that member's own store
        out = json.loads(ctl(host, "get --prefix /kubebin-test/keys/ --consistency=s -w json",
                             "https://%s:2379" % ip))
        kvs = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode() for kv in out["kvs"]}
        assert kvs == {"/kubebin-test/keys/%04d" % n: "value-%d" % n for n in range(1, 1001)}, ip
        outage = ctl(host, "get %s --consistency=s --print-value-only" % OUTAGE_KEY, "https://%s:2379" % ip)
        assert outage.strip() == OUTAGE_VALUE, ip


def test_hashkv_agrees(host):
    hashes = json.loads(ctl(host, "endpoint hashkv --cluster -w json"))
    assert len(hashes) == 3
    assert len({h["HashKV"]["hash"] for h in hashes}) == 1


def test_restart_was_rolling(host):
    """side_effect.yml recorded each member's last stop (InactiveEnter) and start (ActiveEnter) after the role run
    with new settings: node02 was stopped by the side effect and started by the role, master01 and node01 were
    restarted by the role."""
    times = {}
    for name in NAMES:
        rec = dict(line.split("=", 1) for line in
                   host.file("/var/tmp/kubebin-etcd-roll-%s.txt" % name).content_string.splitlines() if "=" in line)
        times[name] = (int(rec["InactiveEnterTimestampMonotonic"]), int(rec["ActiveEnterTimestampMonotonic"]),
                       int(rec["BeforeRollMonotonic"]))
    windows = sorted((stop, start) for stop, start, _before in times.values())
    # every member was stopped and started again after the side effect noted the time ...
    assert all(stop > before and start > stop for stop, start, before in times.values()), times
    # ... one at a time: each stopped only after the previous one was running again
    for (_prev_stop, prev_start), (next_stop, _next_start) in zip(windows, windows[1:]):
        assert next_stop > prev_start, times


def test_kube_bench_etcd_section(host):
    """kube-bench cis-1.12 section 2 (etcd) on master01: no FAIL (the peer CN limit changes none of its checks)."""
    results = kube_bench.run(host, "master01", "etcd")
    assert {"2.1", "2.4", "2.5", "2.6"} <= set(results), sorted(results)
    assert [n for n, s in sorted(results.items()) if s == "FAIL"] == [], results
