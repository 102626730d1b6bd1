"""Per-member checks of the etcd scenario, on every member, after converge, idempotence, check mode and
side_effect.yml (cluster-wide checks: test_etcd_cluster.py)."""
import hashlib
import json
import os

from etcd_common import PKI, ctl, pki_dir


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
    # the peer port takes only the CN of the members' peer certificates
    assert environ["ETCD_PEER_CERT_ALLOWED_CN"] == "kubebin-etcd-peer"
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


def test_peer_certificate_has_the_common_cn_and_the_members_own_names(host):
    out = host.check_output("openssl x509 -in %s/peer.crt -noout -subject -ext subjectAltName" % PKI)
    hostvars = host.ansible.get_variables()
    name, ip = hostvars["inventory_hostname"], hostvars["kubebin_node_ip"]
    assert "CN = kubebin-etcd-peer" in out or "CN=kubebin-etcd-peer" in out, out
    assert "DNS:%s" % name in out and "IP Address:%s" % ip in out, out
