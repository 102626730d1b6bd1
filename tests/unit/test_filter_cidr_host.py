# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubebin.cluster.cidr_host, which gives the pki role its API server service IP (index 1)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter.network import cidr_host


def former_first_ip(cidr):
    """The IPv4 arithmetic of the pki role's former first_ip.j2, in Python."""
    net, bits = cidr.split('/')
    o = [int(x) for x in net.split('.')]
    size = 2 ** (32 - int(bits))
    first = ((o[0] * 16777216 + o[1] * 65536 + o[2] * 256 + o[3]) // size) * size + 1
    return '.'.join(str(x) for x in (first // 16777216, (first // 65536) % 256, (first // 256) % 256, first % 256))


@pytest.mark.parametrize('cidr', ['10.96.0.0/12', '10.32.0.0/16', '172.16.0.0/24', '192.168.0.0/30', '10.0.0.0/8'])
def test_first_host_address_is_what_first_ip_j2_computed(cidr):
    assert cidr_host(cidr, 1) == former_first_ip(cidr)


@pytest.mark.parametrize('cidr,index,expected', [
    ('10.96.0.0/12', 1, '10.96.0.1'), ('10.96.0.0/12', 10, '10.96.0.10'), ('10.96.0.0/12', '10', '10.96.0.10'),
    ('10.96.0.0/12', 0, '10.96.0.0'), ('10.96.0.0/12', -1, '10.111.255.255'), ('10.96.0.0/12', 256, '10.96.1.0'),
    ('fd00:10:96::/112', 1, 'fd00:10:96::1'), ('fd00:10:96::/112', 10, 'fd00:10:96::a'),
    ('2001:db8::/64', 1, '2001:db8::1'), ('10.112.0.0/16', 10, '10.112.0.10'), ('10.96.0.0/12', -2, '10.111.255.254'),
    ('192.168.2.0/30', 3, '192.168.2.3'),
])
def test_cidr_host(cidr, index, expected):
    assert cidr_host(cidr, index) == expected


@pytest.mark.parametrize('cidr,index,message', [
    ('10.96.0.1/12', 1, 'not a network address'), ('service', 1, 'not a network address'),
    ('10.96.0.0', 1, 'has 1 addresses, no index 1'),  # a bare address is a /32 network
    ('10.0.0.0/30', 4, 'has 4 addresses, no index 4'), ('10.0.0.0/30', -5, 'no index -5'),
    ('10.96.0.0/12', 'first', 'the index must be an integer'), ('nonsense', 1, 'not a network address'), ('10.96.0.0/12', None, 'the index must be an integer'),
])
def test_cidr_host_errors(cidr, index, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cidr_host(cidr, index)
