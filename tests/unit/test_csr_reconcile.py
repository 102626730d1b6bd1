"""The approve/deny/wait loop of plugins/module_utils/_csr.py (reconcile) and the approval request it builds.

TEST DOUBLES: every test here runs against an in-memory stand-in for the CSR API (FakeCSRApi, RecordingClient)
and a fake clock. They check our loop and the request bodies we build; they are NOT evidence that the Kubernetes API
accepts them. That evidence is the `cluster` Molecule scenario, against a real kube-apiserver.
"""

from __future__ import annotations

import copy

import pytest

from conftest import FakeClock
from test_csr_decide import INV, client, serving

from ansible_collections.kubebin.cluster.plugins.module_utils import _csr, _kube


class FakeCSRApi:
    """Test double: serves ``batches[i]`` on the i-th listing (the last one forever) and records set_condition."""

    def __init__(self, *batches):
        self.batches = [list(b) for b in batches]
        self.calls = 0
        self.conditions = []   # (name, condition)
        self.decided = {}      # name -> condition type, applied to later listings like the API would

    def list_csrs(self):
        batch = self.batches[min(self.calls, len(self.batches) - 1)]
        self.calls += 1
        out = []
        for csr in batch:
            csr = copy.deepcopy(csr)
            if csr['metadata']['name'] in self.decided:
                csr['status'] = {'conditions': [{'type': self.decided[csr['metadata']['name']], 'status': 'True'}]}
            out.append(csr)
        return out

    def set_condition(self, csr, cond):
        self.conditions.append((csr['metadata']['name'], cond))
        self.decided[csr['metadata']['name']] = cond['type']


def named(csr, name):
    csr['metadata']['name'] = name
    return csr


def run(api, clock=None, **kw):
    clock = clock or FakeClock()
    return _csr.reconcile(api, INV, sleep=clock.sleep, clock=clock, **kw)


def test_single_pass_approves_denies_ignores():
    api = FakeCSRApi([
        named(serving(), 'good'),
        named(serving(ips=['192.168.10.13']), 'crafted'),
        named(client(), 'node-csr-a'),
        named(serving(signer='example.com/x'), 'other'),
    ])
    out = run(api)
    assert [i['name'] for i in out['approved']] == ['good']
    assert [i['name'] for i in out['denied']] == ['crafted']
    assert [i['name'] for i in out['ignored']] == ['node-csr-a', 'other']
    assert out['denied'][0] == {'name': 'crafted', 'signer': 'kubernetes.io/kubelet-serving',
                                'requester': 'system:node:node01',
                                'reason': 'SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)'}
    assert [(n, c['type']) for n, c in api.conditions] == [('good', 'Approved'), ('crafted', 'Denied')]
    assert api.conditions[1][1]['message'] == out['denied'][0]['reason']
    assert api.calls == 1 and out['missing'] == [] and not out['timed_out']


def test_check_mode_changes_nothing_and_does_not_wait():
    api = FakeCSRApi([named(serving(), 'good'), named(serving(ips=['192.168.10.13']), 'crafted')])
    out = run(api, check_mode=True, wait_for=['node01', 'node02'])
    assert api.conditions == [] and api.calls == 1
    assert [i['name'] for i in out['approved']] == ['good'] and [i['name'] for i in out['denied']] == ['crafted']
    assert out['missing'] == ['node02']


def test_deny_false_leaves_bad_csr_pending():
    api = FakeCSRApi([named(serving(ips=['192.168.10.13']), 'crafted')])
    out = run(api, deny=False)
    assert api.conditions == [] and out['denied'] == []
    assert out['ignored'][0]['reason'].startswith('would deny, but deny is false: SAN IP 192.168.10.13')


def test_second_run_is_idempotent():
    api = FakeCSRApi([named(serving(), 'good')])
    assert len(run(api)['approved']) == 1
    out = run(api, wait_for=['node01'])   # the same CSR, now Approved: nothing to do, node01 satisfied
    assert out['approved'] == [] and out['denied'] == [] and out['missing'] == []
    assert out['ignored'][0]['reason'] == 'already Approved'
    assert len(api.conditions) == 1


def test_wait_bootstrap_then_serving():
    """TLS bootstrap order: the client CSR must be approved before the kubelet sends its serving CSR."""
    boot = named(client(), 'node-csr-1')
    serv = named(serving(), 'csr-serving-1')
    api = FakeCSRApi([], [boot], [boot], [boot, serv])
    clock = FakeClock()
    out = run(api, clock=clock, approve_client_csrs=True, wait_for=['node01'], timeout=60, poll_interval=5,
              rules={'bootstrap_token_nodes': {'abcdef': 'node01'}})
    assert [n for n, _c in api.conditions] == ['node-csr-1', 'csr-serving-1']
    assert sorted(i['name'] for i in out['approved']) == ['csr-serving-1', 'node-csr-1']
    assert out['missing'] == [] and not out['timed_out'] and api.calls == 4 and clock.now == 15


def test_wait_times_out_naming_silent_nodes():
    api = FakeCSRApi([named(serving(), 'n1')])
    clock = FakeClock()
    out = run(api, clock=clock, wait_for=['node01', 'node02'], timeout=12, poll_interval=5)
    assert out['timed_out'] and out['missing'] == ['node02'] and out['silent'] == ['node02']
    assert clock.now == 12 and api.calls == 4   # t=0, 5, 10, 12


def test_wait_stops_early_when_a_waited_node_is_rejected():
    api = FakeCSRApi([named(serving(ips=['192.168.10.13']), 'crafted')])
    clock = FakeClock()
    out = run(api, clock=clock, wait_for=['node01'], timeout=300)
    assert api.calls == 1 and not out['timed_out'] and clock.now == 0
    assert out['missing'] == ['node01'] and out['silent'] == []
    assert out['rejected'] == {'node01': 'SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)'}


def test_wait_for_unknown_node_is_input_error():
    with pytest.raises(_csr.InputError, match='wait_for names node09, not in nodes'):
        run(FakeCSRApi([]), wait_for=['node09'])


class RecordingClient:
    """Test double for _kube.KubeClient: records put() and answers get() with a CSR list."""

    def __init__(self, items):
        self.items = items
        self.puts = []

    def get(self, path):
        assert path == '/apis/certificates.k8s.io/v1/certificatesigningrequests'
        return {'kind': 'CertificateSigningRequestList', 'apiVersion': 'certificates.k8s.io/v1', 'items': self.items}

    def put(self, path, body):
        self.puts.append((path, body))
        return body


def test_approval_request_body():
    """The PUT goes to .../<name>/approval with the whole object, resourceVersion kept, one condition appended."""
    csr = named(serving(), 'csr-abc')
    rec = RecordingClient([csr])
    api = _csr.KubeCSRApi(rec)
    assert api.list_csrs() == [csr]
    api.set_condition(csr, _csr.condition('Approved', 'ok'))
    (path, body), = rec.puts
    assert path == '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-abc/approval'
    assert body['metadata'] == csr['metadata'] and body['spec'] == csr['spec']
    (cond,) = body['status']['conditions']
    assert {k: cond[k] for k in ('type', 'status', 'reason', 'message')} == {
        'type': 'Approved', 'status': 'True', 'reason': 'KubebinCSRApprove', 'message': 'ok'}
    assert csr['status'] == {}   # the listed object itself is not modified


def test_api_errors_propagate_as_kube_error():
    class Failing:
        def get(self, path):
            raise _kube.KubeError('GET https://x/apis/...: HTTP 403 forbidden', status=403)
    with pytest.raises(_kube.KubeError, match='HTTP 403'):
        run(_csr.KubeCSRApi(Failing()))


def test_conflict_on_approval_is_retried_at_next_poll():
    """HTTP 409 (the CSR changed between listing and PUT) is not fatal: the CSR is looked at again."""
    class ConflictOnce(FakeCSRApi):
        def set_condition(self, csr, cond):
            if not self.conditions and not getattr(self, 'failed', False):
                self.failed = True
                raise _kube.KubeError('PUT ...: HTTP 409 the object has been modified', status=409)
            super().set_condition(csr, cond)

    api = ConflictOnce([named(serving(), 'good')])
    single = run(api)
    assert single['approved'] == [] and 'HTTP 409' in single['ignored'][0]['reason']
    api = ConflictOnce([named(serving(), 'good')])
    out = run(api, wait_for=['node01'], timeout=30)
    assert [i['name'] for i in out['approved']] == ['good'] and out['missing'] == [] and api.calls == 2


def test_other_api_errors_on_approval_are_fatal():
    class Forbidden(FakeCSRApi):
        def set_condition(self, csr, cond):
            raise _kube.KubeError('PUT ...: HTTP 403 forbidden', status=403)
    with pytest.raises(_kube.KubeError, match='HTTP 403'):
        run(Forbidden([named(serving(), 'good')]))
