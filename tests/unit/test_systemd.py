# -*- coding: utf-8 -*-
"""plugins/module_utils/_systemd.py: parsing `systemctl show` and planning the actions (pure functions).

The text below is what systemd 252 (Debian 12) prints for `systemctl show --property=<PROPERTIES> -- a b`.
Running systemctl itself is proven on real units by the Molecule scenarios (every role starts its services
through kubebin.cluster.systemd_units, and idempotence fails on a needless action).
"""

from __future__ import annotations

import pytest
from conftest import FakeClock

from ansible_collections.kubebin.cluster.plugins.module_utils import _systemd
from ansible_collections.kubebin.cluster.plugins.modules import systemd_units

SHOW = """Id=kubelet.service
NeedDaemonReload=no
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
ExecMainStartTimestampMonotonic=5123400000

Id=ufw.service
NeedDaemonReload=no
LoadState=not-found
ActiveState=inactive
SubState=dead
UnitFileState=

Id=kube-proxy.service
NeedDaemonReload=yes
LoadState=loaded
ActiveState=inactive
SubState=dead
UnitFileState=disabled
"""


def unit(active='active', file_state='enabled', load='loaded', reload=False, started=100.0, changed=None):
    return {'load_state': load, 'active_state': active, 'sub_state': '', 'unit_file_state': file_state,
            'need_daemon_reload': reload, 'started_monotonic': started, 'changed_inputs': changed or []}


def test_parse_show_in_order():
    states = _systemd.parse_show(SHOW, ['kubelet', 'ufw', 'kube-proxy'])
    assert list(states) == ['kubelet', 'ufw', 'kube-proxy']
    assert states['kubelet'] == {'load_state': 'loaded', 'active_state': 'active', 'sub_state': 'running',
                                 'unit_file_state': 'enabled', 'need_daemon_reload': False, 'in_place': True,
                                 'started_monotonic': 5123.4}
    assert states['ufw']['load_state'] == 'not-found'
    assert states['ufw']['started_monotonic'] == 0
    assert states['kube-proxy']['need_daemon_reload'] is True
    assert [s['in_place'] for s in states.values()] == [True, False, False]


@pytest.mark.parametrize('active,file_state,expected', [
    ('active', 'enabled', True), ('active', 'static', True), ('active', 'disabled', False),
    ('activating', 'enabled', False), ('inactive', 'enabled', False)])
def test_in_place_is_running_and_starting_at_boot(active, file_state, expected):
    assert _systemd.in_place(unit(active, file_state)) is expected


def test_parse_show_refuses_a_block_count_that_does_not_match():
    with pytest.raises(_systemd.SystemdError, match='2 blocks for 3 units'):
        _systemd.parse_show(SHOW.split('\n\nId=kube-proxy', maxsplit=1)[0], ['kubelet', 'ufw', 'kube-proxy'])


@pytest.mark.parametrize('states, missing, expected', [
    ({'a': unit()}, 'fail', False),
    ({'a': unit(reload=True)}, 'fail', True),
    ({'a': unit(load='not-found')}, 'fail', True),
    # a firewall that is not installed must not cost a daemon-reload on every run
    ({'a': unit(load='not-found')}, 'ignore', False),
    ({'a': unit(load='not-found'), 'b': unit(reload=True)}, 'ignore', True),
])
def test_needs_reload(states, missing, expected):
    assert _systemd.needs_reload(states, missing) is expected


def test_plan_nothing_to_do_when_in_place():
    states = {'kubelet': unit(), 'cri-docker.socket': unit(file_state='static')}
    assert _systemd.plan(states, 'started', True) == []


def test_plan_enables_then_starts_only_what_needs_it():
    states = {'kubelet': unit(), 'kube-proxy': unit(active='inactive', file_state='disabled'),
              'flanneld': unit(active='failed')}
    assert _systemd.plan(states, 'started', True) == [('enable', ['kube-proxy']), ('start', ['kube-proxy', 'flanneld'])]


def test_plan_activating_counts_as_started():
    assert _systemd.plan({'etcd': unit(active='activating')}, 'started', None) == []


def test_plan_stop_and_disable():
    states = {'firewalld': unit(), 'ufw': unit(active='inactive', file_state='disabled')}
    assert _systemd.plan(states, 'stopped', False) == [('disable', ['firewalld']), ('stop', ['firewalld'])]


def test_plan_restart_every_unit():
    states = {'a': unit(), 'b': unit(active='inactive')}
    assert _systemd.plan(states, 'restarted', None) == [('restart', ['a', 'b'])]


def test_plan_started_restarts_running_units_whose_inputs_changed():
    states = {'kubelet': unit(changed=['/usr/local/bin/kubelet']), 'kube-proxy': unit(),
              'flanneld': unit(active='inactive', changed=['/etc/flannel/net-conf.json'])}
    assert _systemd.plan(states, 'started', True) == [('start', ['flanneld']), ('restart', ['kubelet'])]


def test_changed_inputs_are_the_paths_newer_than_the_main_process():
    # wall clock 1000.0 at monotonic 500.0: kubelet started at monotonic 400.0, that is at wall clock 900.0
    ctimes = {'/bin/kubelet': 950.0, '/etc/kubelet.conf': 899.0, '/etc/ca.crt': 900.0}
    states = {'kubelet': unit(started=400.0), 'kube-proxy': unit(active='inactive', started=0),
              'flanneld': unit(started=0)}
    inputs = {'kubelet': ['/bin/kubelet', '/etc/kubelet.conf', '/etc/ca.crt', '/missing'],
              'kube-proxy': ['/bin/kubelet'], 'flanneld': ['/bin/kubelet']}
    _systemd.mark_changed_inputs(states, inputs, 1000.0, 500.0, ctimes.get)
    assert states['kubelet']['changed_inputs'] == ['/bin/kubelet']
    # not running, or running without a recorded start: nothing to restart (state=started starts what is stopped)
    assert states['kube-proxy']['changed_inputs'] == [] and states['flanneld']['changed_inputs'] == []


def test_path_ctime(tmp_path):
    f = tmp_path / 'a'
    f.write_text('x')
    assert _systemd.path_ctime(str(f)) == f.stat().st_ctime
    assert _systemd.path_ctime(str(tmp_path / 'missing')) is None


@pytest.mark.parametrize('inputs,units,found', [
    ({'kubelet': ['/usr/local/bin/kubelet']}, ['kubelet'], None),
    ({'kube-proxy': ['/x']}, ['kubelet'], 'inputs: kube-proxy is not one of units (kubelet)'),
    ({'kubelet': 'usr/local/bin/kubelet'}, ['kubelet'], 'inputs.kubelet must be a list of absolute paths'),
    ({'kubelet': ['relative']}, ['kubelet'], 'inputs.kubelet must be a list of absolute paths')])
def test_check_inputs(inputs, units, found):
    problem = _systemd.check_inputs(inputs, units)
    assert problem == found if found is None else found in problem


def test_plan_read_only():
    assert _systemd.plan({'a': unit(active='inactive', file_state='disabled')}) == []


def test_plan_missing_unit_fails_and_names_it():
    with pytest.raises(_systemd.SystemdError, match='unit cri-docker.service not found'):
        _systemd.plan({'cri-docker.service': unit(load='not-found')}, 'started', True)


def test_plan_missing_unit_ignored():
    states = {'firewalld': unit(load='not-found', active='inactive', file_state=''), 'ufw': unit()}
    assert _systemd.plan(states, 'stopped', False, missing='ignore') == [('disable', ['ufw']), ('stop', ['ufw'])]


def test_describe():
    assert _systemd.describe({'a': unit(), 'b': unit(active='', file_state='')}) == 'a: active/enabled\nb: -/-\n'


@pytest.mark.parametrize('units', [[], ['kubelet', ' ']])
def test_module_refuses_empty_names(run, units):
    result = run(systemd_units, {'units': units}, expect_fail=True)
    assert 'units: give at least one unit name' in result['msg']


@pytest.mark.parametrize('wait,problem', [
    ({}, None),
    ({'url': 'https://127.0.0.1:10257/healthz', 'timeout': 60}, None),
    ({'url': 'https://10.0.0.5:6443/readyz', 'ca_path': '/ca.crt', 'timeout': 60}, None),
    ({'url': 'http://127.0.0.1:6443/readyz', 'timeout': 60}, 'must be an https:// URL'),
    ({'url': 'https://10.0.0.5:6443/readyz', 'timeout': 60}, 'give wait_ca_path'),
    ({'url': 'https://127.0.0.1:6443/readyz', 'timeout': 0}, 'wait_timeout must be a positive'),
    ({'url': 'https://127.0.0.1:6443/readyz', 'timeout': 9, 'client_cert': '/c.crt'}, 'go together'),
])
def test_check_wait(wait, problem):
    found = _systemd.check_wait(wait)
    assert (found is None) if problem is None else (problem in found)


def test_wait_ready_retries_errors_and_not_ready_until_200():
    answers = iter([OSError('connection refused'), False, True])

    def fetch(url):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = FakeClock()
    assert _systemd.wait_ready(fetch, 'https://127.0.0.1:6443/readyz', 30, clock, clock.sleep) == 2.0


def test_wait_ready_times_out_naming_the_url_and_the_last_error():
    def fetch(url):
        raise OSError('connection refused')

    clock = FakeClock()
    with pytest.raises(_systemd.SystemdError, match=r'https://127.0.0.1:6443/readyz did not answer 200 within 5s.*'
                                                    r'connection refused'):
        _systemd.wait_ready(fetch, 'https://127.0.0.1:6443/readyz', 5, clock, clock.sleep)
