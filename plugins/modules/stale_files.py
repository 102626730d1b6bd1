#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stale_files
short_description: Find which of a set of files and directories on a host are missing or differ, in one call
version_added: 0.1.0
description:
  - Runs M(ansible.builtin.find) once on the host over the parent directories of O(files) (sha256 checksums,
    mode, owner, group) and compares the result on the controller.
  - Returns the paths that are missing or differ, so a role runs its M(ansible.builtin.template),
    M(ansible.builtin.copy) and M(ansible.builtin.file) tasks only for those. A host where everything is in place
    costs one remote call instead of two per file.
  - Never changes anything. Entry names are M(ansible.builtin.find) patterns, so they must not contain glob
    characters.
author:
  - kubebin developers (@kubebin)
extends_documentation_fragment:
  - kubebin.cluster.attributes.read_only
  - kubebin.cluster.attributes.posix
attributes:
  action:
    support: full
    description: An action plugin runs the comparison on the controller.
options:
  files:
    description:
      - The wanted files and directories. Each entry is a dict with C(path) (absolute) and optionally C(state)
        (V(file), the default, or V(directory)), C(mode) (an octal string), C(owner), C(group) and C(checksum) (the
        sha256 the file must have), C(content) (the text the file must hold, as for M(ansible.builtin.copy)) or
        C(template) (a template name, found and rendered like M(ansible.builtin.template) does with the task's
        variables, plus the entry itself as C(item)); the sha256 of C(content) or of the rendered template becomes the
        checksum.
      - An entry with C(src) (a file on the control node to copy) and C(checksum) that is missing or differs on the
        host is verified before anything is written, the control-node file must hash to C(checksum), else the
        action fails and names it (a corrupt bundle is never installed).
      - A field that is absent or null is not compared. Other keys are ignored, so the same list can drive the
        tasks that write the files.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the configuration files (one remote call)
  kubebin.cluster.stale_files:
    files:
      - path: /etc/etcd
        state: directory
        mode: "0755"
      - path: /etc/etcd/etcd.env
        template: etcd.env.j2
        mode: "0600"
        owner: root
      - path: /etc/etcd/marker.json
        checksum: "{{ marker_content | hash('sha256') }}"
  register: etcd_files

- name: Write the environment file only when it differs
  ansible.builtin.template:
    src: etcd.env.j2
    dest: /etc/etcd/etcd.env
    mode: "0600"
  when: "'/etc/etcd/etcd.env' in etcd_files.stale"
"""

RETURN = r"""
stale:
  description: The paths of O(files) that are missing or differ in type, mode, owner, group or checksum, in order.
  returned: success
  type: list
  elements: str
  sample: [/etc/etcd/etcd.env]
checksums:
  description:
    - The wanted sha256 of every entry that has one (given as C(checksum), or of its C(content) or rendered
      C(template)), by path, so the caller can record what it installs without computing it again.
  returned: success
  type: dict
  sample: {/etc/etcd/etcd.env: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}
"""
