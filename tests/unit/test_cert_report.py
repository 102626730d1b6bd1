# -*- coding: utf-8 -*-
"""plugins/modules/cert_report.py on real certificates made with cryptography in a temporary directory."""

from __future__ import annotations

import base64
import datetime
import os

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.kubebin.cluster.plugins.module_utils import _cert_report
from ansible_collections.kubebin.cluster.plugins.modules import cert_report

NOW = datetime.datetime.now(datetime.timezone.utc)


def make_cert(cn, days, signer=None, is_ca=False, serial=None):
    """(certificate, key): self-signed when ``signer`` is None, else signed by signer=(cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_cert, issuer_key = signer or (None, key)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1))
               .not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    return builder.sign(issuer_key, hashes.SHA256()), key


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def b64(data):
    return base64.b64encode(data).decode('ascii')


def kubeconfig(ca, client):
    return (
        'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n'
        '    server: https://10.0.0.1:6443\n  name: kubebin\ncontexts:\n- context:\n    cluster: kubebin\n'
        '    user: admin\n  name: admin@kubebin\ncurrent-context: admin@kubebin\nusers:\n- name: "admin"\n  user:\n'
        '    client-certificate-data: "%s"\n    client-key-data: %s\n    exec:\n      env:\n      - name: X\n'
        '        value: "1"\n' % (b64(pem(ca)), b64(pem(client)), b64(b'-----BEGIN PRIVATE KEY-----\nsecret\n')))


@pytest.fixture
def pki(tmp_path):
    """A PKI directory: CA, leaf, bundle, kubeconfig, keys, a garbage .crt and an unrelated YAML file."""
    ca, ca_key = make_cert('kubernetes-ca', 3650, is_ca=True)
    leaf, leaf_key = make_cert('kube-apiserver', 10, signer=(ca, ca_key), serial=0xabc)
    admin, _admin_key = make_cert('admin', 365, signer=(ca, ca_key))
    d = tmp_path / 'pki'
    (d / 'sub').mkdir(parents=True)
    (d / 'ca.crt').write_bytes(pem(ca))
    (d / 'ca.key').write_bytes(key_pem(ca_key))
    (d / 'sub' / 'apiserver.crt').write_bytes(pem(leaf))
    (d / 'sub' / 'leaf-key.pem').write_bytes(key_pem(leaf_key))
    (d / 'bundle.pem').write_bytes(pem(leaf) + pem(ca))
    (d / 'admin.kubeconfig').write_text(kubeconfig(ca, admin))
    (d / 'garbage.crt').write_bytes(b'\x00\x01 not a certificate')
    (d / 'broken.crt').write_bytes(b'-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')
    (d / 'hosts.yml').write_text('master01: [ca.crt]\n')
    return d


def by_place(result):
    return {(os.path.basename(e['path']), e.get('name')): e for e in result['certificates']}


def test_report_of_a_directory(run, pki):
    result = run(cert_report, {'paths': [str(pki)]}, check_mode=True)
    assert result['changed'] is False
    assert result['missing'] == []
    places = sorted((os.path.relpath(e['path'], str(pki)), e['source'], e.get('name'))
                    for e in result['certificates'])
    assert places == [
        ('admin.kubeconfig', 'kubeconfig', 'admin'),
        ('admin.kubeconfig', 'kubeconfig', 'kubebin'),
        ('broken.crt', 'pem', None),
        ('bundle.pem', 'pem', None),
        ('bundle.pem', 'pem', None),
        ('ca.crt', 'pem', None),
        ('garbage.crt', 'pem', None),
        ('sub/apiserver.crt', 'pem', None),
    ]
    entries = by_place(result)
    leaf = entries[('apiserver.crt', None)]
    assert leaf['subject'] == 'CN=kube-apiserver'
    assert leaf['issuer'] == 'CN=kubernetes-ca'
    assert leaf['serial'] == 'abc'
    assert leaf['is_ca'] is False
    assert 9.8 <= leaf['days_left'] <= 10.0 and leaf['days_left'] == round(leaf['days_left'], 1)
    assert leaf['not_after'].endswith('Z') and leaf['not_before'] < leaf['not_after']
    ca = entries[('ca.crt', None)]
    assert ca['is_ca'] is True and ca['subject'] == ca['issuer'] == 'CN=kubernetes-ca'
    assert entries[('admin.kubeconfig', 'admin')]['subject'] == 'CN=admin'
    assert entries[('admin.kubeconfig', 'kubebin')]['is_ca'] is True
    bundle = [e['subject'] for e in result['certificates'] if e['path'].endswith('bundle.pem')]
    assert sorted(bundle) == ['CN=kube-apiserver', 'CN=kubernetes-ca']
    assert entries[('garbage.crt', None)]['error'] == 'holds no PEM certificate'
    assert entries[('broken.crt', None)]['error'].startswith('not a valid X.509 certificate')
    # errors first, then by days left
    days = [e.get('days_left', -1) for e in result['certificates']]
    assert days == sorted(days)
    assert 'error' in result['certificates'][0]


def test_no_key_material_in_the_result(run, pki):
    result = run(cert_report, {'paths': [str(pki)], 'decode': False})
    text = repr(result)
    assert 'PRIVATE KEY' not in text and 'secret' not in text
    assert all('key' not in os.path.basename(e['path']) for e in result['certificates'])
    assert all(set(e) <= {'path', 'source', 'name', 'pem', 'error'} for e in result['certificates'])


def test_certificate_and_key_in_one_file_through_a_symlink(run, tmp_path):
    cert, key = make_cert('system:node:node01', 300)
    real = tmp_path / 'kubelet-client-2026-01-01.pem'
    real.write_bytes(pem(cert) + key_pem(key))
    (tmp_path / 'kubelet-client-current.pem').symlink_to(real)
    link = str(tmp_path / 'kubelet-client-current.pem')
    result = run(cert_report, {'paths': [link]})
    assert [(e['path'], e['subject']) for e in result['certificates']] == [(link, 'CN=system:node:node01')]
    assert 'PRIVATE KEY' not in repr(result)
    # walking the directory skips the symlink: the certificate is reported once, under its own name
    result = run(cert_report, {'paths': [str(tmp_path)]})
    assert [e['path'] for e in result['certificates']] == [str(real)]


def test_symlinks_out_of_a_directory_are_not_followed(run, tmp_path):
    cert, _key = make_cert('outside', 30)
    (tmp_path / 'outside.crt').write_bytes(pem(cert))
    (tmp_path / 'outside-dir').mkdir()
    (tmp_path / 'outside-dir' / 'x.crt').write_bytes(pem(cert))
    walked = tmp_path / 'walked'
    walked.mkdir()
    (walked / 'link.crt').symlink_to(tmp_path / 'outside.crt')
    (walked / 'linkdir').symlink_to(tmp_path / 'outside-dir')
    assert run(cert_report, {'paths': [str(walked)]})['certificates'] == []


def test_missing_paths_are_listed(run, tmp_path):
    result = run(cert_report, {'paths': [str(tmp_path / 'nothing')]})
    assert result['certificates'] == [] and result['missing'] == [str(tmp_path / 'nothing')]


def test_unreadable_file_is_an_entry_error(run, tmp_path, monkeypatch):
    path = tmp_path / 'x.crt'
    path.write_text('')

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(_cert_report, 'open', refuse, raising=False)
    result = run(cert_report, {'paths': [str(path)]})
    assert result['certificates'] == [{'path': str(path), 'source': 'pem', 'error': 'cannot read it: Permission denied'}]


def test_relative_path_fails(run):
    result = run(cert_report, {'paths': ['etc/kubernetes']}, expect_fail=True)
    assert result['msg'] == "paths: 'etc/kubernetes' is relative; give an absolute path"


def test_bad_found_fails(run):
    result = run(cert_report, {'found': {'node01': 'nothing'}}, expect_fail=True)
    assert 'found: the value of node01' in result['msg']


def test_found_on_hosts_decoded_on_the_control_node(run, pki, tmp_path):
    cert, _key = make_cert('kube-proxy', 5)
    node = tmp_path / 'node'
    node.mkdir()
    (node / 'kube-proxy.crt').write_bytes(pem(cert))
    found = run(cert_report, {'paths': [str(node)], 'decode': False})['certificates']
    assert [e['pem'].encode('ascii') for e in found] == [pem(cert)]
    result = run(cert_report, {'paths': [str(pki / 'ca.crt')], 'host': 'localhost', 'found': {'node01': found},
                               'threshold_days': 30})
    assert [(e['host'], e['subject']) for e in result['certificates']] == [
        ('node01', 'CN=kube-proxy'), ('localhost', 'CN=kubernetes-ca')]
    assert 'pem' not in result['certificates'][0]
    assert result['expiring'] == ['node01:%s/kube-proxy.crt (CN=kube-proxy, %.1f days left)' % (
        node, result['certificates'][0]['days_left'])]
    assert result['table'][0].split() == ['HOST', 'PATH[/NAME]', 'SUBJECT', 'ISSUER', 'DAYS', 'LEFT']
    assert result['table'][1].startswith('node01     %s/kube-proxy.crt' % node)


def test_kubeconfig_without_pyyaml(pki, monkeypatch):
    text = (pki / 'admin.kubeconfig').read_text()
    with_yaml = _cert_report._kubeconfig_data(text)
    assert [name for name, _data in with_yaml] == ['kubebin', 'admin']
    monkeypatch.setattr(_cert_report, 'HAS_YAML', False)
    assert _cert_report._kubeconfig_data(text) == with_yaml
    # kubebin's own layout: name first, quoted values
    own = ('clusters:\n- name: "kubebin"\n  cluster:\n    certificate-authority-data: "Q0E="\n'
           'users:\n- name: "admin"\n  user:\n    client-certificate-data: "QQ=="\n    client-key-data: "Sw=="\n')
    assert _cert_report.scan_kubeconfig(own) == [('kubebin', 'Q0E='), ('admin', 'QQ==')]


def test_kubeconfig_with_bad_data(run, tmp_path):
    path = tmp_path / 'kubeconfig'
    path.write_text('users:\n- name: bob\n  user:\n    client-certificate-data: "!!notbase64"\n')
    result = run(cert_report, {'paths': [str(path)]})
    assert result['certificates'] == [{'path': str(path), 'source': 'kubeconfig', 'name': 'bob',
                                       'error': 'the embedded data of bob is not a base64 PEM certificate'}]


def test_found_entry_without_certificate_is_an_entry_error(run):
    result = run(cert_report, {'found': {'node01': [{'path': '/etc/x.crt', 'source': 'pem'}]}})
    assert result['certificates'][0]['error'].startswith('no certificate in this entry')
    assert result['certificates'][0]['host'] == 'node01'
