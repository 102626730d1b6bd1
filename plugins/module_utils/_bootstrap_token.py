# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubelet TLS-bootstrap token: keep the current one while it is valid long enough, else make a new one.

Pure functions, no Ansible imports; the kubebin.cluster.bootstrap_token filter (plugins/filter/pki.py) exposes
``keep_or_renew`` to roles/control_plane/tasks/bootstrap_token.yml. A token is a dict ``{id, secret,
expires_epoch, expiration}`` (the format of bootstrap-token.json, which roles/node reads): ``id`` and ``secret`` as
the API server requires them (TOKEN_ID_RE, TOKEN_SECRET_RE), ``expires_epoch`` seconds since the epoch (UTC) and
``expiration`` the same instant in RFC 3339 (``2026-12-08T03:00:00Z``).
"""

from __future__ import annotations

import re
import secrets
import string
import time

# A bootstrap token is <id>.<secret> (https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/).
TOKEN_ID_RE = re.compile(r"^[a-z0-9]{6}$")
TOKEN_SECRET_RE = re.compile(r"^[a-z0-9]{16}$")
TOKEN_CHARS = string.ascii_lowercase + string.digits


class BootstrapTokenError(ValueError):
    """Settings from which no token can be made; the message names the variable to fix."""


def _whole_number(value, name):
    """``value`` as an int >= 0 (an int or a string of digits), else BootstrapTokenError naming ``name``."""
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise BootstrapTokenError(f"{name} must be a whole number of hours >= 0; got {value!r}.")
    return value


def _epoch(value):
    """An epoch in seconds as an int, or None when ``value`` is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None


def is_well_formed(token):
    """True when ``token`` has an ``id`` and a ``secret`` of the form the API server accepts."""
    if not isinstance(token, dict):
        return False
    token_id, secret = token.get("id"), token.get("secret")
    return (isinstance(token_id, str) and TOKEN_ID_RE.fullmatch(token_id) is not None
            and isinstance(secret, str) and TOKEN_SECRET_RE.fullmatch(secret) is not None)


def rfc3339(epoch):
    """``epoch`` (seconds) as RFC 3339 UTC, e.g. 2026-12-08T03:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def new_token(now_epoch, ttl_hours, choice=secrets.choice):
    """A fresh token valid for ``ttl_hours`` from ``now_epoch``, with id and secret drawn by ``choice``."""
    expires = int(now_epoch) + int(ttl_hours) * 3600
    return {
        "id": "".join(choice(TOKEN_CHARS) for dummy in range(6)),
        "secret": "".join(choice(TOKEN_CHARS) for dummy in range(16)),
        "expires_epoch": expires,
        "expiration": rfc3339(expires),
    }


def usable(token, now_epoch, margin_seconds):
    """True when ``token`` is well-formed and expires more than ``margin_seconds`` after ``now_epoch``."""
    now, margin = _epoch(now_epoch), _epoch(margin_seconds)
    if now is None or margin is None:
        raise BootstrapTokenError(f"the current time and the margin must be seconds; got {now_epoch!r}, {margin_seconds!r}.")
    expires = _epoch(token.get("expires_epoch")) if is_well_formed(token) else None
    return expires is not None and expires > now + margin


def keep_or_renew(current, now_epoch, ttl_hours, renew_hours, choice=secrets.choice):
    """``current`` when it is well-formed and expires after ``now_epoch`` + ``renew_hours``, else a new token.

    ``ttl_hours`` (> 0) is the lifetime of a new token, ``renew_hours`` (>= 0, smaller than ``ttl_hours``) the
    window before expiry in which a token is replaced. Bad settings raise BootstrapTokenError.
    """
    ttl = _whole_number(ttl_hours, "control_plane_bootstrap_token_ttl_hours")
    renew = _whole_number(renew_hours, "control_plane_bootstrap_token_renew_hours")
    if ttl == 0 or renew >= ttl:
        raise BootstrapTokenError(
            "control_plane_bootstrap_token_ttl_hours must be greater than 0 and than "
            f"control_plane_bootstrap_token_renew_hours; got {ttl} and {renew}.")
    now = _epoch(now_epoch)
    if now is None:
        raise BootstrapTokenError(f"the current time must be an epoch in seconds; got {now_epoch!r}.")
    if is_well_formed(current):
        expires = _epoch(current.get("expires_epoch"))
        if expires is not None and expires > now + renew * 3600:
            return current
    return new_token(now, ttl, choice)
