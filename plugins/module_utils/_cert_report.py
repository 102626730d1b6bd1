# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate expiry report (the cert_report module): find the certificates under some paths, then decode them.

Finding needs nothing beyond Python, so it runs on hosts without ``cryptography`` (``decode: false``); it returns
each certificate's PEM text, never anything else of a file (a kubelet's ``*-current.pem`` holds its key too).
Decoding needs ``cryptography`` and runs where it is installed (the control node). Problems with one file become
an ``error`` in its entry; only bad options raise ``ReportError``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import re
import stat

from ansible.module_utils.common.yaml import HAS_YAML, yaml_load

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

MAX_READ = 1024 * 1024  # bytes: certificates and kubeconfigs are small; a bigger file is not one of them
CERT_SUFFIXES = ('.crt', '.pem', '.cer')  # a file named so that holds no certificate is reported as an error
KUBECONFIG_FIELDS = (('clusters', 'cluster', 'certificate-authority-data'),
                     ('users', 'user', 'client-certificate-data'))
PEM_BLOCK = re.compile(rb'-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----', re.S)


class ReportError(Exception):
    """Bad input; the message names the option and the fix."""


# --- finding ---------------------------------------------------------------------------------------------------
def walk(paths):
    """(files, missing): the regular files under ``paths`` in order, and the paths that do not exist.

    A path given is followed when it is a symlink (kubelet-client-current.pem); inside a directory symlinks are
    skipped, so nothing outside it is read and a target inside it is reported once, under its own name.
    """
    files, missing = [], []
    for path in paths:
        if not os.path.isabs(path):
            raise ReportError('paths: %r is relative; give an absolute path' % path)
        if not os.path.exists(path):
            missing.append(path)
        elif not os.path.isdir(path):
            files.append(path)
        else:
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    try:
                        if stat.S_ISREG(os.lstat(full).st_mode):
                            files.append(full)
                    except OSError:
                        continue  # gone since the directory was listed
    return files, missing


def _pem_certificates(data):
    """(certificate PEM texts, whether the data holds any PEM block at all)."""
    blocks = PEM_BLOCK.findall(data)
    certs = [(b'-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n' % body).decode('ascii', 'replace')
             for label, body in blocks if label == b'CERTIFICATE']
    return certs, bool(blocks)


def _unquote(value):
    value = value.strip()
    if value.startswith('"'):
        return json.loads(value)
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def scan_kubeconfig(text):
    """[(name, data)] of each cluster's certificate-authority-data and user's client-certificate-data, read line
    by line from a block-style kubeconfig (as kubectl and kubebin write it) where PyYAML is not installed."""
    found = []
    section = item = None
    item_indent = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if not line[0].isspace() and not line.startswith('-'):
            key = line.split(':', 1)[0]
            section = dict((s, f) for s, _k, f in KUBECONFIG_FIELDS).get(key)
            item, item_indent = None, None
            continue
        if section is None:
            continue
        indent = len(line) - len(line.lstrip(' '))
        if line.lstrip().startswith('- ') and (item_indent is None or indent <= item_indent):
            item_indent = indent
            item = {'name': '', 'data': None}
            found.append(item)
            indent += 2
            line = ' ' * indent + line.lstrip()[2:]
        if item is None or ':' not in line:
            continue
        key, value = line.strip().split(':', 1)
        if key == 'name' and indent == item_indent + 2:
            item['name'] = _unquote(value)
        elif key == section and indent > item_indent + 2:
            item['data'] = _unquote(value)
    return [(item['name'], item['data']) for item in found if item['data']]


def _kubeconfig_data(text):
    """[(name, base64 data)] of the certificates a kubeconfig embeds."""
    if not HAS_YAML:
        return scan_kubeconfig(text)
    doc = yaml_load(text)
    found = []
    for section, key, field in KUBECONFIG_FIELDS:
        items = doc.get(section) if isinstance(doc, dict) else None
        for item in items if isinstance(items, list) else []:
            body = item.get(key) if isinstance(item, dict) else None
            if isinstance(body, dict) and body.get(field):
                found.append((str(item.get('name', '')), str(body[field])))
    return found


def _from_kubeconfig(path, text):
    entries = []
    for name, data in _kubeconfig_data(text):
        entry = {'path': path, 'source': 'kubeconfig', 'name': name}
        try:
            certs, _blocks = _pem_certificates(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            certs = []
        if not certs:
            entries.append(dict(entry, error='the embedded data of %s is not a base64 PEM certificate' % name))
        entries.extend(dict(entry, pem=pem) for pem in certs)
    return entries


def find(path):
    """The entries of one file: {path, source, [name], pem} per certificate, or one {path, source, error}."""
    if path.endswith('.key'):
        return []  # a private key by its name: never read
    try:
        if os.path.getsize(path) > MAX_READ:
            return []
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        return [{'path': path, 'source': 'pem', 'error': 'cannot read it: %s' % (e.strerror or e)}]
    certs, blocks = _pem_certificates(data)
    if certs:
        return [{'path': path, 'source': 'pem', 'pem': pem} for pem in certs]
    if blocks:
        return []  # a key, a CSR or a public key
    if b'certificate-authority-data' in data or b'client-certificate-data' in data:
        try:
            return _from_kubeconfig(path, data.decode('utf-8'))
        except Exception as e:  # any YAML or decoding problem: report the file, never its content
            return [{'path': path, 'source': 'kubeconfig', 'error': 'not a readable kubeconfig (%s)' % type(e).__name__}]
    if path.endswith(CERT_SUFFIXES) or b'-----BEGIN CERTIFICATE-----' in data:
        return [{'path': path, 'source': 'pem', 'error': 'holds no PEM certificate'}]
    return []


def find_all(paths):
    """(entries, missing) for ``paths`` (files or directories)."""
    files, missing = walk(paths)
    entries = []
    for path in files:
        entries.extend(find(path))
    return entries, missing


# --- decoding --------------------------------------------------------------------------------------------------
def _utc(value):
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


def decode(entry, now):
    """The entry with the certificate's fields in place of its PEM text (or an ``error``)."""
    out = dict((k, v) for k, v in entry.items() if k != 'pem')
    if 'error' in out:
        return out
    if not isinstance(entry.get('pem'), str):
        return dict(out, error='no certificate in this entry (pass the certificates of a decode=false run)')
    try:
        cert = x509.load_pem_x509_certificate(entry['pem'].encode('ascii'))
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        out.update({
            'subject': cert.subject.rfc4514_string(),
            'issuer': cert.issuer.rfc4514_string(),
            'serial': '%x' % cert.serial_number,
            'not_before': _utc(cert.not_valid_before_utc),
            'not_after': _utc(cert.not_valid_after_utc),
            'days_left': round((cert.not_valid_after_utc - now).total_seconds() / 86400, 1),
            'is_ca': is_ca,
        })
    except (ValueError, TypeError, UnicodeError) as e:
        out['error'] = 'not a valid X.509 certificate (%s)' % (str(e).splitlines()[0] if str(e) else type(e).__name__)
    return out


def sort_key(entry):
    """Errors first, then by days left, host, path and name."""
    days = entry.get('days_left')
    return (days is not None, days or 0.0, entry.get('host', ''), entry['path'], entry.get('name', ''))


def label(entry):
    where = entry['path'] + ('/' + entry['name'] if 'name' in entry else '')
    return ('%s:%s' % (entry['host'], where)) if 'host' in entry else where


def table(entries):
    """Readable lines: host, path[/name], subject, issuer, days left (or the error)."""
    rows = [('HOST', 'PATH[/NAME]', 'SUBJECT', 'ISSUER', 'DAYS LEFT')]
    for e in entries:
        where = e['path'] + ('/' + e['name'] if 'name' in e else '')
        last = 'error: ' + e['error'] if 'error' in e else '%.1f' % e['days_left']
        rows.append((e.get('host', ''), where, e.get('subject', ''), e.get('issuer', ''), last))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return ['  '.join([c.ljust(w) for c, w in zip(row, widths)] + [row[4]]) for row in rows]


def report(params, now=None):
    """The module's result for its parameters (see plugins/modules/cert_report.py)."""
    found, missing = find_all(params['paths'])
    if params.get('host'):
        found = [dict(e, host=params['host']) for e in found]
    for host, entries in sorted((params.get('found') or {}).items()):
        if not isinstance(entries, list) or not all(isinstance(e, dict) and 'path' in e for e in entries):
            raise ReportError('found: the value of %s must be the certificates list of a cert_report run with '
                              'decode=false' % host)
        found.extend(dict(e, host=host) for e in entries)
    if not params['decode']:
        return {'changed': False, 'certificates': found, 'missing': missing}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    certificates = sorted((decode(e, now) for e in found), key=sort_key)
    result = {'changed': False, 'certificates': certificates, 'missing': missing, 'table': table(certificates)}
    threshold = params.get('threshold_days')
    if threshold is not None:
        result['expiring'] = ['%s (%s, %.1f days left)' % (label(e), e['subject'], e['days_left'])
                              for e in certificates if 'days_left' in e and e['days_left'] < threshold]
    return result
