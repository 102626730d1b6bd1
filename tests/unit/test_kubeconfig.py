# -*- coding: utf-8 -*-
"""Unit tests of module_utils/_kubeconfig.py and the kubeconfig module."""

from __future__ import annotations

import base64
import os
import stat

import pytest
import yaml

from conftest import run_module

from ansible_collections.kubebin.cluster.plugins.module_utils import _kubeconfig
from ansible_collections.kubebin.cluster.plugins.modules import kubeconfig, x509_cert


@pytest.fixture
def pki(tmp_path):
    run_module(x509_cert, dict(path=str(tmp_path / 'ca.crt'), privatekey_path=str(tmp_path / 'ca.key'),
                               common_name='kubernetes-ca', is_ca=True))
    for name in ('admin', 'other'):
        run_module(x509_cert, dict(path=str(tmp_path / (name + '.crt')), privatekey_path=str(tmp_path / (name + '.key')),
                                   common_name=name, usages=['client'], ca_cert_path=str(tmp_path / 'ca.crt'),
                                   ca_privatekey_path=str(tmp_path / 'ca.key')))
    return tmp_path


def args(d, **kw):
    a = dict(path=str(d / 'admin.kubeconfig'), server='https://192.168.2.66:6443', cluster_name='kubebin',
             user_name='kubernetes-admin', ca_cert_path=str(d / 'ca.crt'), client_cert_path=str(d / 'admin.crt'),
             client_key_path=str(d / 'admin.key'))
    a.update(kw)
    return {k: v for k, v in a.items() if v is not None}


def test_writes_embedded_kubeconfig_0600_and_is_idempotent(pki):
    result = run_module(kubeconfig, args(pki))
    assert result['changed'] and result['context'] == 'kubernetes-admin@kubebin'
    path = pki / 'admin.kubeconfig'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc['current-context'] == 'kubernetes-admin@kubebin'
    cluster = doc['clusters'][0]['cluster']
    assert cluster['server'] == 'https://192.168.2.66:6443'
    assert base64.b64decode(cluster['certificate-authority-data']) == (pki / 'ca.crt').read_bytes()
    user = doc['users'][0]['user']
    assert base64.b64decode(user['client-key-data']) == (pki / 'admin.key').read_bytes()
    assert doc['contexts'][0]['context'] == {'cluster': 'kubebin', 'user': 'kubernetes-admin'}
    assert not run_module(kubeconfig, args(pki))['changed']


def test_check_mode_and_redacted_diff(pki):
    result = run_module(kubeconfig, args(pki), check_mode=True, diff=True)
    assert result['changed'] and not (pki / 'admin.kubeconfig').exists()
    key_b64 = base64.b64encode((pki / 'admin.key').read_bytes()).decode()
    assert key_b64 not in repr(result) and '<redacted>' in result['diff']['after']
    run_module(kubeconfig, args(pki))
    result = run_module(kubeconfig, args(pki, server='https://10.0.0.9:6443'), diff=True)
    assert result['changed'] and '10.0.0.9' in result['diff']['after'] and key_b64 not in repr(result)


def test_token_user(pki):
    result = run_module(kubeconfig, args(pki, client_cert_path=None, client_key_path=None, token='abcdef.0123456789abcdef'),
                        diff=True)
    assert 'abcdef.0123456789abcdef' not in repr(result)
    doc = yaml.safe_load((pki / 'admin.kubeconfig').read_text())
    assert doc['users'][0]['user'] == {'token': 'abcdef.0123456789abcdef'}


def test_ca_data_instead_of_path(pki):
    run_module(kubeconfig, args(pki))
    same = run_module(kubeconfig, args(pki, ca_cert_path=None, ca_cert_data=(pki / 'ca.crt').read_text()))
    assert not same['changed']


@pytest.mark.parametrize('change, message', [
    ({'client_key_path': 'OTHER'}, 'client_key_path does not match client_cert_path'),
    ({'ca_cert_path': '/nonexistent/ca.crt'}, 'ca_cert_path /nonexistent/ca.crt (CA certificate) does not exist'),
    ({'server': 'http://x:8080'}, "server 'http://x:8080' must be an https:// URL"),
    ({'client_key_path': None}, 'give the user credentials'),
    ({'ca_cert_path': 'KEY'}, 'is not a readable PEM certificate'),
])
def test_bad_input(pki, change, message):
    change = {k: (str(pki / 'other.key') if v == 'OTHER' else str(pki / 'admin.key') if v == 'KEY' else v)
              for k, v in change.items()}
    result = run_module(kubeconfig, args(pki, **change), expect_fail=True)
    assert message in result['msg'], result['msg']
    assert not (pki / 'admin.kubeconfig').exists()


def test_batch(pki):
    entries = [{'path': str(pki / (n + '.kubeconfig')), 'user_name': n, 'client_cert_path': str(pki / (n + '.crt')),
                'client_key_path': str(pki / (n + '.key'))} for n in ('admin', 'other')]
    common = dict(server='https://127.0.0.1:6443', ca_cert_path=str(pki / 'ca.crt'), kubeconfigs=entries)
    first = run_module(kubeconfig, common)
    assert first['changed'] and [r['context'] for r in first['kubeconfigs']] == ['admin@kubernetes', 'other@kubernetes']
    assert not run_module(kubeconfig, common)['changed']


def test_batch_results_credentials_and_errors(pki):
    """Several kubeconfigs: one result and one diff each, an entry's token replaces the top-level client
    certificate, and a failure names the entry's file."""
    entries = [{'path': str(pki / 'a.kubeconfig'), 'user_name': 'a', 'token': 'abcdef.0123456789abcdef'},
               {'path': str(pki / 'b.kubeconfig'), 'user_name': 'b'}]
    common = args(pki, path=None, user_name=None, kubeconfigs=entries)
    result = run_module(kubeconfig, common, diff=True)
    assert result['changed'] and result['context'] is None
    assert [r['path'] for r in result['kubeconfigs']] == [e['path'] for e in entries]
    assert len(result['diff']) == 2 and not any('diff' in r for r in result['kubeconfigs'])
    users = [yaml.safe_load((pki / n).read_text())['users'][0]['user'] for n in ('a.kubeconfig', 'b.kubeconfig')]
    assert set(users[0]) == {'token'} and set(users[1]) == {'client-certificate-data', 'client-key-data'}
    # and the other way round: an entry's client certificate replaces the top-level token
    run_module(kubeconfig, args(pki, path=None, user_name=None, client_cert_path=None, client_key_path=None,
                                token='abcdef.0123456789abcdef',
                                kubeconfigs=[dict(entries[1], client_cert_path=str(pki / 'other.crt'),
                                                  client_key_path=str(pki / 'other.key'))]))
    user = yaml.safe_load((pki / 'b.kubeconfig').read_text())['users'][0]['user']
    assert set(user) == {'client-certificate-data', 'client-key-data'}
    entries[1]['server'] = 'http://insecure:8080'
    bad = run_module(kubeconfig, common, expect_fail=True)
    assert bad['msg'].startswith(entries[1]['path'] + ': server '), bad['msg']
    missing = run_module(kubeconfig, args(pki, path=None, user_name=None), expect_fail=True)
    assert missing['msg'] == 'missing required arguments: path, user_name (or give kubeconfigs)'


def test_redact():
    text = 'users:\n- name: x\n  user:\n    token: "secret"\n    client-key-data: "c2VjcmV0"\n'
    assert 'secret' not in _kubeconfig.redact(text) and 'c2VjcmV0' not in _kubeconfig.redact(text)


@pytest.mark.parametrize('mode', ['0644', '0640', '644', '0604', 0o644, 'u=rw,g=r', 'a+r', 'o=r', '+r'])
def test_mode_readable_by_group_or_others_is_refused(pki, mode):
    result = run_module(kubeconfig, args(pki, mode=mode), expect_fail=True)
    shown = '0644' if mode == 0o644 else mode
    assert ('mode %s would let group or others read %s, which embeds the client key (client-key-data)'
            % (shown, pki / 'admin.kubeconfig')) in result['msg']
    assert 'set mode: "0600"' in result['msg']
    assert not (pki / 'admin.kubeconfig').exists()


def test_mode_refused_for_a_token_kubeconfig_too(pki):
    result = run_module(kubeconfig, args(pki, client_cert_path=None, client_key_path=None, token='abcdef.0123456789abcdef',
                                         mode='0644'), expect_fail=True)
    assert 'which embeds the token' in result['msg'] and '0123456789abcdef' not in result['msg']


@pytest.mark.parametrize('mode', ['0600', '0400', '600', 0o600, 'u=rw,go=', 'go-rwx'])
def test_private_modes_are_accepted(pki, mode):
    result = run_module(kubeconfig, args(pki, mode=mode))
    assert result['changed'] and stat.S_IMODE(os.stat(pki / 'admin.kubeconfig').st_mode) & 0o077 == 0
