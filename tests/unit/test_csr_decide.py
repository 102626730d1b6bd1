"""The CSR decision matrix of plugins/module_utils/_csr.py, over real CSRs.

Every CSR is built with `cryptography` and wrapped in an object shaped like the Kubernetes API's
CertificateSigningRequest v1 JSON (spec.request is base64 of the PEM; status is {} while pending).
"""

from __future__ import annotations

import base64
import ipaddress
import pathlib
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[2] / '.cache' / 'collections'
if _COLLECTIONS.is_dir() and str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.kubebin.cluster.plugins.module_utils import _csr  # noqa: E402

KEY = ec.generate_private_key(ec.SECP256R1())
SERVING = 'kubernetes.io/kubelet-serving'
CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet'
NODES = [
    {'name': 'node01', 'addresses': ['192.168.10.12', 'node01.lab.internal']},
    {'name': 'node02', 'addresses': ['192.168.10.13', 'node02.lab.internal']},
]
INV = _csr.node_inventory(NODES, _csr.parse_cidrs('10.96.0.0/12'))


def csr_pem(cn='system:node:node01', orgs=('system:nodes',), dns=(), ips=(), emails=(), uris=(), other_sans=(),
            extensions=()):
    """A signed PEM CSR; ``other_sans`` are extra GeneralNames for the SAN, ``extensions`` (extension, critical)."""
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    sans = ([x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
            + [x509.RFC822Name(e) for e in emails] + [x509.UniformResourceIdentifier(u) for u in uris]
            + list(other_sans))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def csr_obj(pem, signer=SERVING, username='system:node:node01', groups=('system:nodes', 'system:authenticated'),
            usages=('digital signature', 'server auth'), name='csr-test', conditions=None, expiration=None):
    """A CertificateSigningRequest exactly as GET /apis/certificates.k8s.io/v1/certificatesigningrequests lists it."""
    obj = {
        'apiVersion': 'certificates.k8s.io/v1',
        'kind': 'CertificateSigningRequest',
        'metadata': {'name': name, 'uid': '6a1f1b0e-0000-4000-8000-000000000001', 'resourceVersion': '4242',
                     'creationTimestamp': '2025-01-01T00:00:00Z'},
        'spec': {'request': base64.b64encode(pem).decode('ascii'), 'signerName': signer, 'usages': list(usages),
                 'username': username, 'groups': list(groups), 'uid': 'b5f1c0de-0000-4000-8000-000000000002'},
        'status': {},
    }
    if expiration is not None:
        obj['spec']['expirationSeconds'] = expiration
    if conditions:
        obj['status'] = {'conditions': [{'type': c, 'status': 'True', 'reason': 'AutoApproved', 'message': 'x',
                                         'lastUpdateTime': '2025-01-01T00:00:00Z',
                                         'lastTransitionTime': '2025-01-01T00:00:00Z'} for c in conditions]}
    return obj


PEM_ARGS = ('cn', 'orgs', 'dns', 'ips', 'emails', 'uris', 'other_sans', 'extensions')


def serving(**kw):
    """A kubelet-serving CSR of node01 as a kubelet sends it; keyword arguments change the CSR or the object."""
    pem_kw = {k: kw.pop(k) for k in PEM_ARGS if k in kw}
    pem_kw.setdefault('dns', ['node01'])
    pem_kw.setdefault('ips', ['192.168.10.12'])
    return csr_obj(csr_pem(**pem_kw), **kw)


# the group of the node role's bootstrap tokens (kubebin_bootstrap_token_group)
TOKEN_GROUP = 'system:bootstrappers:kubebin:default-node-token'
BOOTSTRAP = dict(signer=CLIENT, username='system:bootstrap:abcdef',
                 groups=('system:bootstrappers', TOKEN_GROUP, 'system:authenticated'),
                 usages=('digital signature', 'client auth'))


def client(**kw):
    """A kubelet client CSR for node01 made with bootstrap token abcdef (TLS bootstrapping)."""
    pem_kw = {k: kw.pop(k) for k in PEM_ARGS if k in kw}
    obj_kw = dict(BOOTSTRAP, name='node-csr-test')
    obj_kw.update(kw)
    return csr_obj(csr_pem(**pem_kw), **obj_kw)


def decide(csr, approve_client_csrs=False, **rules):
    rules.setdefault('bootstrap_token_nodes', {'abcdef': 'node01'})   # client(): node01's own token
    return _csr.decide(csr, INV, approve_client_csrs, **rules)


# --- approve ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr', [
    serving(),
    serving(usages=['server auth']),
    serving(usages=['digital signature', 'key encipherment', 'server auth']),
    serving(dns=[], ips=['192.168.10.12']),
    serving(dns=['node01', 'node01.lab.internal.'], ips=[]),
    serving(username='system:node:node02', cn='system:node:node02', dns=['node02'], ips=['192.168.10.13']),
    serving(expiration=31536000),
    serving(expiration=600),
    serving(extensions=[(x509.BasicConstraints(ca=False, path_length=None), True)]),
], ids=['ecdsa-usages', 'server-auth-only', 'rsa-usages', 'ip-only', 'dns-only-trailing-dot', 'node02',
        'expiration-one-year', 'expiration-ten-minutes', 'basic-constraints-ca-false'])
def test_serving_approved(csr):
    decision, reason = decide(csr)
    assert decision == 'approve', reason
    assert reason.startswith('serving certificate for node0')


@pytest.mark.parametrize('usages', [['client auth'], ['digital signature', 'key encipherment', 'client auth'],
                                    ['digital signature', 'client auth']])
def test_client_approved_with_bootstrap_token(usages):
    decision, reason = decide(client(usages=usages), approve_client_csrs=True)
    assert decision == 'approve', reason
    assert reason == 'client certificate for node01 requested with bootstrap token abcdef'


# --- serving: deny -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr, reason', [
    # the crafted case of the issue: node01 asks for a certificate carrying node02's IP
    (serving(ips=['192.168.10.12', '192.168.10.13']), 'SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)'),
    (serving(dns=['node01', 'node02.lab.internal']), 'SAN node02.lab.internal is not a name of node01 (it belongs to node02)'),
    (serving(ips=['10.96.0.1']), 'SAN IP 10.96.0.1 is not an address of node01'),
    (serving(ips=['192.168.10.99']), 'SAN IP 192.168.10.99 is not an address of node01'),
    (serving(ips=['127.0.0.1']), 'SAN IP 127.0.0.1 is not an address of node01'),
    (serving(dns=['kubernetes']), 'SAN kubernetes is not allowed (API server name kubernetes)'),
    (serving(dns=['kubernetes.default']), 'API server name kubernetes.default'),
    (serving(dns=['kubernetes.default.svc.cluster.local']), 'API server name'),
    (serving(dns=['web.default.svc']), 'SAN web.default.svc is not allowed (service name web.default.svc)'),
    (serving(dns=['node01.cluster.local']), 'cluster-internal name node01.cluster.local'),
    (serving(dns=['*.lab.internal']), 'wildcard name'),
    (serving(dns=['evil.example.com']), 'SAN evil.example.com is not a name of node01'),
    (serving(emails=['root@node01']), 'email SANs are not allowed: root@node01'),
    (serving(uris=['spiffe://cluster.local/ns/x']), 'URI SANs are not allowed: spiffe://cluster.local/ns/x'),
    (serving(dns=[], ips=[]), 'no DNS or IP SANs'),
], ids=['node02-ip', 'node02-name', 'service-ip', 'unknown-ip', 'loopback', 'kubernetes', 'kubernetes.default',
        'kubernetes-fqdn', 'svc', 'cluster.local', 'wildcard', 'foreign-name', 'email', 'uri', 'no-sans'])
def test_serving_bad_sans_denied(csr, reason):
    decision, why = decide(csr)
    assert decision == 'deny'
    assert reason in why


@pytest.mark.parametrize('csr, reason', [
    (serving(username='mallory'), 'requester mallory is not a node (system:node:<name>)'),
    (serving(username='system:serviceaccount:kube-system:x'), 'is not a node'),
    (serving(username='system:bootstrap:abcdef', groups=['system:bootstrappers']), 'is not a node'),
    (serving(groups=['system:authenticated']), 'requester system:node:node01 is not in group system:nodes'),
    (serving(cn='system:node:node02'), 'subject CN is system:node:node02, expected system:node:node01'),
    (serving(cn='node01'), 'subject CN is node01, expected system:node:node01'),
    (serving(cn=None), 'subject CN is empty'),
    (serving(orgs=()), 'subject O is [], expected exactly [system:nodes]'),
    (serving(orgs=('system:masters',)), 'subject O is [system:masters]'),
    (serving(orgs=('system:nodes', 'system:masters')), 'subject O is [system:nodes, system:masters]'),
    (serving(usages=['digital signature', 'server auth', 'client auth']), 'usages client auth are not allowed'),
    (serving(usages=['server auth', 'code signing']), 'usages code signing are not allowed'),
    (serving(usages=['digital signature', 'key encipherment']), 'usages lack "server auth"'),
    (serving(username='system:node:node09', cn='system:node:node01'), 'requester system:node:node09 asks for a certificate for node node01'),
], ids=['not-a-node', 'serviceaccount', 'bootstrap-token', 'no-nodes-group', 'cn-other-node', 'cn-bare-name',
        'cn-missing', 'o-missing', 'o-masters', 'o-extra', 'usage-client-auth', 'usage-code-signing',
        'usage-no-server-auth', 'unknown-node-for-known-cn'])
def test_serving_bad_requester_subject_usages_denied(csr, reason):
    decision, why = decide(csr)
    assert decision == 'deny'
    assert reason in why


def test_serving_garbage_request_denied():
    csr = serving()
    csr['spec']['request'] = base64.b64encode(b'-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n').decode()
    assert decide(csr) == ('deny', decide(csr)[1])
    assert 'spec.request is not a base64 PEM certificate request' in decide(csr)[1]


def test_serving_bad_signature_denied():
    """A CSR whose signature does not verify (one signature byte flipped) is denied."""
    pem = csr_pem(dns=['node01'])
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01   # inside the trailing ECDSA signature
    bad = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    decision, why = decide(csr_obj(bad))
    assert (decision, why) == ('deny', "the request's signature does not verify")


# --- ignore --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr, reason', [
    (serving(conditions=['Approved']), 'already Approved'),
    (serving(ips=['192.168.10.13'], conditions=['Denied']), 'already Denied'),
    (serving(username='system:node:node09', cn='system:node:node09', dns=['node09'], ips=[]),
     'not for a node in nodes (requester system:node:node09, CN system:node:node09)'),
    (serving(signer='kubernetes.io/kube-apiserver-client'), 'signer kubernetes.io/kube-apiserver-client is not handled'),
    (serving(signer='kubernetes.io/legacy-unknown'), 'signer kubernetes.io/legacy-unknown is not handled'),
    (serving(signer='example.com/custom'), 'signer example.com/custom is not handled'),
    (client(signer='kubernetes.io/kube-apiserver-client'), 'is not handled'),
], ids=['approved', 'denied', 'unknown-node', 'apiserver-client-signer', 'legacy-unknown', 'custom-signer',
        'bootstrap-to-other-signer'])
def test_ignored(csr, reason):
    for approve_client in (False, True):
        decision, why = decide(csr, approve_client_csrs=approve_client)
        assert decision == 'ignore'
        assert reason in why


def test_client_csr_not_approved_without_approve_client_csrs():
    assert decide(client()) == ('ignore', 'approve_client_csrs is false')


def test_client_renewal_by_node_left_to_controller_manager():
    csr = client(username='system:node:node01', groups=['system:nodes'])
    decision, why = decide(csr, approve_client_csrs=True)
    assert decision == 'ignore' and 'is not a bootstrap token' in why


def test_client_for_unknown_node_ignored():
    decision, why = decide(client(cn='system:node:node09'), approve_client_csrs=True, bootstrap_token_nodes={})
    assert (decision, why) == ('ignore', 'CN system:node:node09 is not a node in nodes')


def test_a_nodes_token_never_serves_a_name_outside_the_inventory():
    decision, why = decide(client(cn='system:node:ghost'), approve_client_csrs=True)
    assert (decision, why) == ('deny', 'token abcdef was issued to node01, the CSR asks for system:node:ghost')


# --- client: deny --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr, reason', [
    (client(groups=['system:authenticated']), 'requester system:bootstrap:abcdef is not in group system:bootstrappers'),
    (client(cn='admin'), 'subject CN is admin, expected system:node:<name>'),
    (client(orgs=('system:masters',)), 'subject O is [system:masters], expected exactly [system:nodes]'),
    (client(orgs=('system:nodes', 'system:masters')), 'subject O is [system:nodes, system:masters]'),
    (client(usages=['client auth', 'server auth']), 'usages server auth are not allowed'),
    (client(usages=['digital signature']), 'usages lack "client auth"'),
    (client(dns=['node01']), 'a kubelet client certificate carries no SANs'),
    (client(ips=['192.168.10.12']), 'carries no SANs'),
], ids=['no-bootstrappers-group', 'cn-not-node', 'o-masters', 'o-extra', 'usage-server-auth', 'usage-no-client-auth',
        'dns-san', 'ip-san'])
def test_client_denied(csr, reason):
    decision, why = decide(csr, approve_client_csrs=True)
    assert decision == 'deny'
    assert reason in why


# --- inventory validation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('nodes, message', [
    ('node01', 'nodes must be a list'),
    ([{'addresses': ['1.2.3.4']}], r'nodes\[0\] needs a non-empty "name"'),
    ([{'name': ''}], r'nodes\[0\] needs a non-empty "name"'),
    ([{'name': 'node01'}, {'name': 'node01'}], r'nodes\[1\]: node node01 is listed twice'),
    ([{'name': 'node01', 'addresses': ['10.96.0.1']}], r'address 10.96.0.1 is inside the service CIDR 10.96.0.0/12'),
    ([{'name': 'node01', 'addresses': ['kubernetes.default.svc']}], r'address kubernetes.default.svc is not allowed'),
    ([{'name': 'node01', 'addresses': ['']}], r'addresses must be non-empty strings'),
    ([{'name': 'kubernetes'}], r'node name kubernetes is not allowed'),
])
def test_bad_inventory(nodes, message):
    with pytest.raises(_csr.InputError, match=message):
        _csr.node_inventory(nodes, _csr.parse_cidrs('10.96.0.0/12'))


def test_inventory_index_and_names_like_kubernetes_worker():
    inv = _csr.node_inventory([{'name': 'kubernetes-w1', 'addresses': ['10.0.0.5', 'w1.lab.']}], [])
    assert inv == {'kubernetes-w1': {'names': {'kubernetes-w1', 'w1.lab'}, 'ips': {ipaddress.ip_address('10.0.0.5')}}}


def test_parse_cidrs_dual_stack_and_error():
    assert [str(n) for n in _csr.parse_cidrs('10.96.0.0/12, fd00:10:96::/112')] == ['10.96.0.0/12', 'fd00:10:96::/112']
    with pytest.raises(_csr.InputError, match='service_cidr: 10.96.0.0/99 is not a CIDR'):
        _csr.parse_cidrs('10.96.0.0/99')


def test_condition_shape():
    cond = _csr.condition('Approved', 'because')
    assert cond['type'] == 'Approved' and cond['status'] == 'True' and cond['reason'] == 'KubebinCSRApprove'
    assert cond['message'] == 'because' and cond['lastUpdateTime'].endswith('Z')


# --- node names and DNS SANs are compared exactly ------------------------------------------------------------------

@pytest.mark.parametrize('csr, approve_client, reason', [
    (serving(username='system:node:NODE01', cn='system:node:NODE01', dns=['NODE01']), False,
     'requester system:node:NODE01 is not node node01: node names are compared exactly'),
    (serving(cn='system:node:NODE01'), False, 'subject CN is system:node:NODE01, expected system:node:node01'),
    (serving(dns=['NODE01']), False, 'SAN NODE01 is not a name of node01'),
    (serving(dns=['node01', 'Node01.lab.internal']), False, 'SAN Node01.lab.internal is not a name of node01'),
    (client(cn='system:node:NODE01'), True, 'token abcdef was issued to node01, the CSR asks for system:node:NODE01'),
], ids=['serving-requester-and-cn', 'serving-cn', 'serving-dns-san', 'serving-fqdn-san', 'client-cn'])
def test_node_name_in_another_case_denied(csr, approve_client, reason):
    assert decide(csr, approve_client_csrs=approve_client) == ('deny', reason)


@pytest.mark.parametrize('nodes, message', [
    ([{'name': 'NODE01'}], r'nodes\[0\]: node name NODE01 is not lowercase.*write node01'),
    ([{'name': 'node01', 'addresses': ['Node01.Lab.internal']}],
     r'nodes\[0\]: address Node01.Lab.internal is not lowercase.*write node01.lab.internal'),
])
def test_inventory_names_must_be_lowercase(nodes, message):
    with pytest.raises(_csr.InputError, match=message):
        _csr.node_inventory(nodes, [])


# --- spec.expirationSeconds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr, approve_client, rules, reason', [
    (serving(expiration=31536001), False, {}, 'spec.expirationSeconds 31536001 is above max_expiration_seconds 31536000'),
    (serving(expiration=7200), False, {'max_expiration_seconds': 3600},
     'spec.expirationSeconds 7200 is above max_expiration_seconds 3600'),
    (serving(expiration='forever'), False, {}, 'spec.expirationSeconds forever is above'),
    (client(expiration=10 * 31536000), True, {}, 'spec.expirationSeconds 315360000 is above max_expiration_seconds'),
], ids=['serving-over-a-year', 'serving-over-custom-max', 'serving-not-a-number', 'client-ten-years'])
def test_expiration_above_maximum_denied(csr, approve_client, rules, reason):
    decision, why = decide(csr, approve_client_csrs=approve_client, **rules)
    assert decision == 'deny' and reason in why, why


def test_expiration_within_custom_maximum_approved():
    assert decide(serving(expiration=3600), max_expiration_seconds=3600)[0] == 'approve'
    assert decide(client(expiration=3600), approve_client_csrs=True, max_expiration_seconds=3600)[0] == 'approve'


# --- SAN types and extensions ----------------------------------------------------------------------------------------

BAD_SANS = [
    ('registered-id', x509.RegisteredID(ObjectIdentifier('1.2.3.4')), 'registered ID SANs are not allowed: 1.2.3.4'),
    ('other-name', x509.OtherName(ObjectIdentifier('1.3.6.1.4.1.311.20.2.3'), b'\x0c\x06node01'),
     'otherName SANs are not allowed: 1.3.6.1.4.1.311.20.2.3'),
    ('directory-name', x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'admin')])),
     'directory name SANs are not allowed: CN=admin'),
]
BAD_EXTENSIONS = [
    ('ca-true', x509.BasicConstraints(ca=True, path_length=None),
     'the request asks for a CA certificate (basicConstraints CA:TRUE)'),
    ('key-usage', x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                                encipher_only=False, decipher_only=False),
     'extension KeyUsage (2.5.29.15) is not allowed'),
    ('extended-key-usage', x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]),
     'extension ExtendedKeyUsage (2.5.29.37) is not allowed'),
    ('unknown', x509.UnrecognizedExtension(ObjectIdentifier('1.2.3.4.5'), b'\x05\x00'),
     'extension UnrecognizedExtension (1.2.3.4.5) is not allowed'),
]


@pytest.mark.parametrize('general_name, reason', [b[1:] for b in BAD_SANS], ids=[b[0] for b in BAD_SANS])
def test_san_types_other_than_dns_and_ip_denied(general_name, reason):
    assert decide(serving(other_sans=[general_name])) == ('deny', reason + ' (only DNS and IP)')
    assert decide(client(other_sans=[general_name]), approve_client_csrs=True) == ('deny', reason + ' (only DNS and IP)')


@pytest.mark.parametrize('extension, reason', [b[1:] for b in BAD_EXTENSIONS], ids=[b[0] for b in BAD_EXTENSIONS])
def test_extensions_other_than_san_denied(extension, reason):
    for critical in (False, True):
        decision, why = decide(serving(extensions=[(extension, critical)]))
        assert decision == 'deny' and why.startswith(reason), why
        decision, why = decide(client(extensions=[(extension, critical)]), approve_client_csrs=True)
        assert decision == 'deny' and why.startswith(reason), why


# --- inventory: an IP or a DNS name belongs to one node -------------------------------------------------------------

@pytest.mark.parametrize('nodes, message', [
    ([{'name': 'node01', 'addresses': ['192.168.10.12']}, {'name': 'node02', 'addresses': ['192.168.10.12']}],
     r'nodes\[1\] \(node02\): address 192.168.10.12 is also an address of node node01'),
    ([{'name': 'node01', 'addresses': ['2001:db8::1']}, {'name': 'node02', 'addresses': ['2001:db8:0::1']}],
     r'nodes\[1\] \(node02\): address 2001:db8:0::1 is also an address of node node01'),
    ([{'name': 'node01'}, {'name': 'node02', 'addresses': ['node01']}],
     r'nodes\[1\] \(node02\): address node01 is the name of node node01'),
    ([{'name': 'node01', 'addresses': ['node02.']}, {'name': 'node02'}],
     r'nodes\[1\]: node name node02 is listed as an address of node node01'),
    ([{'name': 'node01', 'addresses': ['lb.lab']}, {'name': 'node02', 'addresses': ['lb.lab']}],
     r'nodes\[1\] \(node02\): address lb.lab is also an address of node node01'),
], ids=['shared-ip', 'shared-ipv6-other-spelling', 'lists-other-node-name', 'name-listed-by-other-node',
        'shared-dns-name'])
def test_inventory_address_of_two_nodes_refused(nodes, message):
    with pytest.raises(_csr.InputError, match=message):
        _csr.node_inventory(nodes, [])


# --- bootstrap group and token ids -----------------------------------------------------------------------------------

def test_client_needs_the_bootstrap_token_group():
    csr = client(groups=['system:bootstrappers', 'system:authenticated'])
    assert decide(csr, approve_client_csrs=True) == (
        'deny', 'requester system:bootstrap:abcdef is not in group %s' % TOKEN_GROUP)
    other = client(groups=['system:bootstrappers', 'system:bootstrappers:other'])
    assert decide(other, approve_client_csrs=True)[0] == 'deny'
    assert decide(other, approve_client_csrs=True, bootstrap_group='system:bootstrappers:other')[0] == 'approve'


@pytest.mark.parametrize('tokens, decision, reason', [
    ({'abcdef': 'node01'}, 'approve', 'client certificate for node01 requested with bootstrap token abcdef'),
    ({'abcdef': 'node02'}, 'deny', 'token abcdef was issued to node02, the CSR asks for system:node:node01'),
    ({'123456': 'node01'}, 'deny',
     'token abcdef was issued to no node in bootstrap_token_nodes, the CSR asks for system:node:node01'),
    ({}, 'deny', 'token abcdef was issued to no node in bootstrap_token_nodes, the CSR asks for system:node:node01'),
], ids=['own-token', 'token-of-other-node', 'unknown-token', 'no-map'])
def test_bootstrap_token_nodes(tokens, decision, reason):
    assert decide(client(), approve_client_csrs=True, bootstrap_token_nodes=tokens) == (decision, reason)


@pytest.mark.parametrize('rules, message', [
    ({'max_expiration_seconds': 0}, 'max_expiration_seconds must be a positive number of seconds'),
    ({'max_expiration_seconds': -1}, 'max_expiration_seconds must be a positive number of seconds'),
    ({'bootstrap_group': 'system:bootstrappers'}, 'bootstrap_group must be the bootstrap token'),
    ({'bootstrap_group': 'kubebin'}, r'system:bootstrappers:<lowercase name> \(got .kubebin.\)'),
    ({'bootstrap_token_nodes': {'ABCDEF': 'node01'}}, "bootstrap_token_nodes: 'ABCDEF' is not a bootstrap token id"),
    ({'bootstrap_token_nodes': {'abcdef.0123456789abcdef': 'node01'}}, 'is not a bootstrap token id'),
    ({'bootstrap_token_nodes': {'abcdef': 'node09'}},
     "bootstrap_token_nodes: token abcdef maps to 'node09', which is not a node name in nodes"),
    ({'bootstrap_token_nodes': ['abcdef']}, 'bootstrap_token_nodes must map token ids to node names'),
])
def test_bad_rules(rules, message):
    with pytest.raises(_csr.InputError, match=message):
        _csr.check_rules(INV, **rules)


def test_check_rules_defaults():
    assert _csr.check_rules(INV) == {'max_expiration_seconds': 31536000, 'bootstrap_group': TOKEN_GROUP,
                                     'bootstrap_token_nodes': {}}
