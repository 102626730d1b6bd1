# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd units in one call: read them with one `systemctl show`, plan, then one systemctl call per action.

ansible.builtin.systemd_service looks at one unit per call and runs `daemon-reload` whenever it is asked to; a role
with three units in a loop pays three remote calls and three reloads on every run. Here the plan is a pure function
(tests/unit/test_systemd.py), and `daemon-reload` runs only when systemd says a unit file changed or is unknown.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.urls import open_url

PROPERTIES = ('Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'NeedDaemonReload',
              'ExecMainStartTimestampMonotonic')
# `systemctl is-enabled` exits 0 for these: nothing to enable (static units have no [Install] section).
ENABLED_STATES = ('enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient')
RUNNING_STATES = ('active', 'activating', 'reloading')
NO_BLOCK_VERBS = ('start', 'stop', 'restart')


LOOPBACK_HOSTS = ('127.0.0.1', 'localhost', '[::1]')


class SystemdError(Exception):
    pass


def check_wait(wait):
    """Bad wait options as a message (or None): an https URL; no CA (an unverified check) only on loopback."""
    url = wait.get('url')
    if not url:
        return None
    if not url.startswith('https://'):
        return "wait_url must be an https:// URL (got '%s')" % url
    host = url[len('https://'):].split('/', 1)[0].rsplit(':', 1)[0]
    if not wait.get('ca_path') and host not in LOOPBACK_HOSTS:
        return ("wait_url %s: give wait_ca_path to verify the server; only a loopback URL (%s) may be checked "
                "without it" % (url, ', '.join(LOOPBACK_HOSTS)))
    if (wait.get('timeout') or 0) <= 0:
        return 'wait_timeout must be a positive number of seconds (got %s)' % wait.get('timeout')
    if bool(wait.get('client_cert')) != bool(wait.get('client_key')):
        return 'wait_client_cert and wait_client_key go together'
    return None


def check_inputs(inputs, units):
    """Bad inputs option as a message (or None): {unit of `units`: [absolute paths]}."""
    for unit, paths in (inputs or {}).items():
        if unit not in units:
            return 'inputs: %s is not one of units (%s)' % (unit, ', '.join(units))
        if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith('/') for p in paths):
            return 'inputs.%s must be a list of absolute paths (got %r)' % (unit, paths)
    return None


def wait_ready(fetch, url, timeout, clock, sleep, interval=1.0):
    """Call fetch(url) (True when the server answered 200) until it is True or `timeout` seconds passed; returns
    the seconds waited. Raises SystemdError naming the URL and the last error after the timeout."""
    start = clock()
    last = 'no answer'
    while True:
        try:
            if fetch(url):
                return round(clock() - start, 1)
            last = 'not ready'
        except Exception as e:  # pylint: disable=broad-exception-caught  # any failure of one probe: retry
            last = str(e)
        if clock() - start >= timeout:
            raise SystemdError('%s did not answer 200 within %ds after the restart (last: %s)' % (url, timeout, last))
        sleep(interval)


def parse_show(text, units):
    """The output of `systemctl show -p <PROPERTIES> <units...>` (one block per unit, in order) as {unit: {...}}."""
    blocks = text.strip().split('\n\n') if text.strip() else []
    if len(blocks) != len(units):
        raise SystemdError('systemctl show returned %d blocks for %d units' % (len(blocks), len(units)))
    states = {}
    for unit, block in zip(units, blocks):
        props = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        states[unit] = {
            'load_state': props.get('LoadState', ''),
            'active_state': props.get('ActiveState', ''),
            'sub_state': props.get('SubState', ''),
            'unit_file_state': props.get('UnitFileState', ''),
            'need_daemon_reload': props.get('NeedDaemonReload', 'no') == 'yes',
            # CLOCK_MONOTONIC seconds at which the main process started (0: it never started)
            'started_monotonic': int(props.get('ExecMainStartTimestampMonotonic') or 0) / 1e6,
        }
        states[unit]['in_place'] = in_place(states[unit])
    return states


def in_place(state):
    """True when a unit runs and starts at boot: active, and enabled (or static, which has nothing to enable)."""
    return state['active_state'] == 'active' and state['unit_file_state'] in ENABLED_STATES


def mark_changed_inputs(states, inputs, now, now_monotonic, ctime):
    """Set `changed_inputs` of every unit of `inputs` ({unit: [paths]}) that runs: the paths whose ctime (the last
    change of content, owner, mode or name; a file written by rename gets a new one) is later than the start of the
    unit's main process, converted from CLOCK_MONOTONIC to wall-clock time. A missing path is no change (a file that
    is not written yet, in check mode). ctime(path) returns None for a missing path."""
    for unit, paths in inputs.items():
        s = states[unit]
        s['changed_inputs'] = []
        if s['active_state'] not in RUNNING_STATES or not s['started_monotonic']:
            continue
        started = now - (now_monotonic - s['started_monotonic'])
        s['changed_inputs'] = [p for p in paths if (ctime(p) or 0) > started]


def path_ctime(path):
    try:
        return os.stat(path).st_ctime
    except FileNotFoundError:
        return None


def needs_reload(states, missing='fail'):
    """True when systemd has not loaded a unit's current file: a changed file, or (unless missing units are
    expected, missing='ignore') a unit it does not know."""
    return any(s['need_daemon_reload'] or (s['load_state'] == 'not-found' and missing != 'ignore')
               for s in states.values())


def plan(states, state=None, enabled=None, missing='fail'):
    """The systemctl actions ([(verb, [units])], in order) that bring `states` to the wanted state. `started` also
    restarts the running units with `changed_inputs` (mark_changed_inputs).

    Raises SystemdError naming the units systemd does not know (after a reload), unless missing='ignore', which
    leaves them out.
    """
    absent = [u for u, s in states.items() if s['load_state'] == 'not-found']
    if absent and missing != 'ignore':
        raise SystemdError('unit %s not found (is its unit file installed?)' % ', '.join(absent))
    present = [u for u in states if u not in absent]
    actions = []
    if enabled is True:
        actions.append(('enable', [u for u in present if states[u]['unit_file_state'] not in ENABLED_STATES]))
    elif enabled is False:
        actions.append(('disable', [u for u in present if states[u]['unit_file_state'] in ('enabled', 'enabled-runtime')]))
    running = [u for u in present if states[u]['active_state'] in RUNNING_STATES]
    if state == 'started':
        actions.append(('start', [u for u in present if u not in running]))
        actions.append(('restart', [u for u in running if states[u].get('changed_inputs')]))
    elif state == 'stopped':
        actions.append(('stop', running))
    elif state == 'restarted':
        actions.append(('restart', present))
    return [(verb, units) for verb, units in actions if units]


def describe(states):
    """One line per unit for diff output: `name: active_state/unit_file_state`."""
    return ''.join('%s: %s/%s\n' % (u, s['active_state'] or '-', s['unit_file_state'] or '-') for u, s in states.items())


def ensure(module):
    """Read, plan, apply (not in check mode), read again. The result of the systemd_units module."""
    params = module.params
    units = params['units']
    systemctl = module.get_bin_path('systemctl', required=True)

    def run(*args):
        rc, out, err = module.run_command([systemctl] + list(args))
        if rc != 0:
            raise SystemdError('systemctl %s failed (rc=%d): %s' % (' '.join(args), rc, (err or out).strip()))
        return out

    def read():
        states = read_units(module, units)
        if params.get('inputs'):
            mark_changed_inputs(states, params['inputs'], time.time(), time.monotonic(), path_ctime)
        return states

    before = read()
    reloaded = False
    if needs_reload(before, params['missing']) and not module.check_mode:
        run('daemon-reload')
        reloaded = True
        before = read()
    actions = plan(before, params['state'], params['enabled'], params['missing'])
    after = before
    if actions and not module.check_mode:
        for verb, names in actions:
            run(*([verb] + (['--no-block'] if params['no_block'] and verb in NO_BLOCK_VERBS else []) + ['--'] + names))
        after = read()
    waited = None
    if params.get('wait_url') and not module.check_mode and any(verb in ('start', 'restart') for verb, _units in actions):
        waited = wait_ready(lambda url: _fetch(params, url), params['wait_url'], params['wait_timeout'],
                            time.monotonic, time.sleep)
    result = {
        'changed': bool(actions),
        'daemon_reloaded': reloaded,
        'waited': waited,
        'actions': [{'action': verb, 'units': names} for verb, names in actions],
        'units': after,
    }
    if module._diff:
        result['diff'] = {'before': describe(before), 'after': describe(after) if not module.check_mode else
                          'planned: %s\n' % '; '.join('%s %s' % (v, ' '.join(n)) for v, n in actions)}
    return result


def read_units(module, units):
    """{unit: state} of `units` by one `systemctl show`, changing nothing (no daemon-reload)."""
    systemctl = module.get_bin_path('systemctl', required=True)
    rc, out, err = module.run_command([systemctl, 'show', '--property=' + ','.join(PROPERTIES), '--'] + list(units))
    if rc != 0:
        raise SystemdError('systemctl show failed (rc=%d): %s' % (rc, (err or out).strip()))
    return parse_show(out, units)


def _fetch(params, url):
    """One GET of url: True on 200 (the server's CA from wait_ca_path, else unverified: loopback only)."""
    answer = open_url(url, method='GET', timeout=5, use_proxy=False, ca_path=params.get('wait_ca_path'),
                      validate_certs=bool(params.get('wait_ca_path')), client_cert=params.get('wait_client_cert'),
                      client_key=params.get('wait_client_key'))
    return answer.getcode() == 200
