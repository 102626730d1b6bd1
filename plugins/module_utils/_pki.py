# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate and key logic of the x509_cert and pki_key modules (pure functions over ``cryptography``).

Every problem with the input is raised as ``PkiError`` with a message naming the option and the fix; the
modules turn it into ``fail_json``. Nothing here writes files.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os

from ansible_collections.kubebin.cluster.plugins.module_utils._io import (
    diff_entry, ensure_attributes, ensure_directory, ensure_each, read_bytes, write_bytes)

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules through missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

KEY_TYPES = ('ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096')
USAGES = ('server', 'client')
BACKDATE = datetime.timedelta(minutes=5)


class PkiError(Exception):
    """Bad input or unusable files; the message says which option and what to do."""


# --- keys ----------------------------------------------------------------------------------------------------
def generate_key(key_type):
    if key_type == 'ecdsa-p256':
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == 'ecdsa-p384':
        return ec.generate_private_key(ec.SECP384R1())
    if key_type in ('rsa-2048', 'rsa-3072', 'rsa-4096'):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[4:]))
    raise PkiError('key_type %r is not supported; use one of %s' % (key_type, ', '.join(KEY_TYPES)))


def key_type_of(key):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {'secp256r1': 'ecdsa-p256', 'secp384r1': 'ecdsa-p384'}.get(key.curve.name, 'ecdsa-' + key.curve.name)
    if isinstance(key, rsa.RSAPrivateKey):
        return 'rsa-%d' % key.key_size
    return type(key).__name__


def key_to_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_key_to_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_fingerprint(key):
    return hashlib.sha256(_spki(key.public_key())).hexdigest()


def load_private_key(data, option, path):
    """Parse a PEM private key; ``option`` names the module option in error messages."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise PkiError('%s %s is not a readable unencrypted PEM private key (%s); fix or remove the file, '
                       'or set force: true to replace it' % (option, path, str(e).splitlines()[0] if str(e) else e))
    if key_type_of(key) not in KEY_TYPES:
        raise PkiError('%s %s holds a %s key; supported are %s' % (option, path, key_type_of(key),
                                                                   ', '.join(KEY_TYPES)))
    return key


def load_certificate(data, option, path):
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as e:
        raise PkiError('%s %s is not a readable PEM certificate (%s); fix or remove the file, '
                       'or set force: true to replace it' % (option, path, e))


def key_matches_cert(key, cert):
    return _spki(key.public_key()) == _spki(cert.public_key())


def random_secret(size=32):
    """``size`` random bytes, base64 encoded (the format of an EncryptionConfiguration aescbc/secretbox key)."""
    return base64.b64encode(os.urandom(size))


# --- subject alternative names ---------------------------------------------------------------------------
def parse_san(text):
    """``DNS:name`` or ``IP:address`` -> (normalized text, x509 GeneralName)."""
    kind, sep, value = str(text).partition(':')
    kind = kind.strip().upper()
    value = value.strip()
    if sep and kind == 'IP':
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            raise PkiError('subject_alt_names: %r is not a valid IP address; write IP:<IPv4 or IPv6 address>, '
                           'or DNS:<name> for a host name' % text)
        return 'IP:%s' % ip, x509.IPAddress(ip)
    if sep and kind == 'DNS':
        name = value.lower().rstrip('.')
        labels = name.split('.')
        if not name.isascii():
            raise PkiError('subject_alt_names: %r is not a valid DNS name: it has non-ASCII characters; write an '
                           'internationalized name in its ASCII form (xn--..., IDNA), e.g. DNS:xn--nde-6ka.example '
                           'for nöde.example' % text)
        if not name or any(not label or len(label) > 63 for label in labels) or \
                any(not all(c.isalnum() or c in '-_*' for c in label) for label in labels):
            raise PkiError('subject_alt_names: %r is not a valid DNS name; write DNS:<name>' % text)
        return 'DNS:%s' % name, x509.DNSName(name)
    raise PkiError('subject_alt_names: %r has no DNS: or IP: prefix; write DNS:<name> or IP:<address>' % text)


def normalize_sans(values):
    """Parse and de-duplicate, keeping order. Returns (texts, general names)."""
    texts, names = [], []
    for value in values or []:
        text, name = parse_san(value)
        if text not in texts:
            texts.append(text)
            names.append(name)
    return texts, names


def _san_text(name):
    if isinstance(name, x509.IPAddress):
        return 'IP:%s' % name.value
    if isinstance(name, x509.DNSName):
        return 'DNS:%s' % name.value.lower()
    return '%s:%s' % (type(name).__name__, name.value)


# --- certificate description ----------------------------------------------------------------------------
def _ext(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def describe(cert):
    """The attributes of ``cert`` that the module compares and returns (no key material)."""
    san = _ext(cert, x509.SubjectAlternativeName)
    eku = _ext(cert, x509.ExtendedKeyUsage)
    bc = _ext(cert, x509.BasicConstraints)
    usages = []
    if eku is not None:
        usages = sorted(u for u, oid in (('server', ExtendedKeyUsageOID.SERVER_AUTH),
                                         ('client', ExtendedKeyUsageOID.CLIENT_AUTH)) if oid in eku)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {
        'common_name': cns[0].value if cns else None,
        'organizations': [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)],
        'subject_alt_names': [_san_text(n) for n in san] if san is not None else [],
        'usages': usages,
        'is_ca': bool(bc and bc.ca),
        'issuer': cert.issuer.rfc4514_string(),
        'serial': '%x' % cert.serial_number,
        'not_before': cert.not_valid_before_utc.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'not_after': cert.not_valid_after_utc.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'fingerprint': cert.fingerprint(hashes.SHA256()).hex(),
    }


def describe_text(info):
    """A short, stable text rendering for diff mode."""
    if not info:
        return ''
    keys = ('common_name', 'organizations', 'subject_alt_names', 'usages', 'is_ca', 'issuer', 'not_after',
            'serial', 'fingerprint')
    return ''.join('%s: %s\n' % (k, info[k]) for k in keys)


def _subject(common_name, organizations):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


class CertSpec:
    """The desired certificate, validated."""

    def __init__(self, common_name, organizations=None, subject_alt_names=None, usages=None, is_ca=False,
                 valid_days=365, renew_before_days=30, key_type='ecdsa-p256'):
        if not common_name:
            raise PkiError('common_name must not be empty')
        if key_type not in KEY_TYPES:
            raise PkiError('key_type %r is not supported; use one of %s' % (key_type, ', '.join(KEY_TYPES)))
        if valid_days < 1:
            raise PkiError('valid_days must be at least 1 (got %d)' % valid_days)
        if renew_before_days < 0 or renew_before_days >= valid_days:
            raise PkiError('renew_before_days (%d) must be smaller than valid_days (%d), otherwise every run '
                           'would reissue the certificate; lower renew_before_days or raise valid_days'
                           % (renew_before_days, valid_days))
        usages = sorted(set(usages or []))
        bad = [u for u in usages if u not in USAGES]
        if bad:
            raise PkiError('usages %s not supported; use server and/or client' % bad)
        if is_ca and usages:
            raise PkiError('usages apply to leaf certificates; leave them empty with is_ca: true')
        if not is_ca and not usages:
            raise PkiError('usages must name server and/or client for a leaf certificate')
        self.common_name = common_name
        self.organizations = list(organizations or [])
        self.san_texts, self.san_names = normalize_sans(subject_alt_names)
        self.usages = usages
        self.is_ca = bool(is_ca)
        self.valid_days = valid_days
        self.renew_before_days = renew_before_days
        self.key_type = key_type
        self.subject = _subject(common_name, self.organizations)

    def differences(self, cert, key, signer_cert, now=None, issued_before=None):
        """Reasons why ``cert`` (signed for ``key``) does not satisfy this spec; empty when it does. A leaf issued
        before ``issued_before`` (a datetime: renewal on demand) does not."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        info = describe(cert)
        reasons = []
        if issued_before is not None and not self.is_ca and cert.not_valid_before_utc + BACKDATE < issued_before:
            reasons.append('certificate was issued %s, before reissue_issued_before (%s)'
                           % ((cert.not_valid_before_utc + BACKDATE).strftime('%Y-%m-%dT%H:%M:%SZ'),
                              issued_before.strftime('%Y-%m-%dT%H:%M:%SZ')))
        if not key_matches_cert(key, cert):
            reasons.append('certificate does not match the private key')
        if info['common_name'] != self.common_name or info['organizations'] != self.organizations:
            reasons.append('subject is %s, want %s' % (cert.subject.rfc4514_string(), self.subject.rfc4514_string()))
        if sorted(info['subject_alt_names']) != sorted(self.san_texts):
            reasons.append('subject alternative names are %s, want %s' % (info['subject_alt_names'], self.san_texts))
        if info['usages'] != self.usages:
            reasons.append('usages are %s, want %s' % (info['usages'], self.usages))
        if info['is_ca'] != self.is_ca:
            reasons.append('CA flag is %s, want %s' % (info['is_ca'], self.is_ca))
        signer = signer_cert or cert
        if cert.issuer != signer.subject or not _signed_by(cert, signer):
            reasons.append('issuer is %s, not signed by %s' % (info['issuer'], signer.subject.rfc4514_string()))
        left = cert.not_valid_after_utc - now
        # a leaf already ending with its CA cannot be renewed any further by reissuing it (see not_after)
        ends_with_ca = signer_cert is not None and cert.not_valid_after_utc >= signer_cert.not_valid_after_utc
        if left <= datetime.timedelta(days=self.renew_before_days) and not ends_with_ca:
            reasons.append('certificate expires %s, within renew_before_days (%d)'
                           % (info['not_after'], self.renew_before_days))
        return reasons

    def not_after(self, signer_cert=None, now=None, valid_days=None):
        """(not_after, clamped): ``valid_days`` from now, but never past the signing CA's own not_after."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        wanted = now + datetime.timedelta(days=valid_days or self.valid_days)
        if signer_cert is not None and wanted > signer_cert.not_valid_after_utc:
            return signer_cert.not_valid_after_utc, True
        return wanted, False

    def build(self, key, signer_cert=None, signer_key=None, now=None, valid_days=None):
        """Issue a certificate for ``key``; self-signed when no signer is given. It never outlives its signer."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        issuer_key = signer_key or key
        issuer_name = signer_cert.subject if signer_cert is not None else self.subject
        if signer_cert is not None:
            ski = _ext(signer_cert, x509.SubjectKeyIdentifier)
            aki = (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski) if ski is not None
                   else x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_cert.public_key()))
        else:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
        rsa_key = isinstance(key, rsa.RSAPrivateKey)
        builder = (x509.CertificateBuilder()
                   .subject_name(self.subject)
                   .issuer_name(issuer_name)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - BACKDATE)
                   .not_valid_after(self.not_after(signer_cert, now, valid_days)[0])
                   .add_extension(x509.BasicConstraints(ca=self.is_ca, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(
                       digital_signature=True, content_commitment=False,
                       key_encipherment=rsa_key and not self.is_ca, data_encipherment=False, key_agreement=False,
                       key_cert_sign=self.is_ca, crl_sign=self.is_ca, encipher_only=False, decipher_only=False),
                       critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(aki, critical=False))
        if self.usages:
            oids = {'server': ExtendedKeyUsageOID.SERVER_AUTH, 'client': ExtendedKeyUsageOID.CLIENT_AUTH}
            builder = builder.add_extension(x509.ExtendedKeyUsage([oids[u] for u in self.usages]), critical=False)
        if self.san_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(self.san_names), critical=False)
        algorithm = hashes.SHA384() if isinstance(issuer_key, ec.EllipticCurvePrivateKey) and \
            issuer_key.curve.name == 'secp384r1' else hashes.SHA256()
        return builder.sign(issuer_key, algorithm)


def _signed_by(cert, signer):
    try:
        cert.verify_directly_issued_by(signer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_signer(cert, key, cert_path, key_path):
    """The CA pair given by ca_cert_path / ca_privatekey_path must be a CA and match."""
    bc = _ext(cert, x509.BasicConstraints)
    if not (bc and bc.ca):
        raise PkiError('ca_cert_path %s is not a CA certificate (no basicConstraints CA:TRUE); point it at the CA'
                       % cert_path)
    if not key_matches_cert(key, cert):
        raise PkiError('ca_privatekey_path %s does not match the CA certificate ca_cert_path %s; restore the CA '
                       'key that belongs to this certificate (or recreate the CA with force: true and reissue '
                       'everything it signed)' % (key_path, cert_path))


def cert_to_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


# --- module bodies -----------------------------------------------------------------------------------------------
def _read_pem(loader, option, path, allow_broken):
    """Load a key or certificate with ``loader``; returns (object or None, broken: bool).

    A missing file is (None, False); an unreadable one is an error; a broken one fails unless ``allow_broken``.
    """
    try:
        data = read_bytes(path)
    except OSError as e:
        raise PkiError('%s %s cannot be read: %s' % (option, path, e))
    if data is None:
        return None, False
    try:
        return loader(data, option, path), False
    except PkiError:
        if allow_broken:
            return None, True
        raise


def _load_signer(module, p):
    """(signer cert, signer key, missing) for a leaf; missing is only tolerated in check mode."""
    if not p['ca_cert_path']:
        if not p['is_ca']:
            raise PkiError('ca_cert_path and ca_privatekey_path are required for a leaf certificate (is_ca: false); '
                           'point them at the CA that signs %s' % p['path'])
        return None, None, False
    cert, dummy = _read_pem(load_certificate, 'ca_cert_path', p['ca_cert_path'], False)
    key, dummy = _read_pem(load_private_key, 'ca_privatekey_path', p['ca_privatekey_path'], False)
    if cert is None or key is None:
        if module.check_mode:
            return None, None, True
        missing = p['ca_cert_path'] if cert is None else p['ca_privatekey_path']
        raise PkiError('CA file %s (%s) does not exist; create the CA first (x509_cert with is_ca: true) '
                       % (missing, 'ca_cert_path' if cert is None else 'ca_privatekey_path'))
    check_signer(cert, key, p['ca_cert_path'], p['ca_privatekey_path'])
    return cert, key, False


CERT_ITEM_OPTIONS = ('path', 'privatekey_path', 'common_name', 'organizations', 'subject_alt_names', 'usages',
                     'is_ca', 'ca_cert_path', 'ca_privatekey_path', 'valid_days', 'renew_before_days')


def _check_certificate_entry(p, item):
    if not p.get('path') or not p.get('privatekey_path') or not p.get('common_name'):
        raise PkiError('each entry of certificates needs path, privatekey_path and common_name (got %s)'
                       % sorted(k for k, v in item.items() if v is not None))
    p['organizations'] = p['organizations'] or []
    p['subject_alt_names'] = p['subject_alt_names'] or []
    p['usages'] = p['usages'] or []


def parse_utc(text, option):
    """An ISO 8601 UTC time (``2026-12-07T10:00:00Z``) as an aware datetime; PkiError naming ``option`` otherwise."""
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        raise PkiError('%s must be a UTC time such as 2026-12-07T10:00:00Z (got %r)' % (option, text))


def ensure_certificate(module):
    """Body of kubebin.cluster.x509_cert: one certificate, or each of ``certificates`` in order."""
    cutoff = module.params.get('reissue_issued_before')
    if cutoff and not isinstance(cutoff, datetime.datetime):
        module.params['reissue_issued_before'] = parse_utc(cutoff, 'reissue_issued_before')
    out = ensure_each(module, 'certificates', ('path', 'privatekey_path', 'common_name'), ensure_one_certificate,
                      PkiError, _check_certificate_entry)
    if module.params.get('certificates'):
        out['reasons'] = ['%s: %s' % (r['path'], reason) for r in out['certificates'] for reason in r['reasons']]
        out.update(fingerprint=None, serial=None, not_after=None, subject_alt_names=None,
                   clamped=any(r.get('clamped') for r in out['certificates']))
    return out


def ensure_one_certificate(module, p):
    """One certificate from the (merged) parameters ``p``: returns the result dict."""
    for option in ('path', 'privatekey_path'):
        ensure_directory(module, p[option])
    spec = CertSpec(p['common_name'], p['organizations'], p['subject_alt_names'], p['usages'], p['is_ca'],
                    p['valid_days'], p['renew_before_days'], p['key_type'])
    signer_cert, signer_key, signer_missing = _load_signer(module, p)
    replace_ok = p['force'] or not p['is_ca']
    key, key_broken = _read_pem(load_private_key, 'privatekey_path', p['privatekey_path'], p['force'])
    cert, cert_broken = _read_pem(load_certificate, 'path', p['path'], replace_ok)
    what = 'CA ' if p['is_ca'] else ''

    reasons = []
    new_key = False
    if key is None:
        if cert is not None and p['is_ca'] and not p['force']:
            raise PkiError('CA certificate %s exists but its private key privatekey_path %s does not; restore the '
                           'key, or set force: true to create a new CA (everything it signed must be reissued)'
                           % (p['path'], p['privatekey_path']))
        new_key = True
        reasons.append('private key is unreadable, replaced (force)' if key_broken else 'private key does not exist')
    elif key_type_of(key) != spec.key_type:
        if replace_ok:
            new_key = True
            reasons.append('private key type is %s, want %s' % (key_type_of(key), spec.key_type))
        else:
            module.warn('%sprivate key %s is %s, not key_type %s; kept (set force: true to replace the CA)'
                        % (what, p['privatekey_path'], key_type_of(key), spec.key_type))
    if cert is None:
        reasons.append('certificate is unreadable' if cert_broken else 'certificate does not exist')
    elif new_key:
        reasons.append('certificate must be reissued for the new private key')
    elif signer_missing:
        reasons.append('CA %s does not exist yet (check mode)' % p['ca_cert_path'])
    else:
        differences = spec.differences(cert, key, signer_cert, issued_before=p['reissue_issued_before'])
        if differences and p['rotate_keys'] and p['reissue_issued_before'] and not p['is_ca']:
            new_key = True
            differences.append('rotate_keys: a new private key')
        if differences and p['is_ca'] and not p['force']:
            if not key_matches_cert(key, cert):
                raise PkiError('CA certificate %s does not match its private key privatekey_path %s; restore the '
                               'matching key, or set force: true to create a new CA'
                               % (p['path'], p['privatekey_path']))
            if cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc) <= \
                    datetime.timedelta(days=spec.renew_before_days):
                raise PkiError('CA certificate %s expires %s, within renew_before_days (%d), and a CA is never '
                               'replaced silently: rotate it deliberately (x509_cert for this CA with force: true, '
                               'then reissue and redistribute everything it signed: run the pki role again), or, to '
                               'postpone, lower renew_before_days (the pki role: pki_ca_renew_before_days)'
                               % (p['path'], describe(cert)['not_after'], spec.renew_before_days))
            module.warn('CA certificate %s differs from the request (%s); a CA is never replaced silently: set '
                        'force: true to replace it, then reissue everything it signed'
                        % (p['path'], '; '.join(differences)))
        else:
            reasons.extend(differences)

    before = describe(cert) if cert is not None else None
    after = before
    changed = bool(reasons)
    clamped = changed and spec.not_after(signer_cert)[1]
    if clamped:
        module.warn('certificate %s would outlive its CA %s: its not_after is clamped to the CA\'s (%s) instead of '
                    'valid_days (%d) from now; rotate the CA before it expires'
                    % (p['path'], p['ca_cert_path'], describe(signer_cert)['not_after'], spec.valid_days))
    if changed and not module.check_mode:
        if new_key:
            key = generate_key(spec.key_type)
            write_bytes(module, p['privatekey_path'], key_to_pem(key), '0600', private=True, enforce_mode=True)
        cert = spec.build(key, signer_cert, signer_key)
        write_bytes(module, p['path'], cert_to_pem(cert), '0644')
        after = describe(cert)
    changed = ensure_attributes(module, p['privatekey_path'], '0600', True, changed)
    changed = ensure_attributes(module, p['path'], '0644', False, changed)
    result = {'changed': changed, 'reasons': reasons, 'clamped': clamped}
    for k in ('fingerprint', 'serial', 'not_after', 'subject_alt_names'):
        result[k] = after[k] if after else None
    if module._diff:
        after_text = describe_text(after) if not (module.check_mode and reasons) else \
            'would issue a new %scertificate: %s\n' % (what, '; '.join(reasons))
        result['diff'] = diff_entry(p['path'], describe_text(before), after_text)
    return result


def ensure_key(module):
    """Body of kubebin.cluster.pki_key: a private key (+ public key) or a random secret, never regenerated."""
    p = module.params
    ensure_directory(module, p['path'])
    reasons = []
    result = {}
    if p['type'] == 'random':
        if p['public_path']:
            raise PkiError('public_path applies to type: private_key only; remove it')
        if p['size'] < 16:
            raise PkiError('size must be at least 16 bytes (got %d)' % p['size'])
        data = read_bytes(p['path'])
        if data is not None:
            try:
                size = len(base64.b64decode(data.strip(), validate=True))
            except ValueError:
                size = -1
            if size != p['size']:
                if not p['force']:
                    raise PkiError('%s does not hold %d base64-encoded bytes (%s); a secret is never replaced '
                                   'silently: fix the file, or set force: true (data encrypted with it is lost)'
                                   % (p['path'], p['size'], 'unreadable' if size < 0 else '%d bytes' % size))
                data = None
                reasons.append('secret is not %d bytes, replaced (force)' % p['size'])
        else:
            reasons.append('secret does not exist')
        if data is None:
            data = random_secret(p['size']) + b'\n' if not module.check_mode else None
        changed = bool(reasons)
        if changed and not module.check_mode:
            write_bytes(module, p['path'], data, '0600', private=True, enforce_mode=True)
        changed = ensure_attributes(module, p['path'], '0600', True, changed)
        result['size'] = p['size']
    else:
        if p['key_type'] not in KEY_TYPES:
            raise PkiError('key_type %r is not supported; use one of %s' % (p['key_type'], ', '.join(KEY_TYPES)))
        key, broken = _read_pem(load_private_key, 'path', p['path'], p['force'])
        if key is None:
            reasons.append('private key is unreadable, replaced (force)' if broken else 'private key does not exist')
        elif key_type_of(key) != p['key_type']:
            if p['force']:
                reasons.append('private key type is %s, want %s' % (key_type_of(key), p['key_type']))
                key = None
            else:
                module.warn('private key %s is %s, not key_type %s; kept (set force: true to replace it)'
                            % (p['path'], key_type_of(key), p['key_type']))
        changed = bool(reasons)
        if changed and not module.check_mode:
            key = generate_key(p['key_type'])
            write_bytes(module, p['path'], key_to_pem(key), '0600', private=True, enforce_mode=True)
        changed = ensure_attributes(module, p['path'], '0600', True, changed)
        if p['public_path']:
            ensure_directory(module, p['public_path'])
            if key is not None:
                public_changed = write_bytes(module, p['public_path'], public_key_to_pem(key), '0644')
                if public_changed and not changed:
                    reasons.append('public key %s is missing or does not match' % p['public_path'])
                changed = changed or public_changed
            else:
                changed = True
        result['public_key_fingerprint'] = public_key_fingerprint(key) if key is not None else None
    result.update(changed=changed, reasons=reasons)
    if module._diff:
        result['diff'] = diff_entry(p['path'], '' if 'does not exist' in ' '.join(reasons) else 'present\n',
                                    'present\n' if not reasons or not module.check_mode else
                                    'would write: %s\n' % '; '.join(reasons))
    return result
