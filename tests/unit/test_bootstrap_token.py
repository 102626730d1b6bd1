# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootstrap token (plugins/module_utils/_bootstrap_token.py, filter kubebin.cluster.bootstrap_token)."""
from __future__ import annotations

import calendar
import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import pki as pki_filters
from ansible_collections.kubebin.cluster.plugins.module_utils import _bootstrap_token as bt
from ansible_collections.kubebin.cluster.plugins.module_utils._bootstrap_token import BootstrapTokenError

NOW = calendar.timegm((2026, 12, 1, 3, 0, 0))  # 2026-12-01T03:00:00Z
HOUR = 3600
VALID = {'id': 'abc123', 'secret': '0123456789abcdef', 'expires_epoch': NOW + 100 * HOUR,
         'expiration': '2026-12-05T07:00:00Z'}


def test_a_valid_token_is_kept_as_it_is():
    assert bt.keep_or_renew(VALID, NOW, 168, 24) is VALID
    assert pki_filters.bootstrap_token(VALID, str(NOW), '168', '24') is VALID  # values as -e passes them


@pytest.mark.parametrize('change', [
    {'id': 'abc12'}, {'id': 'abc1234'}, {'id': 'ABC123'}, {'id': 'abc-12'}, {'id': 'abc12\n'}, {'id': 123456},
    {'secret': '0123456789abcde'}, {'secret': '0123456789ABCDEF'}, {'secret': '0123456789abcdef0'},
    {'secret': None}, {'expires_epoch': 'soon'}, {'expires_epoch': None},
])
def test_a_malformed_token_is_replaced(change):
    token = bt.keep_or_renew({**VALID, **change}, NOW, 168, 24)
    assert token['id'] != VALID['id'] or token['secret'] != VALID['secret']
    assert token['expires_epoch'] == NOW + 168 * HOUR


@pytest.mark.parametrize('current', [{}, None, 'abc123.0123456789abcdef', {'id': 'abc123'}])
def test_no_token_yet(current):
    assert bt.is_well_formed(bt.keep_or_renew(current, NOW, 168, 24))


@pytest.mark.parametrize('left_hours,kept', [(24, False), (23, False), (-5, False), (25, True), (167, True)])
def test_a_token_expiring_inside_the_renew_window_is_replaced(left_hours, kept):
    current = {**VALID, 'expires_epoch': NOW + left_hours * HOUR}
    assert (bt.keep_or_renew(current, NOW, 168, 24) is current) is kept


def test_a_fresh_token():
    token = bt.keep_or_renew({}, NOW, 168, 24)
    assert set(token) == {'id', 'secret', 'expires_epoch', 'expiration'}
    assert bt.TOKEN_ID_RE.fullmatch(token['id']) and bt.TOKEN_SECRET_RE.fullmatch(token['secret'])
    assert token['expires_epoch'] == NOW + 168 * HOUR and isinstance(token['expires_epoch'], int)
    assert token['expiration'] == '2026-12-08T03:00:00Z'
    assert calendar.timegm(time.strptime(token['expiration'], '%Y-%m-%dT%H:%M:%SZ')) == token['expires_epoch']
    # a second token differs (drawn from secrets), and a fresh token is kept on the next run
    assert bt.keep_or_renew({}, NOW, 168, 24)['secret'] != token['secret']
    assert bt.keep_or_renew(token, NOW + HOUR, 168, 24) is token


def test_the_draw_uses_lowercase_letters_and_digits():
    token = bt.new_token(NOW, 1, choice=lambda chars: chars[-1])
    assert token['id'] == '999999' and token['secret'] == '9' * 16
    assert bt.TOKEN_CHARS == 'abcdefghijklmnopqrstuvwxyz0123456789'


def test_the_regexes_are_exported_for_reuse():
    assert bt.TOKEN_ID_RE.pattern == '^[a-z0-9]{6}$'
    assert bt.TOKEN_SECRET_RE.pattern == '^[a-z0-9]{16}$'


@pytest.mark.parametrize('ttl,renew,name', [
    ('a week', 24, 'control_plane_bootstrap_token_ttl_hours'), (1.5, 0, 'control_plane_bootstrap_token_ttl_hours'),
    (None, 24, 'control_plane_bootstrap_token_ttl_hours'), (True, 0, 'control_plane_bootstrap_token_ttl_hours'),
    (-168, 24, 'control_plane_bootstrap_token_ttl_hours'), (168, -1, 'control_plane_bootstrap_token_renew_hours'),
    (168, '1d', 'control_plane_bootstrap_token_renew_hours'),
])
def test_bad_hours_name_the_variable(ttl, renew, name):
    with pytest.raises(BootstrapTokenError, match=f'^{name} must be a whole number of hours >= 0'):
        bt.keep_or_renew(VALID, NOW, ttl, renew)


@pytest.mark.parametrize('ttl,renew', [(24, 24), (24, 48), (0, 0)])
def test_renew_window_must_be_shorter_than_the_lifetime(ttl, renew):
    with pytest.raises(AnsibleFilterError, match='bootstrap_token: control_plane_bootstrap_token_ttl_hours must be '
                                                 'greater than 0 and than control_plane_bootstrap_token_renew_hours'):
        pki_filters.bootstrap_token(VALID, NOW, ttl, renew)


def test_bad_now():
    with pytest.raises(BootstrapTokenError, match='epoch'):
        bt.keep_or_renew(VALID, 'now', 168, 24)


@pytest.mark.parametrize("token,now,margin,want", [
    ({"id": "abcdef", "secret": "0123456789abcdef", "expires_epoch": 2000}, 1000, 600, True),
    ({"id": "abcdef", "secret": "0123456789abcdef", "expires_epoch": 1600}, 1000, 600, False),
    ({"id": "ABCDEF", "secret": "0123456789abcdef", "expires_epoch": 9999}, 1000, 600, False),
    ({"id": "abcdef", "secret": "short", "expires_epoch": 9999}, 1000, 600, False),
    ({"id": "abcdef", "secret": "0123456789abcdef"}, 1000, 600, False),
    ({}, 1000, 600, False),
])
def test_usable(token, now, margin, want):
    assert bt.usable(token, now, margin) is want


def test_usable_refuses_a_bad_time():
    with pytest.raises(BootstrapTokenError, match="must be seconds"):
        bt.usable({}, "soon", 600)
