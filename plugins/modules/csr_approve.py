#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: csr_approve
short_description: Approve kubelet CertificateSigningRequests after checking them against the node inventory
description:
  - Lists the cluster's CertificateSigningRequests (C(certificates.k8s.io/v1)) with the admin kubeconfig and decides
    each one that has no Approved or Denied condition yet.
  - A C(kubernetes.io/kubelet-serving) CSR is approved only when the requester is C(system:node:<name>) in group
    C(system:nodes), C(<name>) is in O(nodes), the subject is exactly CN C(system:node:<name>) and O C(system:nodes),
    the usages are C(server auth) plus optionally C(digital signature) and C(key encipherment), and every SAN is one
    of that node's own names or IPs from O(nodes). Service IPs, C(kubernetes*), C(*.svc), C(*.cluster.local) and
    wildcard names are never approved.
  - A C(kubernetes.io/kube-apiserver-client-kubelet) CSR (TLS bootstrapping) is approved only when
    O(approve_client_csrs=true), the requester is a bootstrap token user C(system:bootstrap:<token-id>) in both
    groups C(system:bootstrappers) and O(bootstrap_group), the token id is mapped to that node in
    O(bootstrap_token_nodes), the subject is CN C(system:node:<name>) for a node in O(nodes) with O exactly
    C(system:nodes), there are no SANs, and the usages are C(client auth) plus optionally C(digital signature) and
    C(key encipherment). Client CSRs from nodes renewing their own certificate are left to kube-controller-manager.
  - For both kinds, node names and DNS SANs are compared exactly (a trailing dot on a SAN is ignored); a requester,
    CN or SAN that names a node of O(nodes) in another case is denied. The request may carry no extension but
    subjectAltName (and basicConstraints with CA:FALSE), the subjectAltName only DNS and IP names (email, URI,
    registered ID, otherName and directory names are denied), and C(spec.expirationSeconds), when set, must not
    exceed O(max_expiration_seconds).
  - CSRs of any other signer, CSRs that already carry an Approved or Denied condition, and CSRs that concern no node in
    O(nodes) are ignored.
  - A CSR that concerns a node in O(nodes) (by requester or subject) and fails a check is denied when O(deny=true),
    with the failed check as the condition message, so that C(kubectl get csr) shows why.
  - Approval and denial are PUTs to the C(approval) subresource with reason C(KubebinCSRApprove).
version_added: 0.1.0
author:
  - kubebin developers (@kubebin)
requirements:
  - cryptography (on the host the module runs on; run it with C(delegate_to) the control node when the nodes lack it)
  - PyYAML, unless the kubeconfig is written in JSON
notes:
  - Kubernetes garbage-collects issued CSRs after an hour. List in O(wait_for) only nodes that do not have a serving
    certificate yet, or the wait times out on a later run although nothing is wrong.
  - The kubeconfig may embed its certificates (C(*-data)) or point at files; a client certificate and key or a token
    authenticate. C(insecure-skip-tls-verify), C(exec) and C(auth-provider) are refused. Proxy environment variables
    are ignored.
extends_documentation_fragment:
  - kubebin.cluster.attributes
attributes:
  check_mode:
    description: Decisions are computed and returned; nothing is approved or denied and there is no waiting.
  diff_mode:
    description: The diff shows each CSR that would change, from C(Pending) to C(Approved) or C(Denied).
options:
  kubeconfig:
    description: Path of the admin kubeconfig on the host the module runs on.
    type: path
    required: true
  nodes:
    description:
      - The nodes whose CSRs may be approved, as named in the inventory.
      - A node's own name always counts as one of its DNS names.
      - Names and DNS addresses must be lowercase, and no IP or DNS name may belong to two nodes (a node listing
        another node's name or IP); the module fails naming both nodes otherwise.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The Kubernetes node name (the kubelet's hostname or C(--hostname-override)).
        type: str
        required: true
      addresses:
        description: The node's IP addresses and DNS names that its serving certificate may carry.
        type: list
        elements: str
        default: []
  approve_client_csrs:
    description:
      - Approve kubelet client CSRs made with a bootstrap token (the tutorial's C(kubectl certificate approve
        node-csr-...) step). Leave false when kube-controller-manager's approver handles them through RBAC.
    type: bool
    default: false
  deny:
    description:
      - Deny CSRs for nodes in O(nodes) that fail validation, with the reason as the condition message.
      - When false they stay Pending and are returned in RV(ignored).
    type: bool
    default: true
  service_cidr:
    description:
      - The service IP range (comma-separated for dual stack). A node address in it is refused as bad input.
    type: str
    default: 10.96.0.0/12
  wait_for:
    description:
      - Node names (each also in O(nodes)) whose serving CSR must be approved before the module returns.
      - The module polls until each has an approved C(kubernetes.io/kubelet-serving) CSR, or one of its CSRs failed
        validation, or O(timeout) passed; then it fails naming the nodes that never sent an acceptable CSR.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait for O(wait_for).
    type: int
    default: 300
  poll_interval:
    description: Seconds between two listings of the CSRs while waiting.
    type: int
    default: 5
  max_expiration_seconds:
    description:
      - Deny a CSR (of either kind) whose C(spec.expirationSeconds) is above this many seconds. A CSR without
        C(spec.expirationSeconds) gets the signer's own duration (kube-controller-manager's
        C(--cluster-signing-duration)) and is not affected.
      - Must be greater than 0. The default is one year.
    type: int
    default: 31536000
  bootstrap_group:
    description:
      - The extra group of the bootstrap token the kubelets join with (the control_plane role's
        C(kubebin_bootstrap_token_group)). A client CSR is approved only when its requester is in
        C(system:bootstrappers) and in this group, so a bootstrap token made for another purpose cannot get a
        node certificate.
      - Must be of the form C(system:bootstrappers:<lowercase name>).
    type: str
    default: system:bootstrappers:kubebin:default-node-token
  bootstrap_token_nodes:
    description:
      - Token id (the 6 characters before the dot of C(<id>.<secret>)) to the node name it was issued to (the node
        role makes one token per joining node). A client CSR from C(system:bootstrap:<id>) is approved only when
        C(<id>) is a key and maps to the node of the CSR's CN; a token of another node is denied naming both, also
        when the CSR asks for a name outside O(nodes), and a token id that is not a key is denied.
      - Token ids must match C(^[a-z0-9]{6}$) and node names must be in O(nodes).
      - When empty, no bootstrap CSR is approved.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Approve the kubelet CSRs of the joining nodes
  kubebin.cluster.csr_approve:
    kubeconfig: /etc/kubernetes/admin.kubeconfig
    nodes:
      - name: node01
        addresses: [192.168.10.12]
      - name: node02
        addresses: [192.168.10.13, node02.example.internal]
    approve_client_csrs: true
    bootstrap_token_nodes:
      abc123: node01
      def456: node02
    wait_for: [node01, node02]
    timeout: 300
  delegate_to: localhost
  run_once: true

- name: Approve bootstrap CSRs only for the node each token was issued to
  kubebin.cluster.csr_approve:
    kubeconfig: /etc/kubernetes/admin.kubeconfig
    nodes:
      - name: node01
        addresses: [192.168.10.12]
      - name: node02
        addresses: [192.168.10.13]
    approve_client_csrs: true
    bootstrap_group: system:bootstrappers:kubebin:default-node-token
    bootstrap_token_nodes:
      abc123: node01
      def456: node02
    max_expiration_seconds: 2592000
  delegate_to: localhost
  run_once: true

- name: Only report what would be decided, never deny
  kubebin.cluster.csr_approve:
    kubeconfig: /etc/kubernetes/admin.kubeconfig
    nodes:
      - name: node01
        addresses: [192.168.10.12]
    deny: false
  check_mode: true
  register: csr_report
"""

RETURN = r"""
approved:
  description: CSRs approved by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The CSR's name.
      type: str
      sample: csr-8x2lq
    signer:
      description: The CSR's signerName.
      type: str
      sample: kubernetes.io/kubelet-serving
    requester:
      description: The user that created the CSR.
      type: str
      sample: system:node:node01
    reason:
      description: Why it was decided this way.
      type: str
      sample: serving certificate for node01 with SANs node01, 192.168.10.12
denied:
  description: CSRs denied by this run (or that would be), same fields as RV(approved).
  returned: always
  type: list
  elements: dict
  sample: [{name: csr-abcde, signer: kubernetes.io/kubelet-serving, requester: "system:node:node01",
            reason: "SAN IP 192.168.10.13 is not an address of node01 (it belongs to node02)"}]
ignored:
  description: CSRs left as they are, same fields as RV(approved).
  returned: always
  type: list
  elements: dict
  sample: [{name: node-csr-x1, signer: kubernetes.io/kube-apiserver-client-kubelet, requester: "system:bootstrap:abcdef",
            reason: approve_client_csrs is false}]
missing:
  description: Nodes of O(wait_for) without an approved serving CSR (in check mode, counting would-be approvals).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kubebin.cluster.plugins.module_utils import _csr, _kube


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubeconfig=dict(type='path', required=True),
            nodes=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                addresses=dict(type='list', elements='str', default=[]),
            )),
            approve_client_csrs=dict(type='bool', default=False),
            deny=dict(type='bool', default=True),
            service_cidr=dict(type='str', default='10.96.0.0/12'),
            wait_for=dict(type='list', elements='str', default=[]),
            timeout=dict(type='int', default=300),
            poll_interval=dict(type='int', default=5),
            max_expiration_seconds=dict(type='int', default=_csr.DEFAULT_MAX_EXPIRATION_SECONDS),
            bootstrap_group=dict(type='str', default=_csr.DEFAULT_BOOTSTRAP_GROUP),
            # token ids are the public half of <id>.<secret>
            bootstrap_token_nodes=dict(type='dict', default={}, no_log=False),
        ),
        supports_check_mode=True,
    )
    if not _csr.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography', reason='to read certificate signing requests'))
    p = module.params
    if p['timeout'] < 0 or p['poll_interval'] < 1:
        module.fail_json(msg='timeout must be >= 0 and poll_interval >= 1 (got %s and %s)' % (p['timeout'], p['poll_interval']))
    try:
        inv = _csr.node_inventory(p['nodes'], _csr.parse_cidrs(p['service_cidr']))
        rules = _csr.check_rules(inv, p['max_expiration_seconds'], p['bootstrap_group'], p['bootstrap_token_nodes'])
        api = _csr.KubeCSRApi(_kube.KubeClient.from_kubeconfig(p['kubeconfig']))
        result = _csr.reconcile(api, inv, approve_client_csrs=p['approve_client_csrs'], deny=p['deny'],
                                wait_for=p['wait_for'], timeout=p['timeout'], poll_interval=p['poll_interval'],
                                check_mode=module.check_mode, rules=rules)
    except (_csr.InputError, _kube.KubeError) as exc:
        module.fail_json(msg=str(exc))

    rejected, silent, timed_out = result.pop('rejected'), result.pop('silent'), result.pop('timed_out')
    changes = [(i['name'], 'Approved') for i in result['approved']] + [(i['name'], 'Denied') for i in result['denied']]
    result['changed'] = bool(changes)
    if module._diff:
        result['diff'] = {'before': dict((n, 'Pending') for n, _s in changes), 'after': dict(changes)}
    if result['missing'] and not module.check_mode:
        parts = []
        within = 'within %ss' % p['timeout'] if timed_out else 'yet'
        if silent:
            parts.append('these nodes sent no kubelet-serving CSR %s: %s (is their kubelet running and bootstrapped?)'
                         % (within, ', '.join(silent)))
        unacceptable = [n for n in result['missing'] if n not in rejected and n not in silent]
        if unacceptable:
            parts.append('these nodes sent kubelet-serving CSRs but none was approved %s: %s (see ignored)'
                         % (within, ', '.join(unacceptable)))
        for node, reason in sorted(rejected.items()):
            parts.append('the serving CSR of %s failed validation: %s' % (node, reason))
        module.fail_json(msg='; '.join(parts), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
