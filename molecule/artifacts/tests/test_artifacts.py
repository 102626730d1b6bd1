"""Checks of the artifacts scenario: what converge and side_effect left on the node, against the real bundle."""
import json
import os

import yaml

BUNDLE = os.path.join(os.environ.get("KUBEBIN_CACHE") or "/var/cache/kubebin", "bundle")
ROLE_VARS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "artifacts", "vars", "main.yml")
with open(ROLE_VARS) as _f:
    CNI = set(yaml.safe_load(_f)["_artifacts_cni_plugins"])


def sums():
    with open(os.path.join(BUNDLE, "SHA256SUMS")) as f:
        return {rel: digest for digest, rel in (line.split() for line in f if line.strip())}


def versions():
    with open(os.path.join(BUNDLE, "manifest.json")) as f:
        return json.load(f)["versions"]


def test_installed_files_match_bundle(host):
    """Every file converge installed (molecule_artifacts_* in molecule.yml): root-owned, mode, sha256."""
    hostvars = host.ansible.get_variables()
    expected = [(("/opt/cni/bin/" if b in CNI else "/usr/local/bin/") + b, "bin/" + b, 0o755)
                for b in hostvars["molecule_artifacts_binaries"]]
    expected += [("/var/lib/kubebin/images/%s.tar" % i, "images/%s.tar" % i, 0o644)
                 for i in hostvars["molecule_artifacts_images"]]
    bundle_sums = sums()
    for path, rel, mode in expected:
        f = host.file(path)
        assert f.is_file, path
        assert f.mode == mode, path
        assert (f.user, f.group) == ("root", "root"), path
        assert f.sha256sum == bundle_sums[rel], path


def test_etcdctl_runs_on_node_with_declared_version(host):
    out = host.check_output("/usr/local/bin/etcdctl version")
    assert "etcdctl version: " + versions()["kubebin_etcd_version"].lstrip("v") in out


def test_cni_plugin_runs_on_node(host):
    out = host.run("/opt/cni/bin/bridge")
    assert "CNI bridge plugin " + versions()["kubebin_cni_plugins_version"] in out.stdout + out.stderr


def test_url_source_installed_crictl(host):
    f = host.file("/opt/kubebin-url-test/bin/crictl")
    assert f.mode == 0o755 and f.sha256sum == sums()["bin/crictl"]
    assert versions()["kubebin_crictl_version"] in host.check_output("/opt/kubebin-url-test/bin/crictl --version")


def test_corrupted_bundle_installed_nothing(host):
    assert not host.file("/tmp/corrupt-cni/bridge").exists
    assert not host.file("/tmp/corrupt-bin/etcdctl").exists
