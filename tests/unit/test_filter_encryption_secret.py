# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The encryption-at-rest key filter (plugins/filter/pki.py encryption_secret) and the template that uses it.

The template test renders the real roles/control_plane/templates/encryption-config.yaml.j2 with Jinja2, a stand-in
for Ansible's file lookup that reads the real key file (or returns '' for a missing file, as errors='ignore' does),
and the real filter: an empty or malformed key must fail the render, never produce `secret: ""`.
"""
from __future__ import annotations

import base64
import json
import os
import pathlib

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import pki
from ansible_collections.kubebin.cluster.plugins.module_utils import _pki

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / 'roles' / 'control_plane' / 'templates' / 'encryption-config.yaml.j2'


def render(pki_dir, provider='secretbox'):
    def lookup(name, path, errors='strict'):
        assert name == 'ansible.builtin.file' and errors == 'ignore'
        return pathlib.Path(path).read_text() if os.path.exists(path) else ''

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters['to_json'] = json.dumps
    env.filters['kubebin.cluster.encryption_secret'] = pki.encryption_secret
    return env.from_string(TEMPLATE.read_text()).render(
        lookup=lookup, ansible_managed='managed', control_plane_pki_dir=str(pki_dir),
        control_plane_encryption_resources=['secrets'], control_plane_encryption_provider=provider)


def test_template_renders_the_key(tmp_path):
    key = _pki.random_secret(32)
    (tmp_path / 'encryption-at-rest.key').write_bytes(key + b'\n')
    doc = yaml.safe_load(render(tmp_path))
    assert doc['resources'][0]['providers'][0]['secretbox']['keys'] == [{'name': 'key1', 'secret': key.decode()}]


@pytest.mark.parametrize('content', [None, b'', b'  \n'], ids=['missing', 'empty', 'blank'])
def test_template_never_renders_an_empty_key(tmp_path, content):
    if content is not None:
        (tmp_path / 'encryption-at-rest.key').write_bytes(content)
    with pytest.raises(AnsibleFilterError, match='the encryption-at-rest key %s/encryption-at-rest.key is missing or '
                                                 'empty; run the pki role first' % tmp_path):
        render(tmp_path)


@pytest.mark.parametrize('content, provider, message', [
    ('not base64!', 'secretbox', 'is not base64'),
    (base64.b64encode(b'x' * 16).decode(), 'secretbox', 'holds 16 bytes; secretbox needs 32'),
    (base64.b64encode(b'x' * 20).decode(), 'aescbc', 'holds 20 bytes; aescbc needs 16 or 24 or 32'),
    (base64.b64encode(b'x' * 32).decode(), 'aesgcm', "encryption provider 'aesgcm' is not supported"),
])
def test_malformed_key_fails(content, provider, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pki.encryption_secret(content, '/pki/encryption-at-rest.key', provider)


@pytest.mark.parametrize('size, provider', [(32, 'secretbox'), (16, 'aescbc'), (32, 'aescbc')])
def test_good_key_is_returned_stripped(size, provider):
    key = base64.b64encode(os.urandom(size)).decode()
    assert pki.encryption_secret(' %s\n' % key, '/k', provider) == key
