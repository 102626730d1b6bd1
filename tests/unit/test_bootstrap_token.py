# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-node bootstrap token (plugins/module_utils/_bootstrap_token.py, filter kubebin.cluster.bootstrap_token)."""
from __future__ import annotations

import calendar

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import pki as pki_filters
from ansible_collections.kubebin.cluster.plugins.module_utils import _bootstrap_token as bt
from ansible_collections.kubebin.cluster.plugins.module_utils._bootstrap_token import BootstrapTokenError

NOW = calendar.timegm((2026, 12, 1, 3, 0, 0))  # 2026-12-01T03:00:00Z


def test_a_fresh_token():
    token = pki_filters.bootstrap_token(NOW, 60)
    assert set(token) == {'id', 'secret', 'expiration'}
    assert bt.TOKEN_ID_RE.fullmatch(token['id']) and bt.TOKEN_SECRET_RE.fullmatch(token['secret'])
    assert token['expiration'] == '2026-12-01T04:00:00Z'
    # every call draws a new token (secrets), so two joining nodes never share one
    assert pki_filters.bootstrap_token(NOW, 60)['secret'] != token['secret']


def test_values_as_extra_vars_pass_them():
    assert pki_filters.bootstrap_token(float(NOW), '1440')['expiration'] == '2026-12-02T03:00:00Z'


def test_the_draw_uses_lowercase_letters_and_digits():
    token = bt.new_token(NOW, 5, choice=lambda chars: chars[-1])
    assert token['id'] == '999999' and token['secret'] == '9' * 16
    assert bt.TOKEN_CHARS == 'abcdefghijklmnopqrstuvwxyz0123456789'


def test_the_regexes_are_exported_for_reuse():
    assert bt.TOKEN_ID_RE.pattern == '^[a-z0-9]{6}$'
    assert bt.TOKEN_SECRET_RE.pattern == '^[a-z0-9]{16}$'


@pytest.mark.parametrize('ttl', ['an hour', 1.5, None, True, 0, 4, 1441, -60, '60m'])
def test_a_bad_lifetime_names_the_variable(ttl):
    with pytest.raises(AnsibleFilterError, match='node_bootstrap_token_ttl_minutes must be a whole number from 5 '
                                                 'to 1440'):
        pki_filters.bootstrap_token(NOW, ttl)


@pytest.mark.parametrize('now', ['now', None, True])
def test_bad_now(now):
    with pytest.raises(BootstrapTokenError, match='epoch'):
        bt.new_token(now, 60)
