# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test kubebin.cluster.https_host_port: the rule itself is plugins/module_utils/_url.py (unit tested)."""

from __future__ import annotations

from ansible_collections.kubebin.cluster.plugins.module_utils import _url


def https_host_port(value):
    """True when ``value`` is a string ``https://host:port`` (see _url.https_host_port); never raises."""
    try:
        _url.https_host_port(value)
    except _url.UrlError:
        return False
    return True


class TestModule:
    """The collection's Jinja2 tests."""

    def tests(self):
        return {"https_host_port": https_host_port}
