# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubebin-csr-approver service: csr_approve's checks on kubelet serving CSRs as they arrive, without Ansible.

The role kubebin.cluster.csr_approver installs this file with _csr.py and _kube.py on the control-plane hosts and runs

    python3 -m ansible_collections.kubebin.cluster.plugins.module_utils._csr_approver \\
        --kubeconfig FILE --nodes FILE --service-cidr CIDR --interval 5

``run_pass`` is one ``_csr.reconcile`` over the CSRs: serving CSRs of the nodes in the nodes file are approved or
denied exactly as the module does it, client CSRs are left alone (approve_client_csrs false: kube-controller-manager
approves the kubelets' own client renewals), and a CSR already decided is skipped. ``serve`` repeats it every
``interval`` seconds until stopped, logging an error and trying again at the next pass. Several copies may run at
once (one per control-plane host): an approval that loses the race gets 409 Conflict, which reconcile tolerates.
Standard library, _csr and _kube only: no Ansible on the host.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from ansible_collections.kubebin.cluster.plugins.module_utils import _csr, _kube

LOG = logging.getLogger('kubebin-csr-approver')


def load_nodes(path, service_cidr=''):
    """The node inventory of the JSON file ``path`` (a list of {name, addresses}, as the csr_approve option)."""
    with open(path, encoding='utf-8') as f:
        nodes = json.load(f)
    return _csr.node_inventory(nodes, _csr.parse_cidrs(service_cidr))


def run_pass(api, inv, rules=None, logged=None, log=LOG):
    """One pass: decide every CSR and approve or deny the serving CSRs of ``inv``; returns reconcile's result.

    Logs one line per approval and denial, and one per CSR left alone, once for each reason (``logged``:
    {name: reason} carried from pass to pass). Raises what reconcile raises (_kube.KubeError).
    """
    out = _csr.reconcile(api, inv, approve_client_csrs=False, deny=True, rules=rules)
    for verb in ('approved', 'denied'):
        for item in out[verb]:
            log.info('%s %s (%s, %s): %s', verb, item['name'], item['requester'], item['signer'], item['reason'])
    logged = {} if logged is None else logged
    for item in out['ignored']:
        if logged.get(item['name']) != item['reason']:
            log.info('left alone %s (%s, %s): %s', item['name'], item['requester'], item['signer'], item['reason'])
    names = {item['name'] for verb in ('approved', 'denied', 'ignored') for item in out[verb]}
    for name in set(logged) - names:
        del logged[name]    # deleted by the API's garbage collector
    logged.update((item['name'], item['reason']) for item in out['ignored'])
    return out


def serve(api, inv, interval, stop, rules=None, log=LOG):
    """Run a pass every ``interval`` seconds until ``stop`` (a threading.Event) is set. Returns the number of passes."""
    logged, passes = {}, 0
    while not stop.is_set():
        passes += 1
        try:
            run_pass(api, inv, rules, logged, log)
        except Exception as exc:  # the API down, a timeout, an unexpected answer: log it and try again
            log.error('pass failed, next try in %ss: %s', interval, exc)
        stop.wait(interval)
    return passes


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='kubebin-csr-approver', description=__doc__.split('\n', 1)[0])
    parser.add_argument('--kubeconfig', required=True, help='kubeconfig of the user kubebin:csr-approver')
    parser.add_argument('--nodes', required=True, help='JSON file: [{"name": ..., "addresses": [...]}, ...]')
    parser.add_argument('--service-cidr', default='10.96.0.0/12', help='a node address inside it is refused')
    parser.add_argument('--interval', type=float, default=5, help='seconds between two passes (default 5)')
    parser.add_argument('--max-expiration-seconds', type=int, default=_csr.DEFAULT_MAX_EXPIRATION_SECONDS)
    parser.add_argument('--timeout', type=float, default=15, help='seconds an API request may take (default 15)')
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.timeout <= 0:
        parser.error('--interval and --timeout must be positive')
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s', stream=sys.stdout)
    if not _csr.HAS_CRYPTOGRAPHY:
        LOG.error('cannot start: the Python package cryptography is missing (python3-cryptography)')
        return 2
    try:
        inv = load_nodes(args.nodes, args.service_cidr)
        rules = _csr.check_rules(inv, args.max_expiration_seconds)
        api = _csr.KubeCSRApi(_kube.KubeClient.from_kubeconfig(args.kubeconfig, timeout=args.timeout))
    except (OSError, ValueError, _kube.KubeError) as exc:  # InputError and bad JSON are ValueErrors
        LOG.error('cannot start: %s', exc)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    LOG.info('watching kubelet serving CSRs of %d nodes every %ss', len(inv), args.interval)
    serve(api, inv, args.interval, stop, rules)
    LOG.info('stopped')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
