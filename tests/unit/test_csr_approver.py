"""The loop of the kubebin-csr-approver service (plugins/module_utils/_csr_approver.py).

TEST DOUBLES: the CSR API is FakeCSRApi of test_csr_reconcile.py (in memory) and the stop event a counter. They check
our loop, its logging and its error handling; whether the API accepts the requests is the cluster scenario's job
(molecule/cluster/tests/test_cluster.py, test_serving_csr_renewal_approved_by_the_service).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from test_csr_decide import INV, NODES, client, serving
from test_csr_reconcile import FakeCSRApi, named

from ansible_collections.kubebin.cluster.plugins.module_utils import _csr_approver, _kube


class Stop:
    """Test double for threading.Event: set after ``passes`` waits; records the intervals waited."""

    def __init__(self, passes):
        self.passes = passes
        self.waits = []

    def is_set(self):
        return len(self.waits) >= self.passes

    def wait(self, seconds):
        self.waits.append(seconds)


def batch():
    return [named(serving(), 'good'), named(serving(ips=['192.168.10.13']), 'forged'),
            named(client(), 'node-csr-a'), named(client(username='system:node:node01', groups=['system:nodes']), 'renew')]


def test_one_pass_approves_a_known_node_denies_a_forged_csr_and_leaves_client_csrs(caplog):
    api = FakeCSRApi(batch())
    with caplog.at_level(logging.INFO, logger='kubebin-csr-approver'):
        out = _csr_approver.run_pass(api, INV)
    assert [(n, c['type']) for n, c in api.conditions] == [('good', 'Approved'), ('forged', 'Denied')]
    assert api.conditions[1][1]['message'] == 'SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)'
    assert [i['name'] for i in out['ignored']] == ['node-csr-a', 'renew']
    lines = caplog.messages
    assert lines[0].startswith('approved good (system:node:node01, kubernetes.io/kubelet-serving): serving')
    assert lines[1] == ('denied forged (system:node:node01, kubernetes.io/kubelet-serving): SAN IP 192.168.10.13 is '
                        'not an address of node01 (it belongs to node02)')
    assert lines[2].startswith('left alone node-csr-a (system:bootstrap:abcdef, kubernetes.io/kube-apiserver-client-')
    assert len(lines) == 4


def test_passes_repeat_until_stopped_and_log_each_csr_once(caplog):
    api = FakeCSRApi([named(client(), 'node-csr-a')], [named(client(), 'node-csr-a'), named(serving(), 'new')])
    stop = Stop(3)
    with caplog.at_level(logging.INFO, logger='kubebin-csr-approver'):
        assert _csr_approver.serve(api, INV, 5, stop) == 3
    assert api.calls == 3 and stop.waits == [5, 5, 5]
    assert [(n, c['type']) for n, c in api.conditions] == [('new', 'Approved')]
    # the client CSR once; the serving CSR approved once, then (already Approved) left alone once
    assert [m.split(' (')[0] for m in caplog.messages] == ['left alone node-csr-a', 'approved new', 'left alone new']


def test_a_csr_already_decided_is_skipped():
    api = FakeCSRApi([named(serving(conditions=['Approved']), 'done'),
                      named(serving(ips=['192.168.10.13'], conditions=['Denied']), 'refused')])
    out = _csr_approver.run_pass(api, INV)
    assert api.conditions == [] and out['approved'] == [] and out['denied'] == []
    assert [i['reason'] for i in out['ignored']] == ['already Approved', 'already Denied']


class FlakyApi(FakeCSRApi):
    """Fails the listing of the given passes (1-based) with the given exceptions."""

    def __init__(self, failures, *batches):
        super().__init__(*batches)
        self.failures = failures
        self.listings = 0

    def list_csrs(self):
        self.listings += 1
        if self.listings in self.failures:
            raise self.failures[self.listings]
        return super().list_csrs()


def test_api_errors_are_logged_and_the_next_pass_goes_on(caplog):
    api = FlakyApi({1: _kube.KubeError('GET https://x/apis/...: cannot reach the API server: refused'),
                    2: _kube.KubeError('GET https://x/apis/...: HTTP 403 forbidden', status=403),
                    3: ValueError('an unexpected answer')},
                   [named(serving(), 'good')])
    with caplog.at_level(logging.INFO, logger='kubebin-csr-approver'):
        assert _csr_approver.serve(api, INV, 2, Stop(4)) == 4
    assert [(n, c['type']) for n, c in api.conditions] == [('good', 'Approved')]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ['pass failed, next try in 2s: GET https://x/apis/...: cannot reach the API server: refused',
                      'pass failed, next try in 2s: GET https://x/apis/...: HTTP 403 forbidden',
                      'pass failed, next try in 2s: an unexpected answer']


class ConflictApi(FakeCSRApi):
    """Another approver got there first: the PUT answers 409 Conflict, the next listing shows the CSR approved."""

    def set_condition(self, csr, cond):
        self.decided[csr['metadata']['name']] = 'Approved'
        raise _kube.KubeError('PUT ...: HTTP 409 the object has been modified', status=409)


def test_a_conflict_is_not_an_error(caplog):
    api = ConflictApi([named(serving(), 'raced')])
    with caplog.at_level(logging.INFO, logger='kubebin-csr-approver'):
        _csr_approver.serve(api, INV, 5, Stop(2))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert caplog.messages == [
        'left alone raced (system:node:node01, kubernetes.io/kubelet-serving): changed while being decided (HTTP 409); '
        'not touched',
        'left alone raced (system:node:node01, kubernetes.io/kubelet-serving): already Approved']


def test_logged_reasons_are_forgotten_with_their_csrs():
    logged = {'gone': 'approve_client_csrs is false'}
    _csr_approver.run_pass(FakeCSRApi([named(client(), 'node-csr-a')]), INV, logged=logged)
    assert logged == {'node-csr-a': 'approve_client_csrs is false'}


def test_nodes_file_is_the_csr_approve_option(tmp_path):
    path = tmp_path / 'nodes.json'
    path.write_text(json.dumps(NODES))
    assert _csr_approver.load_nodes(str(path), '10.96.0.0/12') == INV
    path.write_text(json.dumps([{'name': 'node01', 'addresses': ['10.96.0.10']}]))
    with pytest.raises(ValueError, match='inside the service CIDR'):
        _csr_approver.load_nodes(str(path), '10.96.0.0/12')


@pytest.mark.parametrize('argv,message', [
    ([], 'the following arguments are required: --kubeconfig, --nodes'),
    (['--kubeconfig', 'k', '--nodes', 'n', '--interval', '0'], '--interval and --timeout must be positive'),
])
def test_bad_arguments(capsys, argv, message):
    with pytest.raises(SystemExit):
        _csr_approver.parse_args(argv)
    assert message in capsys.readouterr().err


def test_main_refuses_to_start_on_a_bad_nodes_file(tmp_path, caplog):
    (tmp_path / 'nodes.json').write_text('[{"name": "Node01"}]')
    with caplog.at_level(logging.INFO, logger='kubebin-csr-approver'):
        assert _csr_approver.main(['--kubeconfig', str(tmp_path / 'none'), '--nodes', str(tmp_path / 'nodes.json')]) == 2
    assert caplog.messages[-1].startswith('cannot start: nodes[0]: node name Node01 is not lowercase')


def test_the_installed_files_run_without_ansible(tmp_path):
    """What the role installs (the three files and the package __init__.py files) runs with only the standard
    library, cryptography and PyYAML on the path: nothing imports ansible."""
    src = os.path.join(os.path.dirname(_csr_approver.__file__))
    pkg = tmp_path / 'ansible_collections' / 'kubebin' / 'cluster' / 'plugins' / 'module_utils'
    pkg.mkdir(parents=True)
    for directory in [pkg] + list(pkg.parents)[:4]:
        (directory / '__init__.py').write_text('')
    for name in ('_csr.py', '_kube.py', '_csr_approver.py'):
        with open(os.path.join(src, name), encoding='utf-8') as f:
            (pkg / name).write_text(f.read())
    (tmp_path / 'nodes.json').write_text(json.dumps(NODES))
    code = ('import sys, builtins\n'
            'real = builtins.__import__\n'
            'def guard(name, *a, **kw):\n'
            '    if name == "ansible" or name.startswith("ansible."):\n'
            '        raise ImportError("ansible imported: " + name)\n'
            '    return real(name, *a, **kw)\n'
            'builtins.__import__ = guard\n'
            'import runpy\n'
            'sys.argv = ["x", "--kubeconfig", sys.argv[1], "--nodes", sys.argv[2]]\n'
            'runpy.run_module("ansible_collections.kubebin.cluster.plugins.module_utils._csr_approver", '
            'run_name="__main__")\n')
    proc = subprocess.run([sys.executable, '-c', code, str(tmp_path / 'missing.kubeconfig'),
                           str(tmp_path / 'nodes.json')], env={'PYTHONPATH': str(tmp_path), 'PATH': os.environ['PATH']},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.startswith('cannot start: cannot read kubeconfig %s' % (tmp_path / 'missing.kubeconfig'))
