# -*- coding: utf-8 -*-
"""Shared pytest helpers: run a module's main() with arguments and capture exit_json / fail_json."""

from __future__ import annotations

import os
import sys

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

# Make `ansible_collections.kubebin.cluster` importable from this checkout (make venv creates the link).
_COLLECTIONS = os.path.join(os.path.dirname(__file__), '..', '..', '.cache', 'collections')
if os.path.isdir(_COLLECTIONS) and os.path.abspath(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, os.path.abspath(_COLLECTIONS))


class FakeClock:
    """Time that moves only when the code under test sleeps: call it for the time, `sleep` to advance it."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class ModuleExit(Exception):
    """Raised instead of exiting; ``result`` is what the module returned, ``failed`` tells fail_json."""

    def __init__(self, result, failed):
        super().__init__(result.get('msg', ''))
        self.result = result
        self.failed = failed


_CAPTURED_WARNINGS = []


def _warn(self, warning):
    # Captured here rather than from ansible's process-global warning list: once any test imports controller code
    # (a filter plugin importing ansible.errors, say), ansible-core 2.19 sends module warnings to the display.
    _CAPTURED_WARNINGS.append(warning)


def _exit_json(self, **kwargs):
    kwargs.setdefault('changed', False)
    kwargs['warnings'] = list(_CAPTURED_WARNINGS)
    raise ModuleExit(kwargs, False)


def _fail_json(self, msg, **kwargs):
    kwargs['msg'] = msg
    kwargs['failed'] = True
    raise ModuleExit(kwargs, True)


def run_module(module, args, check_mode=False, diff=False, expect_fail=False):
    """Run ``module.main()`` with ``args``; return the result dict. Asserts success unless ``expect_fail``."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    del _CAPTURED_WARNINGS[:]  # report only this run's warnings
    with patch_module_args(args):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(basic.AnsibleModule, 'exit_json', _exit_json)
            mp.setattr(basic.AnsibleModule, 'fail_json', _fail_json)
            mp.setattr(basic.AnsibleModule, 'warn', _warn)
            try:
                module.main()
            except ModuleExit as e:
                if e.failed != expect_fail:
                    outcome = 'failed' if e.failed else 'succeeded'
                    raise AssertionError('module %s unexpectedly: %s' % (outcome, e.result))
                return e.result
    raise AssertionError('module returned without exit_json/fail_json')


@pytest.fixture
def run():
    """The run_module helper as a fixture."""
    return run_module
