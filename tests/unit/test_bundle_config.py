# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle builder's reading of the roles (hack/bundle/bundle.py load_config): versions from roles/kubebin,
recipes from roles/artifacts, and a clear refusal of Jinja it cannot resolve (instead of building something else)."""
from __future__ import annotations

import importlib.util
import pathlib

import pytest
import yaml

PROJECT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("kubebin_bundle_config", PROJECT / "hack" / "bundle" / "bundle.py")
builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builder)


def test_the_real_roles_resolve_completely():
    defaults, rvars = builder.load_config()
    with open(PROJECT / "roles" / "kubebin" / "defaults" / "main.yml") as f:
        values = yaml.safe_load(f)
    k8s = rvars["_artifacts_components"]["kubernetes"]
    assert k8s["version"] == values["kubebin_kubernetes_version"] == defaults["kubebin_kubernetes_version"]
    assert rvars["_artifacts_image_files"]["pause"] == values["kubebin_pause_image"]
    assert "{{" not in repr(rvars)


@pytest.fixture(name="roles")
def roles_fixture(tmp_path, monkeypatch):
    (tmp_path / "artifacts" / "defaults").mkdir(parents=True)
    (tmp_path / "artifacts" / "vars").mkdir(parents=True)
    (tmp_path / "kubebin.yml").write_text("kubebin_etcd_version: v3.6.16\nkubebin_derived: \"{{ other }}\"\n")
    (tmp_path / "artifacts" / "defaults" / "main.yml").write_text("artifacts_release_mirrors: {}\n")
    monkeypatch.setattr(builder, "ROLE", str(tmp_path / "artifacts"))
    monkeypatch.setattr(builder, "VALUES", str(tmp_path / "kubebin.yml"))

    def write_recipe(version):
        (tmp_path / "artifacts" / "vars" / "main.yml").write_text(yaml.safe_dump(
            {"_artifacts_components": {"etcd": {"version": version, "binaries": {}}}, "_artifacts_image_files": {}}))
    return write_recipe


def test_a_plain_reference_resolves(roles):
    roles("{{ kubebin_etcd_version }}")
    assert builder.load_config()[1]["_artifacts_components"]["etcd"]["version"] == "v3.6.16"


@pytest.mark.parametrize("version,message", [
    ("{{ kubebin_etcd_version | lower }}", "uses Jinja the bundle builder cannot resolve"),
    ("{% if true %}v1{% endif %}", "uses Jinja the bundle builder cannot resolve"),
    ("{{ kubebin_unknown_version }}", "cannot resolve '{{ kubebin_unknown_version }}'"),
    ("{{ kubebin_derived }}", "cannot resolve '{{ kubebin_derived }}'"),
])
def test_other_jinja_is_refused_with_its_place(roles, capsys, version, message):
    roles(version)
    with pytest.raises(SystemExit):
        builder.load_config()
    err = capsys.readouterr().err
    assert message in err and "_artifacts_components.etcd.version" in err
