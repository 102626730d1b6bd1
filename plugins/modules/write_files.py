#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: write_files
short_description: Write several files and directories on a host in one call, each file atomically
version_added: 0.2.0
description:
  - Brings every entry of O(files) in place with one module call on the host, where M(ansible.builtin.copy) and
    M(ansible.builtin.template) cost about three remote calls per file. The kubebin files step
    (C(roles/kubebin/tasks/files.yml)) runs it for the entries M(kubebin.cluster.stale_files) found missing or
    different.
  - Each file is written to a temporary file in its directory whose mode and owner are set before any byte is
    written, then synced and renamed into place, so a key never exists with a wider mode and a reader never sees half
    a file. A file whose content is right but whose mode or owner differ only gets those fixed.
  - The content comes from the entry's C(content) (text), C(template) (rendered on the controller like
    M(ansible.builtin.template), with the entry as C(item)) or C(src) (a control-node file; verified against the
    entry's C(checksum) first when it has one; up to 256 KiB it is sent inline, a larger one is transferred first).
author:
  - kubebin developers (@kubebin)
extends_documentation_fragment:
  - kubebin.cluster.attributes
  - kubebin.cluster.attributes.posix
attributes:
  action:
    support: full
    description: An action plugin renders templates, reads control-node files and stages large ones.
  check_mode:
    description: Compares every entry and reports what would be written; writes nothing.
  diff_mode:
    description: Returns a diff of each changed text file up to 64 KiB (use C(no_log) and C(diff=false) for secrets).
options:
  files:
    description:
      - The entries, each a dict with C(path) (absolute), C(state) (V(file), the default, or V(directory)), C(mode)
        (an octal string, required), C(owner) and C(group) (default V(root)), and for a file one of C(content),
        C(template) or C(src) (with an optional C(checksum), its sha256). Other keys (such as C(notify) or
        C(secret) of the kubebin files step) are ignored.
      - Directories are made first (missing parents 0755), then the files in order.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the etcd directory and files (one remote call)
  kubebin.cluster.write_files:
    files:
      - {path: /etc/etcd, state: directory, mode: "0755"}
      - {path: /etc/etcd/etcd.env, template: etcd.env.j2, mode: "0600"}
      - {path: /etc/etcd/pki/ca.crt, src: "{{ pki_dir }}/etcd/ca.crt", mode: "0644"}
  notify: Restart etcd

- name: Write a key (never logged)
  kubebin.cluster.write_files:
    files:
      - {path: /etc/kubernetes/pki/sa.key, src: "{{ pki_dir }}/sa.key", mode: "0600"}
  no_log: true
  diff: false
"""

RETURN = r"""
written:
  description: The paths written or fixed (in check mode, that would be), directories first.
  returned: success
  type: list
  elements: str
  sample: [/etc/etcd, /etc/etcd/etcd.env]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubebin.cluster.plugins.module_utils import _write_files


def main():
    module = AnsibleModule(
        argument_spec=dict(files=dict(type='list', elements='dict', required=True)),
        supports_check_mode=True,
    )
    try:
        result = _write_files.write(module.params['files'], module.check_mode, module._diff)
    except _write_files.WriteError as e:
        module.fail_json(msg='write_files: %s' % e, changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
