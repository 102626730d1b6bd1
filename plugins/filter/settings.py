# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight checks of the free-form settings that end up in unit files, environment files, paths and certificates.

``setting_problems(value, name)`` returns the problems of one inventory setting as sentences ([] when it is clean).
The kind of check follows the variable's name: ``*cluster_name`` (a path component and a token prefix),
``*_extra_args`` (flags on a command line: a dict flag -> value or a list of ``--flag=value``), ``*_extra_env``
(``ETCD_*=value`` lines of an environment file) and ``*_sans`` (DNS names or IPs of a certificate).
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_FLAG_RE = re.compile(r"^[a-z0-9][-a-z0-9.]*$")
_ENV_RE = re.compile(r"^ETCD_[A-Z0-9_]+$")
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_RE = re.compile(r"^(\*\.)?%s(\.%s)*$" % (_LABEL, _LABEL))


def _word_problem(text):
    """Why ``text`` cannot be written as one word into a unit or environment file, or None."""
    if not text.isascii():
        return "has non-ASCII characters"
    if any(c.isspace() for c in text):
        return "has a space or a line break"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "has a control character"
    if "../" in text or text.endswith("/.."):
        return "has a '../' path component"
    if any(c in text for c in "\"'\\`$;%"):
        return "has one of the characters \" ' \\ ` $ ; %"
    return None


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _dict_problems(value, name, key_re, key_kind):
    if not isinstance(value, dict):
        return ["%s must be a mapping of %s to values, got %s" % (name, key_kind, type(value).__name__)]
    problems = []
    for key, item in value.items():
        if not isinstance(key, str) or not key_re.match(key):
            problems.append("%s key %r is not a valid %s" % (name, key, key_kind))
            continue
        text = _scalar(item)
        why = "is a %s, not a single value" % type(item).__name__ if text is None else _word_problem(text)
        if why:
            problems.append("%s %s value %r %s" % (name, key, item, why))
    return problems


def _args_problems(value, name):
    if isinstance(value, dict):
        return _dict_problems(value, name, _FLAG_RE, "flag name without dashes (e.g. v or feature-gates)")
    if not isinstance(value, list):
        return ["%s must be a mapping or a list of --flag=value strings, got %s" % (name, type(value).__name__)]
    problems = []
    for item in value:
        why = "is not a string" if not isinstance(item, str) else _word_problem(item)
        if why is None and not item.startswith("--"):
            why = "does not start with --"
        if why:
            problems.append("%s item %r %s" % (name, item, why))
    return problems


def _sans_problems(value, name):
    if not isinstance(value, list):
        return ["%s must be a list of DNS names and IPs, got %s" % (name, type(value).__name__)]
    problems = []
    for item in value:
        text = str(item)
        kind, _sep, bare = text.partition(":") if text.startswith(("DNS:", "IP:")) else ("", "", text)
        try:
            ipaddress.ip_address(bare)
            if kind != "DNS":
                continue
        except ValueError:
            if kind != "IP" and isinstance(item, str) and bare.isascii() and len(bare) <= 253 \
                    and _DNS_RE.match(bare.rstrip(".")):
                continue
        problems.append("%s item %r is neither an IP address nor a lowercase ASCII DNS name (optionally with "
                        "DNS: or IP: before it; punycode xn--... for international names)" % (name, item))
    return problems


def setting_problems(value, name):
    """The problems of inventory setting ``name`` whose value is ``value``; [] when it is fine."""
    if name.endswith("cluster_name"):
        if isinstance(value, str) and _NAME_RE.match(value):
            return []
        return ["%s %r is not a lowercase RFC 1123 label (letters, digits, '-'; at most 63 characters); it names "
                "directories and tokens" % (name, value)]
    if name.endswith("_extra_args"):
        return _args_problems(value, name)
    if name.endswith("_extra_env"):
        return _dict_problems(value, name, _ENV_RE, "ETCD_* variable name")
    if name.endswith("_sans"):
        return _sans_problems(value, name)
    return []


def clock_offset(host, sent, read):
    """How far a host's clock is off the control node's, in seconds (positive: ahead), rounded to 0.01 s.

    ``host`` is the time the host read; ``sent`` and ``read`` the control node's time before the request left and
    after its answer came back (Unix seconds). A correct clock reads a time between the two, which is an offset of 0:
    however long the request waited (a loaded control node, a slow connection), that wait is not counted as an offset.
    """
    try:
        host, sent, read = float(host), float(sent), float(read)
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError(f"clock_offset: times must be Unix seconds ({e})")
    if read < sent:
        raise AnsibleFilterError(f"clock_offset: the answer ({read}) came before the request ({sent})")
    return round(max(host - read, 0.0) + min(host - sent, 0.0), 2)


class FilterModule:
    """kubebin settings filters."""

    def filters(self):
        return {"setting_problems": setting_problems, "clock_offset": clock_offset}
