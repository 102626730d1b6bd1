#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: read_state
short_description: Read paths, small files and systemd units of a host in one call
version_added: 0.1.0
description:
  - Returns whether each path of O(paths) exists and what it is, the text of each file of O(read), and the state
    of each unit of O(units), from one remote call. A role reads what it needs to decide with this module instead
    of one M(ansible.builtin.stat), M(ansible.builtin.slurp) or M(ansible.builtin.systemd_service) task per item.
  - Never changes anything.
author:
  - kubebin developers (@kubebin)
extends_documentation_fragment:
  - kubebin.cluster.attributes.read_only
  - kubebin.cluster.attributes.posix
options:
  paths:
    description: Absolute paths to look at (symlinks are followed).
    type: list
    elements: path
    default: []
  read:
    description:
      - Absolute paths of text files to read (at most 1 MiB each). A missing file is reported with an empty
        content; a path that exists but is not a regular file fails.
    type: list
    elements: path
    default: []
  units:
    description: systemd units to read (a bare name means C(.service)); no daemon-reload, nothing is started.
    type: list
    elements: str
    default: []
  packages:
    description:
      - Package names to look up in the package database (C(dpkg-query) on the Debian family, C(rpm) on the RHEL
        family), so that a role runs the package manager only for the missing ones.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read the etcd data directory, marker, environment file and unit (one remote call)
  kubebin.cluster.read_state:
    paths: [/var/lib/etcd/member]
    read: [/var/lib/etcd.marker.json, /etc/etcd/etcd.env]
    units: [etcd]
  register: etcd_host

- name: Use it
  ansible.builtin.debug:
    msg: >-
      data: {{ etcd_host.files['/var/lib/etcd/member'].exists }},
      running: {{ etcd_host.units.etcd.active_state == 'active' }},
      env: {{ etcd_host.files['/etc/etcd/etcd.env'].content | length }} characters
"""

RETURN = r"""
files:
  description:
    - Every path of O(paths) and O(read) with C(exists), C(type) (V(file), V(directory), V(other) or V(missing)) and
      C(mode) (octal string, null when missing); the paths of O(read) also have C(content) (text, '' when missing).
  returned: success
  type: dict
  sample: {/etc/etcd/etcd.env: {exists: true, type: file, mode: "0600", content: "ETCD_NAME=master01\n"}}
units:
  description:
    - Every unit of O(units) with C(load_state) (V(not-found) when systemd does not know it), C(active_state),
      C(sub_state), C(unit_file_state), C(need_daemon_reload) and C(in_place) (active and enabled, or static).
  returned: success
  type: dict
  sample: {etcd: {load_state: loaded, active_state: active, sub_state: running, unit_file_state: enabled,
                  need_daemon_reload: false, in_place: true}}
packages:
  description: Every package of O(packages) with its installed version, or '' when it is not installed.
  returned: success
  type: dict
  sample: {conntrack: "1:1.4.7-1+b2", ipvsadm: ""}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubebin.cluster.plugins.module_utils import _host_state, _systemd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', default=[]),
            read=dict(type='list', elements='path', default=[]),
            units=dict(type='list', elements='str', default=[]),
            packages=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        result = _host_state.read(module)
    except (_host_state.ReadError, _systemd.SystemdError) as e:
        module.fail_json(msg=str(e))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
