# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a role needs to know about a host before it decides, read in one call (the read_state module).

A role that asks with one stat, slurp or systemd task per path pays one remote call each on every run; here the
paths, the files to read and the units come back together.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.kubebin.cluster.plugins.module_utils import _systemd

MAX_READ = 1024 * 1024  # bytes: the files a role reads are configuration files, never data


class ReadError(Exception):
    pass


def path_state(path):
    """{exists, type, mode} of a path (symlinks followed; type 'missing' when it does not exist)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {'exists': False, 'type': 'missing', 'mode': None}
    except OSError as e:
        raise ReadError('%s: %s' % (path, e.strerror))
    kind = 'directory' if stat.S_ISDIR(st.st_mode) else 'file' if stat.S_ISREG(st.st_mode) else 'other'
    return {'exists': True, 'type': kind, 'mode': '%04o' % stat.S_IMODE(st.st_mode)}


def read_text(path):
    """The state of a path plus `content` (its text; '' when missing)."""
    state = path_state(path)
    state['content'] = ''
    if state['type'] == 'file':
        with open(path, 'rb') as f:
            data = f.read(MAX_READ + 1)
        if len(data) > MAX_READ:
            raise ReadError('%s: larger than %d bytes, not a configuration file' % (path, MAX_READ))
        state['content'] = data.decode('utf-8', errors='replace')
    elif state['exists']:
        raise ReadError('%s: not a regular file, cannot read it' % path)
    return state


def parse_dpkg(text):
    """Installed versions from `dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n'`."""
    installed = {}
    for line in text.splitlines():
        parts = line.split('\t')
        if len(parts) == 3 and parts[1].startswith('ii'):
            installed[parts[0]] = parts[2]
    return installed


def parse_rpm(text):
    """Installed versions from `rpm -q --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'` (missing ones say 'not installed')."""
    return dict(line.split('\t', 1) for line in text.splitlines() if '\t' in line)


def read_packages(module, names):
    """{name: installed version or ''} for the package names, from dpkg or rpm (whichever the host has)."""
    dpkg = module.get_bin_path('dpkg-query')
    if dpkg:
        # rc 1: some package is unknown to dpkg (never installed); the others are still listed
        rc, out, err = module.run_command([dpkg, '-W', '-f', '${Package}\t${db:Status-Abbrev}\t${Version}\n', '--'] + names)
        installed = parse_dpkg(out)
    else:
        rpm = module.get_bin_path('rpm')
        if not rpm:
            raise ReadError('packages: the host has neither dpkg-query nor rpm')
        rc, out, err = module.run_command([rpm, '-q', '--qf', '%{NAME}\t%{VERSION}-%{RELEASE}\n', '--'] + names)
        installed = parse_rpm(out)
    return {name: installed.get(name, '') for name in names}


def read(module):
    params = module.params
    for path in params['paths'] + params['read']:
        if not os.path.isabs(path):
            raise ReadError('%s: give an absolute path' % path)
    files = {p: path_state(p) for p in params['paths']}
    files.update({p: read_text(p) for p in params['read']})
    units = _systemd.read_units(module, params['units']) if params['units'] else {}
    packages = read_packages(module, params['packages']) if params['packages'] else {}
    return {'changed': False, 'files': files, 'units': units, 'packages': packages}
