# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared file helpers for kubebin modules.

Write files atomically (temporary file in the same directory, then ``module.atomic_move``), apply the
common file arguments (owner, group, mode, ...) and collect ``diff`` output. Secrets are created with a
restrictive umask so that they are never readable by others, not even for a moment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def _umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def read_bytes(path):
    """Return the content of ``path`` or None when it does not exist. Other errors propagate (OSError)."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def file_args(module, path, mode=None):
    """The module's common file arguments for ``path``; ``mode`` replaces the user's mode when given."""
    args = module.load_file_common_arguments(module.params, path=path)
    if mode is not None:
        args['mode'] = mode
    return args


def write_bytes(module, path, content, mode, private=False, enforce_mode=False):
    """Write ``content`` to ``path`` atomically unless it is already identical; then apply file arguments.

    ``mode`` is used when the user gave none, or always with ``enforce_mode``. ``private`` files are created
    with umask 077 so they are never readable by others, even for a moment. In check mode nothing is
    written. Returns True when anything changed (or would change).
    """
    current = read_bytes(path)
    changed = current != content
    if changed and not module.check_mode:
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            # atomic_move chmods a new file to 0666 & ~umask: keep private files private from the first instant
            with _umask(0o077) if private else contextlib.nullcontext():
                module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return ensure_attributes(module, path, mode, enforce_mode, changed)


def ensure_attributes(module, path, mode, enforce_mode=False, changed=False):
    """Apply owner/group/mode (and SELinux args) to ``path``; returns True when anything changed."""
    if module.check_mode and not os.path.exists(path):
        return True
    args = file_args(module, path, mode if enforce_mode or module.params.get('mode') is None else None)
    return module.set_fs_attributes_if_different(args, changed)


def ensure_directory(module, path):
    """Fail clearly when the directory of ``path`` is missing (outside check mode: an earlier task may create it)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) and not module.check_mode:
        module.fail_json(msg='directory %s of %s does not exist; create it first (ansible.builtin.file '
                             'state=directory)' % (directory, path))


def diff_entry(path, before, after):
    """A diff dict in Ansible's format (text before/after, never key material: callers pass summaries)."""
    return {'before_header': path, 'after_header': path, 'before': before or '', 'after': after or ''}


def ensure_each(module, option, required, ensure_one, error, prepare=None):
    """One file from the top-level parameters, or one per entry of the list parameter ``option``.

    ``ensure_one(module, params)`` returns the result dict of one file at ``params['path']``. An entry's options that
    are not None replace the top-level ones, then ``prepare(params, entry)`` may adjust them. An ``error`` raised
    for one file is raised again prefixed with its path. Several files return ``changed``, the results (each with
    its ``path``) under ``option`` and, in diff mode, the list of their diffs.
    """
    params = module.params
    if not params.get(option):
        missing = [o for o in required if not params.get(o)]
        if missing:
            raise error('missing required arguments: %s (or give %s)' % (', '.join(missing), option))
        try:
            return ensure_one(module, params)
        except error as e:
            raise error('%s: %s' % (params['path'], e))
    results = []
    for item in params[option]:
        p = dict(params)
        p.update((k, v) for k, v in item.items() if v is not None)
        if prepare:
            prepare(p, item)
        try:
            result = ensure_one(module, p)
        except error as e:
            raise error('%s: %s' % (p['path'], e))
        result['path'] = p['path']
        results.append(result)
    out = {'changed': any(r['changed'] for r in results), option: results}
    if module._diff:
        out['diff'] = [r.pop('diff') for r in results if 'diff' in r]
    return out
