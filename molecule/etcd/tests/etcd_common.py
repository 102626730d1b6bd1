"""What both etcd test modules use: etcdctl with the healthcheck client certificate, the members' addresses."""
PKI = "/etc/etcd/pki"
ETCDCTL = ("/usr/local/bin/etcdctl --cacert=%s/ca.crt --cert=%s/healthcheck-client.crt "
           "--key=%s/healthcheck-client.key" % (PKI, PKI, PKI))
NAMES = ("master01", "node01", "node02")


def members(host):
    """{member name: kubebin_node_ip} from the inventory."""
    runner = host.backend.ansible_runner
    return {n: runner.get_variables(n)["kubebin_node_ip"] for n in NAMES}


def pki_dir(host):
    """The control node's PKI directory (the scenario's kubebin_pki_dir)."""
    return host.ansible.get_variables()["kubebin_pki_dir"]


def ctl(host, args, endpoints=None):
    """etcdctl on host against endpoints (default: every member); fails the test unless it succeeds."""
    if endpoints is None:
        endpoints = ",".join("https://%s:2379" % ip for ip in members(host).values())
    out = host.run("%s --endpoints=%s %s" % (ETCDCTL, endpoints, args))
    assert out.rc == 0, out.stderr
    return out.stdout
