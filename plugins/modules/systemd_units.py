#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_units
short_description: Start, stop, restart, enable or disable several systemd units in one call
version_added: 0.1.0
description:
  - Reads every unit of O(units) with one C(systemctl show), then runs one C(systemctl) call per needed action
    (C(enable), C(disable), C(start), C(stop), C(restart)) for the units that need it, in that order. A host where
    everything is in place costs one remote call and no C(systemctl daemon-reload).
  - Runs C(systemctl daemon-reload) first only when systemd reports a unit it does not know (a unit file just
    written) or a unit whose file changed since it was loaded (C(NeedDaemonReload)).
  - Without O(state) and O(enabled) it only reads the units and returns their state.
author:
  - kubebin developers (@kubebin)
extends_documentation_fragment:
  - kubebin.cluster.attributes
  - kubebin.cluster.attributes.posix
attributes:
  check_mode:
    description: Reads the units and reports the actions it would run; runs neither them nor a daemon-reload.
options:
  units:
    description: Unit names with their suffix (V(kubelet.service), V(cri-docker.socket)); a bare name means C(.service).
    type: list
    elements: str
    required: true
  state:
    description:
      - V(started) starts the units that are not active or activating; V(stopped) stops those that are;
        V(restarted) restarts every unit. Omitted, no unit is started or stopped.
    type: str
    choices: [started, stopped, restarted]
  enabled:
    description:
      - V(true) enables the units that are not enabled (static units count as enabled), V(false) disables the
        enabled ones. Omitted, nothing is enabled or disabled.
    type: bool
  no_block:
    description:
      - Start, stop or restart without waiting for the job to finish (C(systemctl --no-block)), as for the members
        of a new etcd cluster, which become ready only together.
    type: bool
    default: false
  wait_url:
    description:
      - After it started or restarted a unit, GET this https URL until it answers 200 (a readiness check such as an
        API server's C(/readyz)), at most O(wait_timeout) seconds; fails naming the URL and the last error after
        that. With C(throttle=1) on the task, a restart rolls over the hosts one at a time.
      - Verified against O(wait_ca_path); without it only a loopback URL is accepted (a component's self-signed
        serving certificate).
    type: str
  wait_ca_path:
    description: CA bundle that must have signed the certificate of O(wait_url).
    type: path
  wait_client_cert:
    description: Client certificate for O(wait_url) (with O(wait_client_key)).
    type: path
  wait_client_key:
    description: Key of O(wait_client_cert).
    type: path
  wait_timeout:
    description: Seconds to wait for O(wait_url).
    type: int
    default: 120
  inputs:
    description:
      - What each unit runs from, a dict of unit name to a list of paths (its binary, unit file, configuration,
        certificates and kubeconfigs). With O(state=started), a running unit is restarted when one of its paths changed (its ctime)
        after the unit's main process started, so a change is applied even when it was written by another role,
        or by an earlier run that failed before its restart. The restarts happen in one C(systemctl restart) call
        (followed by O(wait_url)).
      - Every key must be one of O(units). A missing path counts as unchanged.
    type: dict
  missing:
    description:
      - What to do with a unit systemd does not know even after a daemon-reload. V(fail) fails and names it;
        V(ignore) leaves it out (for units that only some hosts have, such as C(firewalld) or C(ufw)).
    type: str
    choices: [fail, ignore]
    default: fail
"""

EXAMPLES = r"""
- name: Start and enable kubelet and kube-proxy (one remote call)
  kubebin.cluster.systemd_units:
    units: [kubelet, kube-proxy]
    state: started
    enabled: true

- name: Stop and disable whichever firewall service exists
  kubebin.cluster.systemd_units:
    units: [firewalld, ufw]
    state: stopped
    enabled: false
    missing: ignore

- name: Restart kube-apiserver one host at a time, each ready before the next
  kubebin.cluster.systemd_units:
    units: [kube-apiserver]
    state: restarted
    wait_url: https://127.0.0.1:6443/readyz
    wait_ca_path: /etc/kubernetes/pki/ca.crt
  throttle: 1
- name: Start kubelet, or restart it when its binary, unit, configuration or certificates changed since it started
  kubebin.cluster.systemd_units:
    units: [kubelet]
    state: started
    inputs:
      kubelet: [/usr/local/bin/kubelet, /etc/systemd/system/kubelet.service, /etc/kubernetes/kubelet-config.yaml]

- name: Read the state of etcd
  kubebin.cluster.systemd_units:
    units: [etcd]
    missing: ignore
  register: etcd_unit
"""

RETURN = r"""
units:
  description:
    - Every unit of O(units) after the actions (before them in check mode), by the name given, with C(load_state)
      (V(not-found) for an unknown unit), C(active_state), C(sub_state), C(unit_file_state), C(need_daemon_reload)
      C(in_place) (active and enabled, or static), C(started_monotonic) (CLOCK_MONOTONIC seconds of the main
      process's start; 0 when it never started) and, for the units of O(inputs), C(changed_inputs) (the paths
      changed since that start).
  returned: success
  type: dict
  sample: {kubelet: {load_state: loaded, active_state: active, sub_state: running, unit_file_state: enabled,
                     need_daemon_reload: false, in_place: true, started_monotonic: 5123.4, changed_inputs: []}}
actions:
  description: The systemctl actions run (or, in check mode, that would run), in order.
  returned: success
  type: list
  elements: dict
  sample: [{action: start, units: [kube-proxy]}]
daemon_reloaded:
  description: Whether a C(systemctl daemon-reload) ran first.
  returned: success
  type: bool
waited:
  description: Seconds until O(wait_url) answered 200 after a start or restart; null when nothing was waited for.
  returned: success
  type: float
  sample: 4.2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubebin.cluster.plugins.module_utils import _systemd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(type='list', elements='str', required=True),
            state=dict(type='str', choices=['started', 'stopped', 'restarted']),
            enabled=dict(type='bool'),
            missing=dict(type='str', choices=['fail', 'ignore'], default='fail'),
            no_block=dict(type='bool', default=False),
            wait_url=dict(type='str'),
            wait_ca_path=dict(type='path'),
            wait_client_cert=dict(type='path'),
            wait_client_key=dict(type='path', no_log=False),
            wait_timeout=dict(type='int', default=120),
            inputs=dict(type='dict'),
        ),
        supports_check_mode=True,
    )
    if not module.params['units'] or not all(u and u.strip() for u in module.params['units']):
        module.fail_json(msg='units: give at least one unit name, and no empty name')
    wait = {k[len('wait_'):]: v for k, v in module.params.items() if k.startswith('wait_')}
    problem = _systemd.check_inputs(module.params['inputs'], module.params['units']) or _systemd.check_wait(wait)
    if problem:
        module.fail_json(msg=problem)
    try:
        result = _systemd.ensure(module)
    except _systemd.SystemdError as e:
        module.fail_json(msg=str(e), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
