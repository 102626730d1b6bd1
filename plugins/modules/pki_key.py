#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pki_key
short_description: Keep a private key (with its public key) or a random secret, never regenerated once present
version_added: 0.1.0
description:
  - O(type=private_key) creates a private key (for example the Kubernetes service-account signing key) and, with
    O(public_path), writes its public key next to it, re-deriving it whenever it is missing or does not match.
  - O(type=random) creates O(size) random bytes, base64 encoded on one line (for example the key of an
    EncryptionConfiguration for encryption at rest).
  - An existing key or secret is never replaced unless O(force=true); an unreadable one fails the task.
  - Files are written mode 0600 through a temporary file and an atomic move; no key material appears in results,
    diffs or logs.
author:
  - kubebin developers (@kubebin)
requirements:
  - cryptography >= 40 for O(type=private_key)
extends_documentation_fragment:
  - ansible.builtin.files
  - kubebin.cluster.attributes
  - kubebin.cluster.attributes.posix
attributes:
  diff_mode:
    description: Shows whether the file is present (never its content).
options:
  path:
    description: The private key or secret file. Its directory must exist. Mode is always 0600.
    type: path
    required: true
  type:
    description: What to keep at O(path).
    type: str
    choices: [private_key, random]
    default: private_key
  key_type:
    description: Algorithm and size of a private key (O(type=private_key)).
    type: str
    choices: [ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096]
    default: rsa-2048
  public_path:
    description: Where to write the public key (PEM, SubjectPublicKeyInfo, mode 0644). O(type=private_key) only.
    type: path
  size:
    description: Number of random bytes (O(type=random)).
    type: int
    default: 32
  force:
    description: Replace an unreadable key or secret, or one of another type or size.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Service-account key pair
  kubebin.cluster.pki_key:
    path: /srv/pki/sa.key
    public_path: /srv/pki/sa.pub

- name: Encryption-at-rest key (32 bytes, base64)
  kubebin.cluster.pki_key:
    path: /srv/pki/encryption-at-rest.key
    type: random
"""

RETURN = r"""
reasons:
  description: Why a file was (or, in check mode, would be) written. Empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["private key does not exist"]
public_key_fingerprint:
  description: SHA-256 of the public key (DER SubjectPublicKeyInfo), hex. Null in check mode before creation.
  returned: when O(type=private_key)
  type: str
  sample: 0b5e3f7d9a1c2e4f6a8b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7
size:
  description: Number of random bytes of the secret.
  returned: when O(type=random)
  type: int
  sample: 32
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kubebin.cluster.plugins.module_utils import _pki


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            type=dict(type='str', choices=['private_key', 'random'], default='private_key'),
            key_type=dict(type='str', choices=list(_pki.KEY_TYPES), default='rsa-2048'),
            public_path=dict(type='path'),
            size=dict(type='int', default=32),
            force=dict(type='bool', default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if module.params['type'] == 'private_key' and not _pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=str(_pki.CRYPTOGRAPHY_IMPORT_ERROR))
    try:
        result = _pki.ensure_key(module)
    except _pki.PkiError as e:
        module.fail_json(msg='%s: %s' % (module.params['path'], e), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
