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
from cryptography.x509.oid import NameOID

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


def csr_pem(cn='system:node:node01', orgs=('system:nodes',), dns=(), ips=(), emails=(), uris=()):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    sans = ([x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
            + [x509.RFC822Name(e) for e in emails] + [x509.UniformResourceIdentifier(u) for u in uris])
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def csr_obj(pem, signer=SERVING, username='system:node:node01', groups=('system:nodes', 'system:authenticated'),
            usages=('digital signature', 'server auth'), name='csr-test', conditions=None):
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
    if conditions:
        obj['status'] = {'conditions': [{'type': c, 'status': 'True', 'reason': 'AutoApproved', 'message': 'x',
                                         'lastUpdateTime': '2025-01-01T00:00:00Z',
                                         'lastTransitionTime': '2025-01-01T00:00:00Z'} for c in conditions]}
    return obj


def serving(**kw):
    """A kubelet-serving CSR of node01 as a kubelet sends it; keyword arguments change the CSR or the object."""
    pem_kw = {k: kw.pop(k) for k in ('cn', 'orgs', 'dns', 'ips', 'emails', 'uris') if k in kw}
    pem_kw.setdefault('dns', ['node01'])
    pem_kw.setdefault('ips', ['192.168.10.12'])
    return csr_obj(csr_pem(**pem_kw), **kw)


BOOTSTRAP = dict(signer=CLIENT, username='system:bootstrap:abcdef',
                 groups=('system:bootstrappers', 'system:bootstrappers:kubebin', 'system:authenticated'),
                 usages=('digital signature', 'client auth'))


def client(**kw):
    """A kubelet client CSR for node01 made with bootstrap token abcdef (TLS bootstrapping)."""
    pem_kw = {k: kw.pop(k) for k in ('cn', 'orgs', 'dns', 'ips', 'emails', 'uris') if k in kw}
    obj_kw = dict(BOOTSTRAP, name='node-csr-test')
    obj_kw.update(kw)
    return csr_obj(csr_pem(**pem_kw), **obj_kw)


def decide(csr, approve_client_csrs=False):
    return _csr.decide(csr, INV, approve_client_csrs)


# --- approve ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('csr', [
    serving(),
    serving(usages=['server auth']),
    serving(usages=['digital signature', 'key encipherment', 'server auth']),
    serving(dns=[], ips=['192.168.10.12']),
    serving(dns=['node01', 'NODE01.lab.internal'], ips=[]),
    serving(username='system:node:node02', cn='system:node:node02', dns=['node02'], ips=['192.168.10.13']),
], ids=['ecdsa-usages', 'server-auth-only', 'rsa-usages', 'ip-only', 'dns-only-any-case', 'node02'])
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
    decision, why = decide(client(cn='system:node:node09'), approve_client_csrs=True)
    assert (decision, why) == ('ignore', 'CN system:node:node09 is not a node in nodes')


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
    ([{'name': 'node01'}, {'name': 'NODE01'}], r'nodes\[1\]: node node01 is listed twice'),
    ([{'name': 'node01', 'addresses': ['10.96.0.1']}], r'address 10.96.0.1 is inside the service CIDR 10.96.0.0/12'),
    ([{'name': 'node01', 'addresses': ['kubernetes.default.svc']}], r'address kubernetes.default.svc is not allowed'),
    ([{'name': 'node01', 'addresses': ['']}], r'addresses must be non-empty strings'),
    ([{'name': 'kubernetes'}], r'node name kubernetes is not allowed'),
])
def test_bad_inventory(nodes, message):
    with pytest.raises(_csr.InputError, match=message):
        _csr.node_inventory(nodes, _csr.parse_cidrs('10.96.0.0/12'))


def test_inventory_index_and_names_like_kubernetes_worker():
    inv = _csr.node_inventory([{'name': 'kubernetes-w1', 'addresses': ['10.0.0.5', 'W1.Lab.']}], [])
    assert inv == {'kubernetes-w1': {'names': {'kubernetes-w1', 'w1.lab'}, 'ips': {ipaddress.ip_address('10.0.0.5')}}}


def test_parse_cidrs_dual_stack_and_error():
    assert [str(n) for n in _csr.parse_cidrs('10.96.0.0/12, fd00:10:96::/112')] == ['10.96.0.0/12', 'fd00:10:96::/112']
    with pytest.raises(_csr.InputError, match='service_cidr: 10.96.0.0/99 is not a CIDR'):
        _csr.parse_cidrs('10.96.0.0/99')


def test_condition_shape():
    cond = _csr.condition('Approved', 'because')
    assert cond['type'] == 'Approved' and cond['status'] == 'True' and cond['reason'] == 'KubebinCSRApprove'
    assert cond['message'] == 'because' and cond['lastUpdateTime'].endswith('Z')
