# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection artifact carries no secret and no user inventory (galaxy.yml build_ignore).

The checkout is copied to a temporary ansible_collections/kubebin/cluster (without .git, .venv, .cache and any real
generated PKI), fake generated files are put where a user's runs leave them, and the real
`ansible-galaxy collection build` packs it. The tarball may hold no private key, kubeconfig, token file, nothing
under .kubebin/.cache/.venv/build and no inventory but inventory/sample and inventory/lab's static files.
"""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GALAXY = pathlib.Path(sys.executable).with_name('ansible-galaxy')
PEM_KEY = '-----BEGIN EC ' + 'PRIVATE KEY-----\nMHcCAQEEIFakeFakeFake\n-----END EC PRIVATE KEY-----\n'
PEM_PRIVATE_KEY = re.compile(rb'^-----BEGIN [A-Z ]*PRIVATE KEY-----', re.M)
KUBECONFIG = 'apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: ZmFrZQ==\n'
TOKEN = '{"id": "abcdef", "secret": "0123456789abcdef", "expires_epoch": 1}\n'

# What a user's runs leave in a checkout: (path, content).
FAKES = [
    ('inventory/lab/.kubebin/kubebin/pki/ca.key', PEM_KEY),
    ('inventory/lab/.kubebin/kubebin/pki/admin.kubeconfig', KUBECONFIG),
    ('inventory/lab/.kubebin/kubebin/pki/bootstrap-token.json', TOKEN),
    ('inventory/lab/.kubebin/kubebin/pki/encryption-at-rest.key', 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0Cg==\n'),
    ('inventory/sample/.kubebin/kubebin/pki/ca.key', PEM_KEY),
    ('inventory/lab/admin.kubeconfig', KUBECONFIG),
    ('inventory/mycluster/hosts.yml', 'all:\n  hosts:\n    master01: {ansible_host: 10.0.0.1}\n'),
    ('inventory/mycluster/group_vars/all.yml', 'kubebin_cluster_name: prod\n'),
    ('inventory/mycluster/.kubebin/prod/pki/sa.key', PEM_KEY),
    ('inventory/staging/hosts.yml', 'all: {}\n'),
    ('inventory/sample-prod/hosts.yml', 'all: {}\n'),
    ('inventory/labs/hosts.yml', 'all: {}\n'),
    ('inventory/la/hosts.yml', 'all: {}\n'),
    ('inventory/hosts.yml', 'all: {}\n'),
    ('.kubebin/pki/ca.key', PEM_KEY),
    ('.cache/x', 'cache\n'),
    ('.cache/collections/ansible_collections/kubebin/readme', 'link target\n'),
    ('.venv/bin/python', '#!/bin/sh\n'),
    ('.pytest_cache/v/cache/lastfailed', '{}\n'),
    ('build/kubebin-cluster-0.0.1.tar.gz', 'old build\n'),
    ('tests/output/junit.xml', '<x/>\n'),
    ('admin.kubeconfig', KUBECONFIG),
    ('playbooks/node01.key', PEM_KEY),
    ('bootstrap-token.json', TOKEN),
]


def _copy_ignore(directory, names):
    rel = pathlib.Path(directory).relative_to(ROOT).as_posix()
    skip = {'.git', '.venv', '.cache', '.pytest_cache', '__pycache__', '.kubebin', 'build'} if rel == '.' else \
        {'__pycache__', '.kubebin', 'output'}
    return [n for n in names if n in skip]


def _offending(name, data):
    parts = name.split('/')
    if set(parts) & {'.kubebin', '.cache', '.venv', '.pytest_cache'} or parts[0] in ('build', '.git'):
        return 'generated, cache or tool directory'
    if parts[0] == 'inventory' and len(parts) > 1 and parts[1] not in ('sample', 'lab'):
        return 'a user inventory'
    if parts[0] == 'inventory' and len(parts) > 2 and parts[1] in ('sample', 'lab') \
            and not re.match(r'^(hosts\.yml|group_vars(/all\.yml)?|host_vars(/[^/]+\.yml)?)$', '/'.join(parts[2:])):
        return 'not a static inventory file'
    if name.endswith('.kubeconfig') or parts[-1] in ('bootstrap-token.json', 'token.csv'):
        return 'a kubeconfig or token file'
    if data is not None and PEM_PRIVATE_KEY.search(data):
        return 'a private key'
    return None


@pytest.fixture(scope='module')
def artifact(tmp_path_factory):
    if not GALAXY.exists():
        pytest.skip('ansible-galaxy is not next to %s (make venv)' % sys.executable)
    top = tmp_path_factory.mktemp('galaxy')
    src = top / 'ansible_collections' / 'kubebin' / 'cluster'
    shutil.copytree(ROOT, src, ignore=_copy_ignore, symlinks=True)
    for rel, content in FAKES:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(content)
    out = top / 'out'
    out.mkdir()
    result = subprocess.run([str(GALAXY), 'collection', 'build', '--output-path', str(out), str(src)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (tarball,) = out.glob('kubebin-cluster-*.tar.gz')
    return tarball


def test_artifact_carries_no_secret_and_no_user_inventory(artifact):
    bad = []
    with tarfile.open(artifact) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isfile() else None
            why = _offending(member.name, data)
            if why:
                bad.append('%s (%s)' % (member.name, why))
    assert not bad, 'the collection artifact must not contain:\n' + '\n'.join(bad)


def test_artifact_keeps_the_collection_and_the_sample_inventories(artifact):
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
    for wanted in ('MANIFEST.json', 'README.md', 'plugins/modules/csr_approve.py',
                   'roles/pki/tasks/generate.yml', 'inventory/sample/hosts.yml', 'inventory/sample/group_vars/all.yml',
                   'inventory/lab/hosts.yml', 'inventory/lab/group_vars/all.yml'):
        assert wanted in names, wanted


@pytest.mark.parametrize('name, data, offending', [
    ('inventory/mycluster/hosts.yml', b'', True),
    ('inventory/sample-prod/hosts.yml', b'', True),
    ('inventory/lab/.kubebin/x', b'', True),
    ('inventory/lab/admin.kubeconfig', b'', True),
    ('x/ca.key', PEM_KEY.encode(), True),
    ('inventory/lab/hosts.yml', b'all: {}\n', False),
    ('tests/unit/test_pki.py', b"x = b'-----BEGIN PRIVATE KEY-----\\n'\n", False),
])
def test_the_checker_itself(name, data, offending):
    assert bool(_offending(name, data)) is offending
