# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write several files and directories on a host in one call: the remote side of kubebin.cluster.write_files.

ansible.builtin.copy and ansible.builtin.template cost about three remote calls per file (stat, transfer, copy); a
role that installs twenty certificates pays sixty. Here the controller sends every small file inline and stages
the large ones, and this code writes them all: each file atomically (a temporary file in the same directory with
its final mode and owner set BEFORE any byte is written, fsync, rename), so a private key never exists with a
wider mode and a reader never sees half a file.
"""

from __future__ import annotations

import base64
import errno
import grp
import hashlib
import os
import pwd
import shutil
import stat
import tempfile

DIFF_MAX = 64 * 1024


class WriteError(Exception):
    pass


def _ids(entry):
    try:
        uid = pwd.getpwnam(entry.get('owner') or 'root').pw_uid
    except KeyError:
        raise WriteError('%s: owner %s does not exist on the host' % (entry['path'], entry.get('owner'))) from None
    try:
        gid = grp.getgrnam(entry.get('group') or 'root').gr_gid
    except KeyError:
        raise WriteError('%s: group %s does not exist on the host' % (entry['path'], entry.get('group'))) from None
    return uid, gid


def _mode(entry):
    try:
        return int(str(entry['mode']), 8)
    except (KeyError, ValueError):
        raise WriteError("%s: mode must be an octal string like '0644' (got %r)" % (entry['path'], entry.get('mode'))) from None


def check(entries):
    """Raise WriteError for a malformed entry (before anything is written)."""
    if not isinstance(entries, list):
        raise WriteError('files must be a list')
    for entry in entries:
        path = str(entry.get('path') or '')
        if not path.startswith('/'):
            raise WriteError('every entry needs an absolute path (got %r)' % path)
        state = entry.get('state', 'file')
        if state not in ('file', 'directory'):
            raise WriteError('%s: state must be file or directory (got %r)' % (path, state))
        _mode(entry)
        if state == 'file' and entry.get('content') is not None and entry.get('staged') is not None:
            raise WriteError('%s: give content (base64) or staged (a transferred file), not both' % path)
        if state == 'file' and entry.get('content') is None and not (entry.get('staged') or entry.get('sha256')):
            raise WriteError('%s: give content (base64), staged (a transferred file) or, in check mode, its sha256'
                             % path)


def sha256_file(path):
    """The sha256 of a file (read in blocks); the controller side uses it too."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _current(path):
    try:
        return os.lstat(path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise WriteError('%s: %s' % (path, e.strerror)) from None


def _text(data):
    if data is None or len(data) > DIFF_MAX or b'\0' in data:
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return None


def _apply_directory(entry, check_mode):
    path, mode = entry['path'], _mode(entry)
    uid, gid = _ids(entry)
    st = _current(path)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise WriteError('%s: exists and is not a directory' % path)
    changed = st is None or stat.S_IMODE(st.st_mode) != mode or (st.st_uid, st.st_gid) != (uid, gid)
    if changed and not check_mode:
        os.makedirs(path, mode=0o755, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return changed, None


def _apply_file(entry, check_mode, want_diff):
    path, mode = entry['path'], _mode(entry)
    uid, gid = _ids(entry)
    data = base64.b64decode(entry['content']) if entry.get('content') is not None else None
    st = _current(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise WriteError('%s: exists and is not a regular file' % path)
    if data is not None:
        want = hashlib.sha256(data).hexdigest()
    else:
        want = entry.get('sha256') or sha256_file(entry['staged'])
    same_content = st is not None and sha256_file(path) == want
    same_attrs = st is not None and stat.S_IMODE(st.st_mode) == mode and (st.st_uid, st.st_gid) == (uid, gid)
    diff = None
    if want_diff and not same_content and data is not None:
        before = b''
        if st is not None and st.st_size <= DIFF_MAX:
            with open(path, 'rb') as f:
                before = f.read()
        before_text, after_text = (_text(before), _text(data)) if st is not None else ('', _text(data))
        if before_text is not None and after_text is not None:
            diff = {'before_header': path, 'after_header': path, 'before': before_text, 'after': after_text}
    if check_mode or (same_content and same_attrs):
        return not (same_content and same_attrs), diff
    if data is None and not entry.get('staged'):
        raise WriteError('%s: its content was not transferred (only its sha256, for check mode)' % path)
    if same_content:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return True, diff
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as out:
            if data is not None:
                out.write(data)
            else:
                with open(entry['staged'], 'rb') as src:
                    shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True, diff


def write(entries, check_mode=False, want_diff=False):
    """Bring every entry in place (directories first, then files, each in the given order). Returns the result of
    the module: changed, written (the paths that were or, in check mode, would be written) and diff."""
    check(entries)
    written, diffs = [], []
    ordered = [e for e in entries if e.get('state', 'file') == 'directory'] + \
              [e for e in entries if e.get('state', 'file') == 'file']
    for entry in ordered:
        try:
            if entry.get('state', 'file') == 'directory':
                changed, diff = _apply_directory(entry, check_mode)
            else:
                changed, diff = _apply_file(entry, check_mode, want_diff)
        except OSError as e:
            raise WriteError('%s: %s' % (entry['path'], e.strerror or e)) from None
        if changed:
            written.append(entry['path'])
        if diff:
            diffs.append(diff)
    result = {'changed': bool(written), 'written': written}
    if want_diff:
        result['diff'] = diffs
    return result
