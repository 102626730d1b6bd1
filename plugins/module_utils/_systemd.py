# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd units in one call: read them with one `systemctl show`, plan, then one systemctl call per action.

ansible.builtin.systemd_service looks at one unit per call and runs `daemon-reload` whenever it is asked to; a role
with three units in a loop pays three remote calls and three reloads on every run. Here the plan is a pure function
(tests/unit/test_systemd.py), and `daemon-reload` runs only when systemd says a unit file changed or is unknown.
"""

from __future__ import annotations

PROPERTIES = ('Id', 'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'NeedDaemonReload')
# `systemctl is-enabled` exits 0 for these: nothing to enable (static units have no [Install] section).
ENABLED_STATES = ('enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient')
RUNNING_STATES = ('active', 'activating', 'reloading')
NO_BLOCK_VERBS = ('start', 'stop', 'restart')


class SystemdError(Exception):
    pass


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
        }
    return states


def needs_reload(states, missing='fail'):
    """True when systemd has not loaded a unit's current file: a changed file, or (unless missing units are
    expected, missing='ignore') a unit it does not know."""
    return any(s['need_daemon_reload'] or (s['load_state'] == 'not-found' and missing != 'ignore')
               for s in states.values())


def plan(states, state=None, enabled=None, missing='fail'):
    """The systemctl actions ([(verb, [units])], in order) that bring `states` to the wanted state.

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
        return read_units(module, units)

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
    result = {
        'changed': bool(actions),
        'daemon_reloaded': reloaded,
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
