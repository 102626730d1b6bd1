# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for an ``https://host:port`` URL (API endpoint, etcd members): plain Python, no Ansible imports.

Used by _pki_table.api_endpoint_host() and by the test plugin kubebin.cluster.https_host_port (the preflight
checks of the prepare and control_plane roles), so all of them accept the same URLs.
"""

from __future__ import annotations

import ipaddress
import re

_PREFIX = "https://"
# A DNS label: ASCII letters, digits and hyphens, not starting or ending with a hyphen, at most 63 characters.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_PORT = re.compile(r"[1-9][0-9]{0,4}\Z")
_ALL_DIGITS_AND_DOTS = re.compile(r"[0-9.]+\Z")


class UrlError(ValueError):
    """A value that is not an ``https://host:port`` URL; ``reason`` says what is wrong."""

    def __init__(self, value, reason):
        super().__init__(f"'{value}' is not of the form https://host:port: {reason}")
        self.reason = reason


def _fail(value, reason):
    raise UrlError(value, reason)


def _check_name(value, host):
    if _ALL_DIGITS_AND_DOTS.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            _fail(value, f"'{host}' is not an IPv4 address")
        return
    if len(host) > 253 or not all(_LABEL.match(label) for label in host.split(".")):
        _fail(value, f"the host '{host}' is not a DNS name (letters, digits and hyphens, dots between), an IPv4 "
                     "address or an IPv6 address in brackets")


def https_host_port(value):
    """The host of ``value``, a URL ``https://host:port``; raises UrlError for anything else.

    The host is a DNS name, an IPv4 address or an IPv6 address in brackets; it is returned lowercased (like
    urllib's ``hostname``) and an IPv6 address without its brackets. The port, 1-65535 without leading zeros, must
    be there; user info, a path (even a lone "/"), a query or a fragment are refused.
    """
    if not isinstance(value, str):
        _fail(value, f"a string is needed, not {type(value).__name__}")
    if not value.startswith(_PREFIX):
        _fail(value, "the scheme must be https://")
    rest = value[len(_PREFIX):]
    for char, what in (("/", "a path"), ("?", "a query"), ("#", "a fragment"), ("@", "user info")):
        if char in rest:
            _fail(value, f"{what} is not allowed")
    if rest.startswith("["):
        address, bracket, port_part = rest[1:].partition("]")
        if not bracket or not port_part.startswith(":"):
            _fail(value, "an IPv6 address needs its closing ']' and then ':port'")
        if "%" in address:
            _fail(value, "an IPv6 zone (%) is not allowed")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            _fail(value, f"'[{address}]' is not an IPv6 address")
        host, port = address, port_part[1:]
    else:
        host, colon, port = rest.rpartition(":")
        if not colon:
            _fail(value, "the port is missing")
        if not host:
            _fail(value, "the host is missing")
        _check_name(value, host)
    if not _PORT.match(port) or int(port) > 65535:
        _fail(value, f"the port '{port}' is not a number from 1 to 65535")
    return host.lower()
