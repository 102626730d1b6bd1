#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeconfig
short_description: Write a kubeconfig with one cluster, one user and one context, data embedded
version_added: 0.1.0
description:
  - Writes a kubeconfig whose cluster has O(server) and the CA certificate, whose user authenticates with a client
    certificate and key or with a bearer token, and whose only context is the current one.
  - Certificates and keys are embedded (C(*-data) fields), so the file stands alone. The output is deterministic;
    the file is rewritten only when its content differs.
  - The file is created mode 0600 through a temporary file and an atomic move. O(mode) may only make it stricter
    (for example 0400) because the file embeds a client key or a token; a mode that gives group or others any
    permission (0644, 0640, C(g+r), ...) fails the task naming the mode and the fix (0600).
    The token and the client key never appear in results, diffs or logs.
  - With C(cryptography) available, the CA and the client certificate and key are checked (readable, matching).
author:
  - kubebin developers (@kubebin)
extends_documentation_fragment:
  - ansible.builtin.files
  - kubebin.cluster.attributes
  - kubebin.cluster.attributes.posix
attributes:
  diff_mode:
    description: Shows the kubeconfig before and after with the client key and token redacted.
options:
  path:
    description: The kubeconfig file. Its directory must exist. Required unless O(kubeconfigs) is given.
    type: path
  server:
    description: API server URL, C(https://host:port). Required unless O(kubeconfigs) is given.
    type: str
  cluster_name:
    description: Name of the cluster entry.
    type: str
    default: kubernetes
  user_name:
    description: Name of the user entry. Required unless O(kubeconfigs) is given.
    type: str
  context_name:
    description: Name of the context. Defaults to C(user_name@cluster_name).
    type: str
  ca_cert_path:
    description: CA certificate file (PEM) that signed the API server certificate.
    type: path
  ca_cert_data:
    description: CA certificate (PEM text) instead of O(ca_cert_path).
    type: str
  client_cert_path:
    description: Client certificate file (PEM).
    type: path
  client_cert_data:
    description: Client certificate (PEM text) instead of O(client_cert_path).
    type: str
  client_key_path:
    description: Client private key file (PEM).
    type: path
  client_key_data:
    description: Client private key (PEM text) instead of O(client_key_path).
    type: str
  token:
    description: Bearer token (for example a bootstrap token) instead of a client certificate.
    type: str
  kubeconfigs:
    description:
      - Write several kubeconfigs in one task. Each entry takes the options below; options it leaves out come from
        the top level (typically O(cluster_name) and the CA). Much faster than a loop.
    type: list
    elements: dict
    suboptions:
      path:
        description: The kubeconfig file.
        type: path
        required: true
      server:
        description: API server URL.
        type: str
      user_name:
        description: Name of the user entry.
        type: str
        required: true
      context_name:
        description: Name of the context.
        type: str
      client_cert_path:
        description: Client certificate file (PEM).
        type: path
      client_key_path:
        description: Client private key file (PEM).
        type: path
      token:
        description: Bearer token instead of a client certificate.
        type: str
"""

EXAMPLES = r"""
- name: kube-proxy kubeconfig
  kubebin.cluster.kubeconfig:
    path: /srv/pki/kube-proxy.kubeconfig
    server: https://192.168.2.66:6443
    cluster_name: kubebin
    user_name: system:kube-proxy
    ca_cert_path: /srv/pki/ca.crt
    client_cert_path: /srv/pki/kube-proxy.crt
    client_key_path: /srv/pki/kube-proxy.key

- name: Bootstrap kubeconfig with a token
  kubebin.cluster.kubeconfig:
    path: /etc/kubernetes/bootstrap-kubelet.kubeconfig
    server: https://192.168.2.66:6443
    user_name: kubelet-bootstrap
    ca_cert_path: /etc/kubernetes/pki/ca.crt
    token: "{{ bootstrap_token }}"
"""

RETURN = r"""
context:
  description: Name of the (current) context. Null with O(kubeconfigs).
  returned: always
  type: str
  sample: system:kube-proxy@kubebin
kubeconfigs:
  description: With O(kubeconfigs), one result per entry, in order.
  returned: when O(kubeconfigs) is given
  type: list
  elements: dict
  contains:
    path:
      description: The kubeconfig file.
      type: str
    changed:
      description: Whether the file was (or would be) written or its attributes changed.
      type: bool
    context:
      description: Name of the context.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubebin.cluster.plugins.module_utils import _kubeconfig


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            server=dict(type='str'),
            cluster_name=dict(type='str', default='kubernetes'),
            user_name=dict(type='str'),
            context_name=dict(type='str'),
            ca_cert_path=dict(type='path'),
            ca_cert_data=dict(type='str'),
            client_cert_path=dict(type='path'),
            client_cert_data=dict(type='str'),
            client_key_path=dict(type='path', no_log=False),
            client_key_data=dict(type='str', no_log=True),
            token=dict(type='str', no_log=True),
            kubeconfigs=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                server=dict(type='str'),
                user_name=dict(type='str', required=True),
                context_name=dict(type='str'),
                client_cert_path=dict(type='path'),
                client_key_path=dict(type='path', no_log=False),
                token=dict(type='str', no_log=True),
            )),
        ),
        mutually_exclusive=[
            ('ca_cert_path', 'ca_cert_data'),
            ('client_cert_path', 'client_cert_data'),
            ('client_key_path', 'client_key_data'),
            ('token', 'client_cert_path'), ('token', 'client_cert_data'),
            ('token', 'client_key_path'), ('token', 'client_key_data'),
        ],
        required_one_of=[('ca_cert_path', 'ca_cert_data')],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    try:
        result = _kubeconfig.ensure_kubeconfig(module)
    except _kubeconfig.KubeconfigError as e:
        module.fail_json(msg=str(e), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
