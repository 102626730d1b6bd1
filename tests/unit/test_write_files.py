# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remote side of kubebin.cluster.write_files on real files in a temporary directory (owner: the test's user)."""

from __future__ import annotations

import base64
import grp
import os
import pwd
import stat

import pytest

from ansible_collections.kubebin.cluster.plugins.module_utils import _write_files

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def entry(path, text=None, mode='0644', **extra):
    out = {'path': str(path), 'mode': mode, 'owner': USER, 'group': GROUP, **extra}
    if text is not None:
        out['content'] = base64.b64encode(text.encode()).decode()
    return out


def mode_of(path):
    return '%04o' % stat.S_IMODE(os.stat(path).st_mode)


def test_first_write_then_nothing_to_do(tmp_path):
    entries = [entry(tmp_path / 'etc' / 'a.conf', 'a=1\n'), entry(tmp_path / 'etc', state='directory', mode='0750'),
               entry(tmp_path / 'etc' / 'key', 'secret', mode='0600')]
    result = _write_files.write(entries)
    assert result['written'] == [str(tmp_path / 'etc'), str(tmp_path / 'etc' / 'a.conf'), str(tmp_path / 'etc' / 'key')]
    assert (tmp_path / 'etc' / 'a.conf').read_text() == 'a=1\n'
    assert [mode_of(tmp_path / 'etc'), mode_of(tmp_path / 'etc' / 'key')] == ['0750', '0600']
    assert _write_files.write(entries) == {'changed': False, 'written': []}
    assert sorted(os.listdir(tmp_path / 'etc')) == ['a.conf', 'key']  # no temporary file left


def test_mode_only_change_keeps_the_file(tmp_path):
    path = tmp_path / 'a.conf'
    _write_files.write([entry(path, 'x')])
    inode = os.stat(path).st_ino
    assert _write_files.write([entry(path, 'x', mode='0600')])['written'] == [str(path)]
    assert (mode_of(path), os.stat(path).st_ino) == ('0600', inode)


def test_check_mode_reports_and_writes_nothing_with_a_diff(tmp_path):
    path = tmp_path / 'a.conf'
    path.write_text('old\n')
    result = _write_files.write([entry(path, 'new\n'), entry(tmp_path / 'new', 'n')], check_mode=True, want_diff=True)
    assert result['written'] == [str(path), str(tmp_path / 'new')]
    assert path.read_text() == 'old\n' and not (tmp_path / 'new').exists()
    assert result['diff'][0] == {'before_header': str(path), 'after_header': str(path), 'before': 'old\n',
                                 'after': 'new\n'}


def test_staged_file_is_copied_and_compared_by_content(tmp_path):
    staged = tmp_path / 'staged-0'
    staged.write_bytes(b'\0binary' * 1000)
    path = tmp_path / 'bin' / 'tool'
    (tmp_path / 'bin').mkdir()
    assert _write_files.write([entry(path, mode='0755', staged=str(staged))])['written'] == [str(path)]
    assert path.read_bytes() == staged.read_bytes() and mode_of(path) == '0755'
    sha = _write_files.sha256_file(str(staged))
    assert _write_files.write([entry(path, mode='0755', sha256=sha)], check_mode=True)['written'] == []


@pytest.mark.parametrize('bad,message', [
    ({'path': 'rel', 'mode': '0644', 'content': ''}, 'absolute path'),
    ({'path': '/x', 'mode': 'rw', 'content': ''}, "octal string like '0644'"),
    ({'path': '/x', 'mode': '0644'}, 'give content'),
    ({'path': '/x', 'mode': '0644', 'state': 'link'}, 'file or directory'),
    ({'path': '/x', 'mode': '0644', 'content': '', 'staged': '/tmp/s'}, 'not both'),
])
def test_bad_entries_fail_before_any_write(bad, message):
    with pytest.raises(_write_files.WriteError, match=message):
        _write_files.write([bad])


def test_unknown_owner_is_named(tmp_path):
    with pytest.raises(_write_files.WriteError, match='owner no-such-user does not exist'):
        _write_files.write([entry(tmp_path / 'a', 'x', owner='no-such-user')])


def test_a_directory_in_the_way_of_a_file_is_refused(tmp_path):
    (tmp_path / 'a').mkdir()
    with pytest.raises(_write_files.WriteError, match='not a regular file'):
        _write_files.write([entry(tmp_path / 'a', 'x')])
