# -*- coding: utf-8 -*-
"""The https://host:port rule (plugins/module_utils/_url.py), its test plugin (plugins/test/https_host_port.py) and
_pki_table.api_endpoint_host, which all use it."""
from __future__ import annotations

import pytest

from ansible_collections.kubebin.cluster.plugins.module_utils import _pki_table, _url
from ansible_collections.kubebin.cluster.plugins.module_utils._pki_table import PkiTableError
from ansible_collections.kubebin.cluster.plugins.test import https_host_port as test_plugin

ACCEPTED = [
    ('https://k8s-api.example.internal:6443', 'k8s-api.example.internal'),
    ('https://192.168.2.10:6443', '192.168.2.10'),
    ('https://[fd00::10]:6443', 'fd00::10'),
    ('https://a:1', 'a'),
    ('https://x.y:65535', 'x.y'),
    ('https://LB.Example.com:8443', 'lb.example.com'),  # lowercased, as urllib's hostname did
]

REFUSED = [
    'http://a:6443', 'https://a', 'https://a:', 'https://a:0', 'https://a:65536', 'https://a:6443/',
    'https://a:6443/path', 'https://u@a:6443', 'https://a:6443?x=1', 'https://a:6443#f', 'https://-a:6443',
    'https://a-:6443', 'https://a_b:6443', 'https://a..b:6443', 'https://[zz]:6443', 'https://fd00::10:6443',
    'https://[fd00::10]', 'https://[fe80::1%eth0]:6443', 'https://999.1.1.1:6443', 'https://:6443',
    'https://a:06443', 'https://a:6443\n', ' https://a:6443', 'https://', '', None, 6443,
]


@pytest.mark.parametrize('url,host', ACCEPTED)
def test_accepted(url, host):
    assert _url.https_host_port(url) == host
    assert test_plugin.https_host_port(url) is True
    assert _pki_table.api_endpoint_host(url) == host


@pytest.mark.parametrize('value', REFUSED)
def test_refused(value):
    with pytest.raises(_url.UrlError, match=r'is not of the form https://host:port: '):
        _url.https_host_port(value)
    assert test_plugin.https_host_port(value) is False
    with pytest.raises(PkiTableError, match=r"^kubebin_api_endpoint \(pki_api_endpoint\) must be of the form "
                                            r"https://host:port; got '"):
        _pki_table.api_endpoint_host(value)


def test_the_error_is_a_value_error():
    assert issubclass(_url.UrlError, ValueError)


@pytest.mark.parametrize('value,reason', [
    ('https://a', 'the port is missing'), ('http://a:1', 'the scheme must be https://'),
    ('https://a:6443/', 'a path is not allowed'), ('https://a_b:1', "the host 'a_b' is not a DNS name"),
    ('https://a:65536', "the port '65536' is not a number from 1 to 65535"),
])
def test_the_message_says_what_is_wrong(value, reason):
    with pytest.raises(_url.UrlError, match=reason):
        _url.https_host_port(value)


@pytest.mark.parametrize('value', [None, 6443, ['https://a:1'], {'url': 'https://a:1'}, b'https://a:1'])
def test_the_test_plugin_is_false_for_non_strings(value):
    assert test_plugin.https_host_port(value) is False


def test_the_test_plugin_is_registered():
    assert test_plugin.TestModule().tests() == {'https_host_port': test_plugin.https_host_port}


def test_api_endpoint_host_names_the_variable_and_the_reason():
    with pytest.raises(PkiTableError) as exc:
        _pki_table.api_endpoint_host('https://lb.example.com')
    assert str(exc.value) == ("kubebin_api_endpoint (pki_api_endpoint) must be of the form https://host:port; "
                              "got 'https://lb.example.com' (the port is missing).")
