# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kubelet TLS-bootstrap token for one joining node.

Pure functions, no Ansible imports; the kubebin.cluster.bootstrap_token filter (plugins/filter/pki.py) exposes
``new_token`` to roles/node/tasks/join.yml. A token is a dict ``{id, secret, expiration}``: ``id`` and ``secret``
as the API server requires them (TOKEN_ID_RE, TOKEN_SECRET_RE), drawn with ``secrets``, and ``expiration`` in
RFC 3339 UTC (``2026-12-08T03:00:00Z``), the form of the bootstrap token Secret's ``expiration`` key.
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
# A kubelet needs a few minutes to join; a day is already far longer than any join takes.
MIN_TTL_MINUTES, MAX_TTL_MINUTES = 5, 1440


class BootstrapTokenError(ValueError):
    """Settings from which no token can be made; the message names the variable to fix."""


def rfc3339(epoch):
    """``epoch`` (seconds) as RFC 3339 UTC, e.g. 2026-12-08T03:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def new_token(now_epoch, ttl_minutes, choice=secrets.choice):
    """A fresh token valid for ``ttl_minutes`` (MIN_TTL_MINUTES..MAX_TTL_MINUTES) from ``now_epoch``."""
    if isinstance(now_epoch, bool) or not isinstance(now_epoch, (int, float)):
        raise BootstrapTokenError(f"the current time must be an epoch in seconds; got {now_epoch!r}.")
    ttl = ttl_minutes
    if isinstance(ttl, str) and ttl.strip().isdigit():
        ttl = int(ttl.strip())
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL_MINUTES <= ttl <= MAX_TTL_MINUTES:
        raise BootstrapTokenError(
            f"node_bootstrap_token_ttl_minutes must be a whole number from {MIN_TTL_MINUTES} to {MAX_TTL_MINUTES}; "
            f"got {ttl_minutes!r}.")
    return {
        "id": "".join(choice(TOKEN_CHARS) for dummy in range(6)),
        "secret": "".join(choice(TOKEN_CHARS) for dummy in range(16)),
        "expiration": rfc3339(int(now_epoch) + ttl * 60),
    }
