#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: x509_cert
short_description: Keep one private key and one X.509 certificate (CA or leaf) in the desired state
version_added: 0.1.0
description:
  - Creates a private key and a certificate, self-signed (O(is_ca=true) without a signer) or signed by the CA
    given in O(ca_cert_path) and O(ca_privatekey_path).
  - Reissues the certificate, keeping the key, when it expires within O(renew_before_days) or when its subject,
    subject alternative names, usages, CA flag or issuer differ from the request.
  - An existing CA certificate or key is never replaced unless O(force=true); differences are reported as a
    warning instead, except an approaching expiry. A CA certificate that expires within its O(renew_before_days)
    fails the task (also in check mode), naming the file and the fix (rotate it with O(force=true), or lower
    O(renew_before_days) to postpone).
  - A leaf never outlives the CA that signs it. When O(valid_days) from now would end after the CA's own end of
    validity, the leaf's end of validity is set to the CA's, the task warns and RV(clamped) is true. Such a leaf is
    not reissued again only because it expires within O(renew_before_days); rotating the CA renews it.
  - An unreadable or corrupt key, a CA whose key does not match, or an invalid SAN fails the task; nothing is
    regenerated silently.
  - NotBefore is back-dated 5 minutes. Private keys are written mode 0600 through a temporary file and an atomic
    move. No key material appears in results, diffs or logs.
  - The file options (O(owner), O(group), O(mode)) apply to the certificate (default mode 0644); O(owner) and
    O(group) also apply to the private key, whose mode is always 0600.
author:
  - kubebin developers (@kubebin)
requirements:
  - cryptography >= 40 on the host that runs the module (normally the control node)
extends_documentation_fragment:
  - ansible.builtin.files
  - kubebin.cluster.attributes
  - kubebin.cluster.attributes.posix
attributes:
  diff_mode:
    description: Shows a summary (subject, SANs, usages, issuer, validity, fingerprint) before and after.
options:
  path:
    description: Certificate file (PEM). Its directory must exist. Required unless O(certificates) is given.
    type: path
  privatekey_path:
    description:
      - Private key file (PEM, PKCS#8, unencrypted, mode 0600). Its directory must exist. Required unless
        O(certificates) is given.
    type: path
  common_name:
    description: Subject common name (CN). Required unless O(certificates) is given.
    type: str
  organizations:
    description: Subject organizations (O), in order.
    type: list
    elements: str
    default: []
  subject_alt_names:
    description:
      - Subject alternative names, each C(DNS:name) or C(IP:address). Compared as a set (order and duplicates do
        not matter, IP addresses are normalized, DNS names are lower-cased).
      - DNS names must be ASCII; write an internationalized name in its IDNA form (C(xn--...)). A non-ASCII name
        fails the task naming the value.
    type: list
    elements: str
    default: []
  usages:
    description: Extended key usages of a leaf certificate. Must be empty with O(is_ca=true).
    type: list
    elements: str
    choices: [server, client]
    default: []
  is_ca:
    description:
      - Make a CA certificate (basicConstraints CA:TRUE, keyCertSign and cRLSign). Without O(ca_cert_path) it is
        self-signed.
    type: bool
    default: false
  ca_cert_path:
    description: Certificate of the signing CA. Required for a leaf. Must match O(ca_privatekey_path).
    type: path
  ca_privatekey_path:
    description: Private key of the signing CA.
    type: path
  key_type:
    description: Algorithm and size of the private key.
    type: str
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096]
    default: ecdsa-p256
  valid_days:
    description: Validity of a newly issued certificate, in days.
    type: int
    default: 365
  renew_before_days:
    description: Reissue the certificate when it expires within this many days. Must be smaller than O(valid_days).
    type: int
    default: 30
  reissue_issued_before:
    description:
      - Renewal on demand. Reissue every leaf certificate (not a CA) that was issued before this UTC time
        (ISO 8601, C(2026-12-07T10:00:00Z)), whatever its expiry; the private key is kept unless O(rotate_keys).
        A certificate issued at or after it is left alone, so a second task with the same time changes nothing.
    type: str
  rotate_keys:
    description: With O(reissue_issued_before), the reissued certificates get new private keys too.
    type: bool
    default: false
  force:
    description:
      - Allow replacing an existing CA certificate or key that differs from the request, and replacing an
        unreadable private key. Does not reissue a certificate that already matches.
    type: bool
    default: false
  certificates:
    description:
      - Manage several certificates in one task, in order (put CAs before the certificates they sign). Each entry
        takes the options below; options it leaves out come from the top level. One invocation is much faster
        than a loop.
      - Results are returned per entry in RV(certificates); the top-level RV(fingerprint), RV(serial),
        RV(not_after) and RV(subject_alt_names) are then null.
    type: list
    elements: dict
    suboptions:
      path:
        description: Certificate file.
        type: path
        required: true
      privatekey_path:
        description: Private key file.
        type: path
        required: true
      common_name:
        description: Subject common name (CN).
        type: str
        required: true
      organizations:
        description: Subject organizations (O).
        type: list
        elements: str
      subject_alt_names:
        description: Subject alternative names, C(DNS:name) or C(IP:address).
        type: list
        elements: str
      usages:
        description: Extended key usages of a leaf certificate.
        type: list
        elements: str
        choices: [server, client]
      is_ca:
        description: Make a CA certificate.
        type: bool
      ca_cert_path:
        description: Certificate of the signing CA.
        type: path
      ca_privatekey_path:
        description: Private key of the signing CA.
        type: path
      valid_days:
        description: Validity of a newly issued certificate, in days.
        type: int
      renew_before_days:
        description: Reissue when the certificate expires within this many days.
        type: int
"""

EXAMPLES = r"""
- name: Kubernetes CA
  kubebin.cluster.x509_cert:
    path: /srv/pki/ca.crt
    privatekey_path: /srv/pki/ca.key
    common_name: kubernetes-ca
    is_ca: true
    valid_days: 3650
    renew_before_days: 365

- name: API server certificate
  kubebin.cluster.x509_cert:
    path: /srv/pki/apiserver.crt
    privatekey_path: /srv/pki/apiserver.key
    common_name: kube-apiserver
    usages: [server]
    subject_alt_names:
      - DNS:kubernetes
      - DNS:kubernetes.default
      - IP:10.96.0.1
      - IP:192.168.2.66
    ca_cert_path: /srv/pki/ca.crt
    ca_privatekey_path: /srv/pki/ca.key
"""

RETURN = r"""
certificates:
  description: With O(certificates), one result per entry, in order.
  returned: when O(certificates) is given
  type: list
  elements: dict
  contains:
    path:
      description: Certificate file.
      type: str
    changed:
      description: Whether this certificate or its key was (or would be) written or its attributes changed.
      type: bool
    reasons:
      description: Why it was (or would be) issued.
      type: list
      elements: str
    fingerprint:
      description: SHA-256 fingerprint, hex.
      type: str
    serial:
      description: Serial number, hex.
      type: str
    not_after:
      description: End of validity, UTC, ISO 8601.
      type: str
    subject_alt_names:
      description: Subject alternative names, normalized.
      type: list
      elements: str
    clamped:
      description: Whether this certificate was (or would be) issued with the CA's end of validity.
      type: bool
reasons:
  description: Why the certificate was (or, in check mode, would be) issued. Empty when nothing was issued.
  returned: always
  type: list
  elements: str
  sample: ["subject alternative names are ['IP:10.0.0.1'], want ['IP:10.0.0.2']"]
fingerprint:
  description: SHA-256 fingerprint of the certificate (DER), lower-case hex. Null in check mode before creation.
  returned: always
  type: str
  sample: 3f1c0d9e2b7a4c55e0f0d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6
serial:
  description: Serial number of the certificate, lower-case hex.
  returned: always
  type: str
  sample: 5a0c2d7e1f
not_after:
  description: End of validity, UTC, ISO 8601.
  returned: always
  type: str
  sample: "2027-01-01T00:00:00Z"
subject_alt_names:
  description: Subject alternative names of the certificate, normalized.
  returned: always
  type: list
  elements: str
  sample: ["DNS:kubernetes", "IP:10.96.0.1"]
clamped:
  description:
    - True when the certificate issued (or, in check mode, to be issued) by this task would have outlived its CA
      and its end of validity was set to the CA's instead. With O(certificates), true when any entry's was.
  returned: always
  type: bool
  sample: false
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kubebin.cluster.plugins.module_utils import _pki


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            privatekey_path=dict(type='path'),
            common_name=dict(type='str'),
            organizations=dict(type='list', elements='str', default=[]),
            subject_alt_names=dict(type='list', elements='str', default=[]),
            usages=dict(type='list', elements='str', choices=['server', 'client'], default=[]),
            is_ca=dict(type='bool', default=False),
            ca_cert_path=dict(type='path'),
            ca_privatekey_path=dict(type='path'),
            key_type=dict(type='str', choices=list(_pki.KEY_TYPES), default='ecdsa-p256'),
            valid_days=dict(type='int', default=365),
            renew_before_days=dict(type='int', default=30),
            force=dict(type='bool', default=False),
            reissue_issued_before=dict(type='str'),
            rotate_keys=dict(type='bool', default=False),
            certificates=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                privatekey_path=dict(type='path', required=True),
                common_name=dict(type='str', required=True),
                organizations=dict(type='list', elements='str'),
                subject_alt_names=dict(type='list', elements='str'),
                usages=dict(type='list', elements='str', choices=['server', 'client']),
                is_ca=dict(type='bool'),
                ca_cert_path=dict(type='path'),
                ca_privatekey_path=dict(type='path'),
                valid_days=dict(type='int'),
                renew_before_days=dict(type='int'),
            )),
        ),
        required_together=[('ca_cert_path', 'ca_privatekey_path')],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not _pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(_pki.CRYPTOGRAPHY_IMPORT_ERROR))
    try:
        result = _pki.ensure_certificate(module)
    except _pki.PkiError as e:
        module.fail_json(msg=str(e), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
