#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cert_report
short_description: List the X.509 certificates under some paths with their expiry
version_added: 0.2.0
description:
  - Returns one entry per certificate found under O(paths), in PEM files (a file with several certificates gives
    one entry each) and embedded in kubeconfigs (each cluster's C(certificate-authority-data) and each user's
    C(client-certificate-data)).
  - Directories are walked; symlinks inside them are skipped (nothing outside the directory is read, a target
    inside it is reported under its own name). A path given in O(paths) is followed when it is a symlink.
  - Files that hold no certificate (keys, certificate requests, other YAML) are skipped, and so are files named
    C(*.key), which are not even read. A file named C(*.crt), C(*.pem) or C(*.cer) without a certificate, an
    unreadable file or a garbled certificate gives an entry with an C(error) instead of failing the task.
  - Nothing but certificates is returned; a private key stored next to a certificate in one file (a kubelet's
    C(kubelet-client-current.pem)) never appears in the result.
  - Decoding needs C(cryptography). On a host without it, run with O(decode=false) and pass the results to a run
    on the control node in O(found) (as C(playbooks/cert-report.yml) does).
  - Never changes anything.
author:
  - kubebin developers (@kubebin)
requirements:
  - cryptography >= 42 where O(decode=true) (normally the control node); nothing with O(decode=false)
  - PyYAML is used for kubeconfigs when installed; without it a block-style kubeconfig is read line by line
extends_documentation_fragment:
  - kubebin.cluster.attributes.read_only
  - kubebin.cluster.attributes.posix
options:
  paths:
    description: Absolute paths of files or directories to look at; a path that does not exist is listed in RV(missing).
    type: list
    elements: path
    default: []
  decode:
    description:
      - Decode each certificate (C(subject), C(not_after), ...). With V(false) each entry carries the certificate's
        PEM text in C(pem) instead, and C(cryptography) is not needed.
    type: bool
    default: true
  found:
    description:
      - The RV(certificates) of O(decode=false) runs, keyed by host name, to decode here; each
        entry gets its C(host).
    type: dict
    default: {}
  host:
    description: A C(host) to add to each entry found under O(paths) (V(localhost) for the control node in a report).
    type: str
  threshold_days:
    description: Return in RV(expiring) the certificates whose C(days_left) is below this.
    type: float
"""

EXAMPLES = r"""
- name: List the certificates of the control node's PKI and warn about those that expire within 30 days
  kubebin.cluster.cert_report:
    paths: [/srv/inventory/.kubebin/kubebin/pki]
    threshold_days: 30
  register: certs

- name: Show them
  ansible.builtin.debug:
    msg: "{{ certs.table + ['expiring:'] + certs.expiring }}"

# Hosts without cryptography: find there, decode on the control node.
- name: Find the certificates of each host
  kubebin.cluster.cert_report:
    paths: [/etc/kubernetes, /etc/etcd/pki, /var/lib/kubelet/pki/kubelet-client-current.pem]
    decode: false
  register: host_certs

- name: Decode every host's certificates on the control node
  kubebin.cluster.cert_report:
    found: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['host_certs', 'certificates']))) }}"
  delegate_to: localhost
  run_once: true
  register: report
"""

RETURN = r"""
certificates:
  description:
    - One entry per certificate, errors first, then by C(days_left), C(host) and C(path).
    - Each has C(path), C(source) (V(pem) or V(kubeconfig)), C(name) (kubeconfig only, the cluster or user name),
      C(host) (with O(host) or from O(found)), and either C(error) or C(subject), C(issuer) (RFC 4514),
      C(serial) (hex), C(not_before), C(not_after) (ISO 8601 UTC), C(days_left) (float, 1 decimal) and C(is_ca).
    - With O(decode=false), C(pem) (the certificate only) in place of the decoded fields, in file order.
  returned: success
  type: list
  elements: dict
  sample:
    - path: /etc/kubernetes/pki/apiserver.crt
      source: pem
      subject: CN=kube-apiserver
      issuer: CN=kubernetes-ca
      serial: 5f1c0d2e9a
      not_before: "2026-01-05T09:55:00Z"
      not_after: "2027-01-05T10:00:00Z"
      days_left: 28.9
      is_ca: false
    - path: /root/.kube/config
      source: kubeconfig
      name: admin
      error: the embedded data of admin is not a base64 PEM certificate
missing:
  description: The paths of O(paths) that do not exist.
  returned: success
  type: list
  elements: str
  sample: [/etc/etcd/pki]
table:
  description: The decoded entries as readable lines (host, path[/name], subject, issuer, days left or the error).
  returned: when O(decode=true)
  type: list
  elements: str
expiring:
  description: One line per certificate whose C(days_left) is below O(threshold_days) (host:path[/name], subject, days).
  returned: when O(threshold_days) is set and O(decode=true)
  type: list
  elements: str
  sample: ["node01:/etc/kubernetes/pki/kube-proxy.crt (CN=system:kube-proxy, 12.3 days left)"]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kubebin.cluster.plugins.module_utils import _cert_report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', default=[]),
            decode=dict(type='bool', default=True),
            found=dict(type='dict', default={}),
            host=dict(type='str'),
            threshold_days=dict(type='float'),
        ),
        supports_check_mode=True,
    )
    if module.params['decode'] and not _cert_report.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography') + '; or run with decode=false and decode the result '
                         'on the control node (option found)', exception=str(_cert_report.CRYPTOGRAPHY_IMPORT_ERROR))
    try:
        result = _cert_report.report(module.params)
    except _cert_report.ReportError as e:
        module.fail_json(msg=str(e))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
