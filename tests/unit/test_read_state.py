# -*- coding: utf-8 -*-
"""plugins/modules/read_state.py on real files in a temporary directory (units: see test_systemd.py)."""

from __future__ import annotations

import os

from ansible_collections.kubebin.cluster.plugins.module_utils import _host_state
from ansible_collections.kubebin.cluster.plugins.modules import read_state


def test_paths_and_contents(run, tmp_path):
    (tmp_path / 'member').mkdir()
    env = tmp_path / 'etcd.env'
    env.write_text('ETCD_NAME=master01\n')
    os.chmod(env, 0o600)
    missing = str(tmp_path / 'marker.json')
    result = run(read_state, {'paths': [str(tmp_path / 'member'), str(tmp_path / 'nothing')],
                              'read': [str(env), missing]})
    assert result['changed'] is False
    files = result['files']
    os.chmod(tmp_path / 'member', 0o700)
    result = run(read_state, {'paths': [str(tmp_path / 'member'), str(tmp_path / 'nothing')],
                              'read': [str(env), missing]})
    files = result['files']
    assert files[str(tmp_path / 'member')] == {'exists': True, 'type': 'directory', 'mode': '0700'}
    assert files[str(tmp_path / 'nothing')] == {'exists': False, 'type': 'missing', 'mode': None}
    assert files[str(env)] == {'exists': True, 'type': 'file', 'mode': '0600', 'content': 'ETCD_NAME=master01\n'}
    assert files[missing] == {'exists': False, 'type': 'missing', 'mode': None, 'content': ''}
    assert result['units'] == {}


def test_reading_a_directory_fails_and_names_it(run, tmp_path):
    result = run(read_state, {'read': [str(tmp_path)]}, expect_fail=True)
    assert result['msg'] == '%s: not a regular file, cannot read it' % tmp_path


def test_relative_path_fails(run):
    result = run(read_state, {'paths': ['etc/etcd']}, expect_fail=True)
    assert 'give an absolute path' in result['msg']


def test_large_file_refused(run, tmp_path):
    big = tmp_path / 'big'
    big.write_bytes(b'x' * (_host_state.MAX_READ + 1))
    result = run(read_state, {'read': [str(big)]}, expect_fail=True)
    assert 'not a configuration file' in result['msg']


def test_parse_dpkg():
    # dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\t${Version}\n' on Debian 12 (rc: removed, config left)
    text = 'conntrack\tii \t1:1.4.7-1+b2\nipset\trc \t7.17-1\nsocat\tii \t1.7.4.4-2\n'
    assert _host_state.parse_dpkg(text) == {'conntrack': '1:1.4.7-1+b2', 'socat': '1.7.4.4-2'}


def test_parse_rpm():
    text = 'conntrack-tools\t1.4.7-2.el9\npackage ipvsadm is not installed\n'
    assert _host_state.parse_rpm(text) == {'conntrack-tools': '1.4.7-2.el9'}


def test_packages_from_this_machines_package_database(run):
    # this machine is Debian: dpkg-query answers for real; a name no distribution has is not installed
    result = run(read_state, {'packages': ['dpkg', 'kubebin-no-such-package']})
    assert result['packages']['dpkg'] != ''
    assert result['packages']['kubebin-no-such-package'] == ''
