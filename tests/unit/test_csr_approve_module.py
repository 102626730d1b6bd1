"""main() of plugins/modules/csr_approve.py: input errors, and check mode with the API's fetch injected.

The input-error tests are real: main() reads real files and fails before any network use.
TEST DOUBLE: the check-mode tests load a real kubeconfig (real certificates, real ssl context) but replace
KubeClient.request with a function that answers the CSR listing; they show what main() returns and that it makes
no write request, NOT that the Kubernetes API works (the `cluster` Molecule scenario shows that).
"""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from test_csr_decide import NODES, client, serving
from test_kube_client import kubeconfig_doc, make_cert, write_kubeconfig

from ansible_collections.kubebin.cluster.plugins.module_utils import _kube
from ansible_collections.kubebin.cluster.plugins.modules import csr_approve


def named_csr(csr, name):
    csr['metadata']['name'] = name
    return csr


@pytest.fixture(scope='module')
def pki():
    ca = make_cert('kubernetes-ca', is_ca=True)
    return {'ca': ca, 'admin': make_cert('kubernetes-admin', issuer=ca)}


def run_main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            csr_approve.main()
    out = json.loads(capsys.readouterr().out)
    out['_rc'] = exc.value.code
    return out


def test_missing_kubeconfig_fails_cleanly(capsys, tmp_path):
    out = run_main(capsys, {'kubeconfig': str(tmp_path / 'admin.kubeconfig'), 'nodes': NODES})
    assert out['failed'] and out['_rc'] == 1
    assert out['msg'] == 'cannot read kubeconfig %s: No such file or directory' % (tmp_path / 'admin.kubeconfig')
    assert 'exception' not in out


def test_kubeconfig_without_current_context_fails_cleanly(capsys, tmp_path):
    path = tmp_path / 'kc'
    path.write_text(json.dumps(kubeconfig_doc(current=None)))
    out = run_main(capsys, {'kubeconfig': str(path), 'nodes': NODES})
    assert out['failed'] and 'has no current-context' in out['msg'] and 'use-context' in out['msg']


@pytest.mark.parametrize('args, message', [
    ({'nodes': [{'name': 'node01', 'addresses': ['10.96.0.10']}]}, 'inside the service CIDR'),
    ({'nodes': [{'addresses': ['192.168.10.12']}]}, 'missing required arguments: name found in nodes'),
    ({'nodes': NODES, 'wait_for': ['node03']}, 'wait_for names node03, not in nodes'),
    ({'nodes': NODES, 'service_cidr': 'ten-ninety-six'}, 'service_cidr: ten-ninety-six is not a CIDR'),
    ({'nodes': NODES, 'poll_interval': 0}, 'poll_interval >= 1'),
    ({'nodes': [{'name': 'Node01'}]}, 'nodes[0]: node name Node01 is not lowercase'),
    ({'nodes': [{'name': 'node01', 'addresses': ['192.168.10.12']}, {'name': 'node02', 'addresses': ['192.168.10.12']}]},
     'address 192.168.10.12 is also an address of node node01'),
    ({'nodes': NODES, 'max_expiration_seconds': 0}, 'max_expiration_seconds must be a positive number of seconds'),
    ({'nodes': NODES, 'bootstrap_group': 'system:bootstrappers'}, 'bootstrap_group must be'),
    ({'nodes': NODES, 'bootstrap_token_nodes': {'abc': 'node01'}}, "bootstrap_token_nodes: 'abc' is not a bootstrap token id"),
    ({'nodes': NODES, 'bootstrap_token_nodes': {'abcdef': 'node03'}}, "token abcdef maps to 'node03'"),
])
def test_bad_input_fails_cleanly(capsys, tmp_path, pki, args, message):
    args = dict(args, kubeconfig=write_kubeconfig(tmp_path / 'kc', pki))
    out = run_main(capsys, args)
    assert out['failed'] and message in out['msg'], out['msg']


@pytest.fixture
def injected_api(monkeypatch):
    """TEST DOUBLE: KubeClient.request answers GET of the CSR list from ``items``; any other request fails the test."""
    state = {'items': [], 'requests': []}

    def request(self, method, path, body=None, content_type='application/json'):
        state['requests'].append((method, path))
        assert self.config.server == 'https://127.0.0.1:6443' and self.config.cert_pem  # the real kubeconfig was read
        if (method, path) != ('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests'):
            raise AssertionError('unexpected request %s %s' % (method, path))
        return {'kind': 'CertificateSigningRequestList', 'items': state['items']}

    monkeypatch.setattr(_kube.KubeClient, 'request', request)
    return state


def test_check_mode_reports_decisions_without_writes(capsys, tmp_path, pki, injected_api):
    injected_api['items'] = [
        named_csr(serving(), 'csr-good'),
        named_csr(serving(ips=['192.168.10.12', '192.168.10.13']), 'csr-crafted'),
        named_csr(client(), 'node-csr-boot'),
    ]
    out = run_main(capsys, {'kubeconfig': write_kubeconfig(tmp_path / 'kc', pki), 'nodes': NODES,
                            'approve_client_csrs': True, 'wait_for': ['node01', 'node02'],
                            'bootstrap_token_nodes': {'abcdef': 'node01'},
                            '_ansible_check_mode': True, '_ansible_diff': True})
    assert out['_rc'] == 0 and out['changed'] is True
    assert [i['name'] for i in out['approved']] == ['csr-good', 'node-csr-boot']
    assert out['denied'] == [{'name': 'csr-crafted', 'signer': 'kubernetes.io/kubelet-serving',
                              'requester': 'system:node:node01',
                              'reason': 'SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)'}]
    assert out['ignored'] == [] and out['missing'] == ['node02']
    assert out['diff'] == {'before': {'csr-good': 'Pending', 'node-csr-boot': 'Pending', 'csr-crafted': 'Pending'},
                           'after': {'csr-good': 'Approved', 'node-csr-boot': 'Approved', 'csr-crafted': 'Denied'}}
    assert injected_api['requests'] == [('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests')]


def test_check_mode_applies_the_token_map(capsys, tmp_path, pki, injected_api):
    injected_api['items'] = [named_csr(client(), 'node-csr-boot')]
    out = run_main(capsys, {'kubeconfig': write_kubeconfig(tmp_path / 'kc', pki), 'nodes': NODES,
                            'approve_client_csrs': True, 'bootstrap_token_nodes': {'abcdef': 'node02'},
                            '_ansible_check_mode': True})
    assert out['_rc'] == 0 and out['approved'] == []
    assert [i['reason'] for i in out['denied']] == [
        'token abcdef was issued to node02, the CSR asks for system:node:node01']


def test_check_mode_nothing_to_do_is_unchanged(capsys, tmp_path, pki, injected_api):
    injected_api['items'] = [named_csr(serving(conditions=['Approved']), 'csr-old'), named_csr(client(), 'node-csr-x')]
    out = run_main(capsys, {'kubeconfig': write_kubeconfig(tmp_path / 'kc', pki), 'nodes': NODES,
                            'wait_for': ['node01'], '_ansible_check_mode': True})
    assert out['_rc'] == 0 and out['changed'] is False and out['missing'] == []
    assert [(i['name'], i['reason']) for i in out['ignored']] == [
        ('csr-old', 'already Approved'), ('node-csr-x', 'approve_client_csrs is false')]
