# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the kubeconfig module: render a one-cluster, one-user, one-context kubeconfig with embedded data."""

from __future__ import annotations

import base64
import json
import re

from ansible_collections.kubebin.cluster.plugins.module_utils._io import (
    diff_entry, ensure_directory, ensure_each, read_bytes, write_bytes)
from ansible_collections.kubebin.cluster.plugins.module_utils import _pki

SECRET_FIELDS = ('client-key-data', 'token')


class KubeconfigError(Exception):
    """Bad input; the message names the option and the fix."""


def _q(value):
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value)


def b64(data):
    return base64.b64encode(data).decode('ascii')


def render(cluster_name, server, ca_data, user_name, context_name, client_cert_data=None, client_key_data=None,
           token=None):
    """The kubeconfig text. Data arguments are PEM bytes; output is deterministic so files compare by content."""
    lines = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: %s' % _q(cluster_name),
        '  cluster:',
        '    certificate-authority-data: %s' % _q(b64(ca_data)),
        '    server: %s' % _q(server),
        'contexts:',
        '- name: %s' % _q(context_name),
        '  context:',
        '    cluster: %s' % _q(cluster_name),
        '    user: %s' % _q(user_name),
        'current-context: %s' % _q(context_name),
        'preferences: {}',
        'users:',
        '- name: %s' % _q(user_name),
        '  user:',
    ]
    if token is not None:
        lines.append('    token: %s' % _q(token))
    else:
        lines.append('    client-certificate-data: %s' % _q(b64(client_cert_data)))
        lines.append('    client-key-data: %s' % _q(b64(client_key_data)))
    return ('\n'.join(lines) + '\n').encode('utf-8')


def redact(text):
    """Replace secret values (client key, token) so the text can be shown in a diff."""
    if text is None:
        return ''
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return re.sub(r'^(\s*(?:%s):\s*).*$' % '|'.join(SECRET_FIELDS), r'\1"<redacted>"', text, flags=re.M)


def _data(params, name, option_path, option_data):
    if params.get(option_data):
        value = params[option_data]
        return value.encode('utf-8') if isinstance(value, str) else value, option_data
    path = params.get(option_path)
    if not path:
        return None, None
    try:
        data = read_bytes(path)
    except OSError as e:
        raise KubeconfigError('%s %s cannot be read: %s' % (option_path, path, e))
    if data is None:
        raise KubeconfigError('%s %s (%s) does not exist; create it first (the pki role does)'
                              % (option_path, path, name))
    return data, option_path


def _credentials_of_entry(p, item):
    """An entry's own token or client certificate replaces the top-level credentials of the other kind."""
    if item.get('token') is not None:
        p['client_cert_path'] = p['client_key_path'] = p['client_cert_data'] = p['client_key_data'] = None
    elif item.get('client_cert_path') or item.get('client_key_path'):
        p['token'] = None


def _symbolic_opens_group_or_other(mode):
    """True when a symbolic mode (``u=rw,g=r``) grants any permission to group, others or all."""
    for clause in mode.split(','):
        match = re.match(r'^([ugoa]*)([-+=])([rwxXstugo]*)$', clause.strip())
        if match and match.group(2) != '-' and re.search('[rwxXugo]', match.group(3)) \
                and (not match.group(1) or re.search('[goa]', match.group(1))):
            return True
    return False


def check_private_mode(mode, path, secret):
    """Refuse a file mode that lets group or others read a kubeconfig holding ``secret`` (client key or token)."""
    if mode is None:
        return
    if isinstance(mode, int):
        opens = bool(mode & 0o077)
    elif re.match(r'^0?[0-7]{3,4}$', str(mode).strip()):
        opens = bool(int(str(mode).strip(), 8) & 0o077)
    else:
        opens = _symbolic_opens_group_or_other(str(mode))
    if opens:
        shown = '%04o' % mode if isinstance(mode, int) else mode
        raise KubeconfigError('mode %s would let group or others read %s, which embeds the %s; a kubeconfig with '
                              'credentials must be private: set mode: "0600" (or leave mode out, 0600 is the '
                              'default)' % (shown, path, secret))


def ensure_kubeconfig(module):
    """Body of kubebin.cluster.kubeconfig: one kubeconfig, or each of ``kubeconfigs``."""
    out = ensure_each(module, 'kubeconfigs', ('path', 'server', 'user_name'), ensure_one_kubeconfig, KubeconfigError,
                      _credentials_of_entry)
    if module.params.get('kubeconfigs'):
        out['context'] = None
    return out


def ensure_one_kubeconfig(module, p):
    """One kubeconfig from the (merged) parameters ``p``."""
    ensure_directory(module, p['path'])
    if not re.match(r'^https://[^/\s]+', p['server'] or ''):
        raise KubeconfigError('server %r must be an https:// URL such as https://192.168.2.66:6443' % p['server'])
    missing_ok = module.check_mode
    try:
        ca, ca_opt = _data(p, 'CA certificate', 'ca_cert_path', 'ca_cert_data')
        cert, cert_opt = _data(p, 'client certificate', 'client_cert_path', 'client_cert_data')
        key, key_opt = _data(p, 'client key', 'client_key_path', 'client_key_data')
    except KubeconfigError:
        if missing_ok:
            return {'changed': True, 'context': p['context_name'] or '%s@%s' % (p['user_name'], p['cluster_name'])}
        raise
    if p['token'] is None and (cert is None or key is None):
        raise KubeconfigError('give the user credentials: token, or client_cert_path/client_cert_data together '
                              'with client_key_path/client_key_data')
    if _pki.HAS_CRYPTOGRAPHY:
        try:
            _pki.load_certificate(ca, ca_opt, p.get('ca_cert_path') or '(data)')
            if cert is not None:
                c = _pki.load_certificate(cert, cert_opt, p.get('client_cert_path') or '(data)')
                k = _pki.load_private_key(key, key_opt, p.get('client_key_path') or '(data)')
                if not _pki.key_matches_cert(k, c):
                    raise KubeconfigError('%s does not match %s; give the key that belongs to the client '
                                          'certificate' % (key_opt, cert_opt))
        except _pki.PkiError as e:
            raise KubeconfigError(str(e))
    check_private_mode(p.get('mode'), p['path'], 'token' if p['token'] is not None else 'client key (client-key-data)')
    context = p['context_name'] or '%s@%s' % (p['user_name'], p['cluster_name'])
    content = render(p['cluster_name'], p['server'], ca, p['user_name'], context, cert, key, p['token'])
    try:
        before = read_bytes(p['path'])
    except OSError as e:
        raise KubeconfigError('path %s cannot be read: %s' % (p['path'], e))
    changed = write_bytes(module, p['path'], content, '0600', private=True)
    result = {'changed': changed, 'context': context}
    if module._diff:
        result['diff'] = diff_entry(p['path'], redact(before), redact(content))
    return result
