# -*- coding: utf-8 -*-
"""Unit tests of module_utils/_pki.py and the x509_cert and pki_key modules (real keys, real files)."""

from __future__ import annotations

import base64
import datetime
import os
import stat
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import run_module

from ansible_collections.kubebin.cluster.plugins.module_utils import _pki
from ansible_collections.kubebin.cluster.plugins.modules import pki_key, x509_cert


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def ca_args(d, name='ca', **kw):
    args = dict(path=str(d / (name + '.crt')), privatekey_path=str(d / (name + '.key')), common_name=name + '-ca',
                is_ca=True, valid_days=3650, renew_before_days=30)
    args.update(kw)
    return args


def leaf_args(d, name='leaf', ca='ca', **kw):
    args = dict(path=str(d / (name + '.crt')), privatekey_path=str(d / (name + '.key')), common_name=name,
                usages=['server'], subject_alt_names=['DNS:node01', 'IP:192.168.2.200'],
                ca_cert_path=str(d / (ca + '.crt')), ca_privatekey_path=str(d / (ca + '.key')))
    args.update(kw)
    return args


def load(path):
    with open(path, 'rb') as f:
        return x509.load_pem_x509_certificate(f.read())


@pytest.fixture
def pki(tmp_path):
    run_module(x509_cert, ca_args(tmp_path))
    return tmp_path


# --- module_utils ----------------------------------------------------------------------------------------
@pytest.mark.parametrize('text, want', [
    ('DNS:Example.COM.', 'DNS:example.com'),
    ('IP:10.0.0.1', 'IP:10.0.0.1'),
    ('ip:2001:db8:0::1', 'IP:2001:db8::1'),
    ('DNS:*.apps.local', 'DNS:*.apps.local'),
])
def test_parse_san_normalizes(text, want):
    assert _pki.parse_san(text)[0] == want


@pytest.mark.parametrize('text, words', [
    ('IP:300.1.1.1', 'not a valid IP address'),
    ('IP:node01', 'not a valid IP address'),
    ('node01', 'no DNS: or IP: prefix'),
    ('DNS:bad name', 'not a valid DNS name'),
    ('DNS:', 'not a valid DNS name'),
    ('DNS:nöde.example', "'DNS:nöde.example' is not a valid DNS name: it has non-ASCII characters"),
    ('DNS:node01.exämple', 'write an internationalized name in its ASCII form'),
])
def test_parse_san_rejects(text, words):
    with pytest.raises(_pki.PkiError, match=words):
        _pki.parse_san(text)


@pytest.mark.parametrize('key_type, cls, size', [
    ('ecdsa-p256', ec.EllipticCurvePrivateKey, 256), ('ecdsa-p384', ec.EllipticCurvePrivateKey, 384),
    ('rsa-2048', rsa.RSAPrivateKey, 2048),
])
def test_generate_key_types(key_type, cls, size):
    key = _pki.generate_key(key_type)
    assert isinstance(key, cls) and key.key_size == size and _pki.key_type_of(key) == key_type


def test_spec_validation():
    with pytest.raises(_pki.PkiError, match='renew_before_days .30. must be smaller than valid_days .30.'):
        _pki.CertSpec('x', usages=['client'], valid_days=30, renew_before_days=30)
    with pytest.raises(_pki.PkiError, match="key_type 'dsa-1024' is not supported"):
        _pki.CertSpec('x', usages=['client'], key_type='dsa-1024')
    with pytest.raises(_pki.PkiError, match='usages must name server and/or client'):
        _pki.CertSpec('x')
    with pytest.raises(_pki.PkiError, match='leave them empty with is_ca'):
        _pki.CertSpec('x', usages=['client'], is_ca=True)


def test_build_extensions_leaf_rsa_and_ca():
    ca_spec = _pki.CertSpec('test-ca', is_ca=True, valid_days=10, renew_before_days=1)
    ca_key = _pki.generate_key('ecdsa-p256')
    ca = ca_spec.build(ca_key)
    key = _pki.generate_key('rsa-2048')
    spec = _pki.CertSpec('kube-apiserver', ['O1', 'O2'], ['IP:10.96.0.1', 'DNS:kubernetes'], ['server', 'client'])
    cert = spec.build(key, ca, ca_key)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment and not ku.value.key_cert_sign
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    ca_ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_ku.key_cert_sign and ca_ku.crl_sign and ca_ku.digital_signature and not ca_ku.key_encipherment
    info = _pki.describe(cert)
    assert info['organizations'] == ['O1', 'O2'] and info['usages'] == ['client', 'server']
    assert info['subject_alt_names'] == ['IP:10.96.0.1', 'DNS:kubernetes']
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now - datetime.timedelta(minutes=6) < cert.not_valid_before_utc < now - datetime.timedelta(minutes=4)
    assert spec.differences(cert, key, ca) == []
    other = _pki.CertSpec('kube-apiserver', ['O1', 'O2'], ['DNS:kubernetes'], ['server', 'client'])
    assert any('subject alternative names' in r for r in other.differences(cert, key, ca))


# --- x509_cert -----------------------------------------------------------------------------------------------
def test_create_then_idempotent_and_verifies(pki):
    first = run_module(x509_cert, leaf_args(pki))
    assert first['changed'] and first['reasons'] == ['private key does not exist', 'certificate does not exist']
    assert first['subject_alt_names'] == ['DNS:node01', 'IP:192.168.2.200']
    second = run_module(x509_cert, leaf_args(pki))
    assert not second['changed'] and second['fingerprint'] == first['fingerprint'] and second['reasons'] == []
    assert mode(pki / 'leaf.key') == 0o600 and mode(pki / 'ca.key') == 0o600 and mode(pki / 'leaf.crt') == 0o644
    out = subprocess.run(['openssl', 'verify', '-CAfile', str(pki / 'ca.crt'), str(pki / 'leaf.crt')],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert 'BEGIN' not in repr(first)


def test_check_mode_reports_without_writing(tmp_path):
    result = run_module(x509_cert, ca_args(tmp_path), check_mode=True)
    assert result['changed'] and result['fingerprint'] is None
    assert os.listdir(tmp_path) == []
    # a leaf whose CA does not exist yet (an earlier task in check mode) is reported, not failed
    result = run_module(x509_cert, leaf_args(tmp_path), check_mode=True)
    assert result['changed'] and os.listdir(tmp_path) == []


def test_check_mode_on_existing_reports_reissue_without_writing(pki):
    run_module(x509_cert, leaf_args(pki))
    before = (pki / 'leaf.crt').read_bytes()
    result = run_module(x509_cert, leaf_args(pki, subject_alt_names=['DNS:node01']), check_mode=True, diff=True)
    assert result['changed'] and (pki / 'leaf.crt').read_bytes() == before
    assert 'would issue' in result['diff']['after'] and 'IP:192.168.2.200' in result['diff']['before']


def test_diff_mode_shows_summary_not_keys(pki):
    result = run_module(x509_cert, leaf_args(pki), diff=True)
    assert result['diff']['before'] == '' and 'common_name: leaf' in result['diff']['after']
    assert 'PRIVATE' not in repr(result)


def test_san_change_reissues_keeping_key(pki):
    run_module(x509_cert, leaf_args(pki))
    key_before = (pki / 'leaf.key').read_bytes()
    old = load(pki / 'leaf.crt')
    result = run_module(x509_cert, leaf_args(pki, subject_alt_names=['DNS:node01', 'IP:192.168.2.201']))
    assert result['changed'] and len(result['reasons']) == 1 and 'subject alternative names' in result['reasons'][0]
    assert (pki / 'leaf.key').read_bytes() == key_before
    assert load(pki / 'leaf.crt').serial_number != old.serial_number
    # order and duplicates do not matter
    again = run_module(x509_cert, leaf_args(pki, subject_alt_names=['IP:192.168.2.201', 'DNS:NODE01', 'DNS:node01']))
    assert not again['changed']


@pytest.mark.parametrize('change, word', [
    ({'common_name': 'other'}, 'subject'), ({'organizations': ['system:masters']}, 'subject'),
    ({'usages': ['server', 'client']}, 'usages'),
])
def test_subject_and_usage_change_reissue(pki, change, word):
    run_module(x509_cert, leaf_args(pki))
    result = run_module(x509_cert, leaf_args(pki, **change))
    assert result['changed'] and result['reasons'][0].startswith(word)


def test_expired_leaf_is_renewed(pki):
    ca_key = _pki.load_private_key((pki / 'ca.key').read_bytes(), 'k', 'k')
    ca = load(pki / 'ca.crt')
    key = _pki.generate_key('ecdsa-p256')
    spec = _pki.CertSpec('leaf', subject_alt_names=['DNS:node01', 'IP:192.168.2.200'], usages=['server'])
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    (pki / 'leaf.key').write_bytes(_pki.key_to_pem(key))
    os.chmod(pki / 'leaf.key', 0o600)
    (pki / 'leaf.crt').write_bytes(_pki.cert_to_pem(spec.build(key, ca, ca_key, now=past)))
    old_not_after = _pki.describe(load(pki / 'leaf.crt'))['not_after']
    result = run_module(x509_cert, leaf_args(pki))
    assert result['changed']
    assert result['reasons'] == ['certificate expires %s, within renew_before_days (30)' % old_not_after]
    assert load(pki / 'leaf.crt').not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc)
    assert _pki.key_matches_cert(key, load(pki / 'leaf.crt'))


def _utc(delta):
    return (datetime.datetime.now(datetime.timezone.utc) + delta).strftime('%Y-%m-%dT%H:%M:%SZ')


def test_reissue_issued_before_renews_leaves_now_keeping_keys_not_cas(pki):
    run_module(x509_cert, leaf_args(pki))
    key_before, ca_before = (pki / 'leaf.key').read_bytes(), (pki / 'ca.crt').read_bytes()
    old = load(pki / 'leaf.crt')
    time.sleep(1.1)  # X.509 times have whole seconds: the cutoff (a run's start) comes a second after the issue
    cutoff = _utc(datetime.timedelta(0))
    result = run_module(x509_cert, leaf_args(pki, reissue_issued_before=cutoff))
    assert result['changed'] and 'before reissue_issued_before (%s)' % cutoff in result['reasons'][0]
    assert load(pki / 'leaf.crt').serial_number != old.serial_number
    assert (pki / 'leaf.key').read_bytes() == key_before
    # the same cutoff again (another include in the same run) changes nothing; a CA is never reissued by it
    assert not run_module(x509_cert, leaf_args(pki, reissue_issued_before=cutoff))['changed']
    assert not run_module(x509_cert, ca_args(pki, reissue_issued_before=cutoff))['changed']
    assert (pki / 'ca.crt').read_bytes() == ca_before


def test_reissue_with_rotate_keys_replaces_the_key(pki):
    run_module(x509_cert, leaf_args(pki))
    key_before = (pki / 'leaf.key').read_bytes()
    time.sleep(1.1)
    result = run_module(x509_cert, leaf_args(pki, reissue_issued_before=_utc(datetime.timedelta(0)),
                                             rotate_keys=True))
    assert result['changed'] and 'rotate_keys: a new private key' in result['reasons']
    assert (pki / 'leaf.key').read_bytes() != key_before
    assert mode(pki / 'leaf.key') == 0o600
    assert _pki.key_matches_cert(_pki.load_private_key((pki / 'leaf.key').read_bytes(), 'k', 'k'), load(pki / 'leaf.crt'))


def test_reissue_issued_before_must_be_a_utc_time(pki):
    result = run_module(x509_cert, leaf_args(pki, reissue_issued_before='yesterday'), expect_fail=True)
    assert 'reissue_issued_before must be a UTC time such as 2026-12-07T10:00:00Z' in result['msg']
    assert not (pki / 'leaf.crt').exists()


def test_new_ca_reissues_leaf(pki):
    run_module(x509_cert, leaf_args(pki))
    run_module(x509_cert, ca_args(pki, name='other'))
    result = run_module(x509_cert, leaf_args(pki, ca='other'))
    assert result['changed'] and 'issuer' in result['reasons'][0]


def test_ca_is_never_replaced_without_force(pki):
    before = (pki / 'ca.crt').read_bytes()
    result = run_module(x509_cert, ca_args(pki, common_name='renamed-ca'))
    assert not result['changed'] and (pki / 'ca.crt').read_bytes() == before
    assert any('never replaced silently' in w for w in result.get('warnings', []))
    forced = run_module(x509_cert, ca_args(pki, common_name='renamed-ca', force=True))
    assert forced['changed'] and load(pki / 'ca.crt').subject.rfc4514_string() == 'CN=renamed-ca'
    # the CA key is kept when it is readable
    assert _pki.key_matches_cert(_pki.load_private_key((pki / 'ca.key').read_bytes(), 'k', 'k'), load(pki / 'ca.crt'))


def test_force_does_not_reissue_matching_ca(pki):
    assert not run_module(x509_cert, ca_args(pki, force=True))['changed']


BAD_INPUTS = [
    ('invalid IP SAN', {'subject_alt_names': ['IP:10.0.0.300']}, "subject_alt_names: 'IP:10.0.0.300' is not a valid IP"),
    ('unknown key type', {'key_type': 'ed25519'}, 'value of key_type must be one of'),
    ('missing CA', {'ca_cert_path': '/nonexistent/ca.crt'}, 'CA file /nonexistent/ca.crt (ca_cert_path) does not exist'),
    ('renew window', {'valid_days': 10, 'renew_before_days': 30}, 'renew_before_days (30) must be smaller than valid_days (10)'),
    ('no CA for leaf', {'ca_cert_path': None, 'ca_privatekey_path': None}, 'ca_cert_path and ca_privatekey_path are required'),
    ('non-ASCII DNS SAN', {'subject_alt_names': ['DNS:nöde.example']},
     "subject_alt_names: 'DNS:nöde.example' is not a valid DNS name: it has non-ASCII characters"),
]


@pytest.mark.parametrize('name, change, message', BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_fails_clearly_before_writing(pki, name, change, message):
    result = run_module(x509_cert, leaf_args(pki, **change), expect_fail=True)
    assert message in result['msg'], result['msg']
    assert not (pki / 'leaf.key').exists() and not (pki / 'leaf.crt').exists()


def test_corrupt_key_fails_and_is_kept(pki):
    run_module(x509_cert, leaf_args(pki))
    (pki / 'leaf.key').write_bytes(b'-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n')
    result = run_module(x509_cert, leaf_args(pki), expect_fail=True)
    assert 'privatekey_path %s is not a readable unencrypted PEM private key' % (pki / 'leaf.key') in result['msg']
    assert b'garbage' in (pki / 'leaf.key').read_bytes()
    assert 'Traceback' not in result['msg']
    forced = run_module(x509_cert, leaf_args(pki, force=True))
    assert forced['changed'] and 'unreadable' in forced['reasons'][0]


def test_corrupt_ca_key_fails(pki):
    (pki / 'ca.key').write_bytes(b'not a key')
    result = run_module(x509_cert, leaf_args(pki), expect_fail=True)
    assert 'ca_privatekey_path' in result['msg'] and 'not a readable' in result['msg']
    result = run_module(x509_cert, ca_args(pki), expect_fail=True)
    assert 'privatekey_path' in result['msg']


def test_ca_key_mismatch_fails(pki):
    run_module(x509_cert, ca_args(pki, name='other'))
    (pki / 'ca.key').write_bytes((pki / 'other.key').read_bytes())
    result = run_module(x509_cert, leaf_args(pki), expect_fail=True)
    assert 'ca_privatekey_path %s does not match the CA certificate' % (pki / 'ca.key') in result['msg']
    result = run_module(x509_cert, ca_args(pki), expect_fail=True)
    assert 'does not match its private key' in result['msg']


def test_signer_must_be_a_ca(pki):
    run_module(x509_cert, leaf_args(pki))
    result = run_module(x509_cert, leaf_args(pki, name='x', ca='leaf'), expect_fail=True)
    assert 'is not a CA certificate' in result['msg']


def test_key_type_change_replaces_leaf_key(pki):
    run_module(x509_cert, leaf_args(pki))
    result = run_module(x509_cert, leaf_args(pki, key_type='rsa-2048'))
    assert result['changed'] and 'private key type is ecdsa-p256, want rsa-2048' in result['reasons']
    assert _pki.key_type_of(_pki.load_private_key((pki / 'leaf.key').read_bytes(), 'k', 'k')) == 'rsa-2048'


def test_key_mode_is_restored(pki):
    run_module(x509_cert, leaf_args(pki))
    os.chmod(pki / 'leaf.key', 0o644)
    result = run_module(x509_cert, leaf_args(pki))
    assert result['changed'] and result['reasons'] == [] and mode(pki / 'leaf.key') == 0o600


def test_batch(tmp_path):
    entries = [ca_args(tmp_path), leaf_args(tmp_path, name='a'), leaf_args(tmp_path, name='b', usages=['client'])]
    for e in entries[1:]:
        e.pop('subject_alt_names')
    first = run_module(x509_cert, {'certificates': entries, 'valid_days': 100, 'renew_before_days': 10})
    assert first['changed'] and [r['changed'] for r in first['certificates']] == [True, True, True]
    assert load(tmp_path / 'ca.crt').not_valid_after_utc - load(tmp_path / 'a.crt').not_valid_after_utc > \
        datetime.timedelta(days=3000)
    second = run_module(x509_cert, {'certificates': entries, 'valid_days': 100, 'renew_before_days': 10})
    assert not second['changed']
    entries[2]['subject_alt_names'] = ['IP:1.2.3']
    bad = run_module(x509_cert, {'certificates': entries}, expect_fail=True)
    assert bad['msg'].startswith(str(tmp_path / 'b.crt') + ': subject_alt_names')


def test_batch_results(tmp_path):
    """Several certificates: per-entry results, reasons and diffs; the single-certificate keys are null."""
    entries = [ca_args(tmp_path), leaf_args(tmp_path, name='a', subject_alt_names=None, organizations=None)]
    result = run_module(x509_cert, {'certificates': entries}, diff=True)
    assert [r['path'] for r in result['certificates']] == [e['path'] for e in entries]
    assert all(result[k] is None for k in ('fingerprint', 'serial', 'not_after', 'subject_alt_names'))
    assert result['certificates'][1]['subject_alt_names'] == []
    assert len(result['diff']) == 2 and not any('diff' in r for r in result['certificates'])
    os.remove(tmp_path / 'a.crt')
    again = run_module(x509_cert, {'certificates': entries})
    assert again['reasons'] and all(r.startswith(entries[1]['path'] + ': ') for r in again['reasons'])
    bad = run_module(x509_cert, {'certificates': [dict(entries[1], common_name='')]}, expect_fail=True)
    assert bad['msg'].startswith('each entry of certificates needs path, privatekey_path and common_name')
    missing = run_module(x509_cert, {'path': entries[1]['path']}, expect_fail=True)
    assert missing['msg'] == 'missing required arguments: privatekey_path, common_name (or give certificates)'


# --- pki_key -------------------------------------------------------------------------------------------------
def test_service_account_key_pair(tmp_path):
    args = {'path': str(tmp_path / 'sa.key'), 'public_path': str(tmp_path / 'sa.pub')}
    assert run_module(pki_key, args, check_mode=True)['changed'] and os.listdir(tmp_path) == []
    first = run_module(pki_key, args)
    assert first['changed'] and mode(tmp_path / 'sa.key') == 0o600 and mode(tmp_path / 'sa.pub') == 0o644
    assert _pki.key_type_of(_pki.load_private_key((tmp_path / 'sa.key').read_bytes(), 'k', 'k')) == 'rsa-2048'
    assert not run_module(pki_key, args)['changed']
    (tmp_path / 'sa.pub').unlink()
    again = run_module(pki_key, args)
    assert again['changed'] and again['public_key_fingerprint'] == first['public_key_fingerprint']
    other = run_module(pki_key, dict(args, key_type='ecdsa-p256'))
    assert not other['changed'] and other['warnings']


def test_random_secret_never_regenerated(tmp_path):
    args = {'path': str(tmp_path / 'enc.key'), 'type': 'random'}
    assert run_module(pki_key, args)['changed']
    data = (tmp_path / 'enc.key').read_bytes()
    assert len(base64.b64decode(data.strip())) == 32 and mode(tmp_path / 'enc.key') == 0o600
    assert not run_module(pki_key, args)['changed'] and (tmp_path / 'enc.key').read_bytes() == data
    (tmp_path / 'enc.key').write_bytes(b'short\n')
    result = run_module(pki_key, args, expect_fail=True)
    assert 'never replaced silently' in result['msg'] and (tmp_path / 'enc.key').read_bytes() == b'short\n'


def test_corrupt_private_key_fails(tmp_path):
    (tmp_path / 'sa.key').write_bytes(b'junk')
    result = run_module(pki_key, {'path': str(tmp_path / 'sa.key')}, expect_fail=True)
    assert 'not a readable unencrypted PEM private key' in result['msg']


# --- CA lifetime ---------------------------------------------------------------------------------------------------
def test_leaf_never_outlives_its_ca(tmp_path):
    """A leaf asked for 365 days under a CA that ends in 10 is cut to the CA's not_after, and says so."""
    run_module(x509_cert, ca_args(tmp_path, valid_days=10, renew_before_days=1))
    ca_end = load(tmp_path / 'ca.crt').not_valid_after_utc
    first = run_module(x509_cert, leaf_args(tmp_path, valid_days=365, renew_before_days=30))
    assert first['changed'] and first['clamped'] is True
    assert load(tmp_path / 'leaf.crt').not_valid_after_utc == ca_end
    assert first['not_after'] == ca_end.strftime('%Y-%m-%dT%H:%M:%SZ')
    assert any('would outlive its CA %s' % (tmp_path / 'ca.crt') in w for w in first['warnings']), first['warnings']
    # it cannot be renewed past the CA: not reissued on every run although it ends within renew_before_days
    second = run_module(x509_cert, leaf_args(tmp_path, valid_days=365, renew_before_days=30))
    assert not second['changed'] and second['clamped'] is False and second['warnings'] == []
    # the batch form reports it too
    (tmp_path / 'leaf.crt').unlink()
    batch = run_module(x509_cert, {'certificates': [leaf_args(tmp_path)], 'valid_days': 365})
    assert batch['clamped'] is True and batch['certificates'][0]['clamped'] is True


def test_leaf_within_ca_lifetime_is_not_clamped(pki):
    result = run_module(x509_cert, leaf_args(pki, valid_days=365))
    assert result['clamped'] is False and result['warnings'] == []
    days = (load(pki / 'leaf.crt').not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)).days
    assert days in (364, 365)


@pytest.mark.parametrize('check_mode', [False, True])
def test_ca_within_renewal_window_fails(pki, check_mode):
    """A CA that expires within renew_before_days fails the task (a warning is too easy to miss); force rotates it."""
    before = (pki / 'ca.crt').read_bytes()
    result = run_module(x509_cert, ca_args(pki, valid_days=4000, renew_before_days=3700), check_mode=check_mode, expect_fail=True)
    assert 'CA certificate %s expires ' % (pki / 'ca.crt') in result['msg']
    assert 'within renew_before_days (3700)' in result['msg'] and 'force: true' in result['msg']
    assert 'pki_ca_renew_before_days' in result['msg']
    assert (pki / 'ca.crt').read_bytes() == before
    if not check_mode:
        rotated = run_module(x509_cert, ca_args(pki, valid_days=4000, renew_before_days=3700, force=True))
        assert rotated['changed'] and (pki / 'ca.crt').read_bytes() != before
