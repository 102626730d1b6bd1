# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PKI table (plugins/module_utils/_pki_table.py) and its filters (plugins/filter/pki.py).

The expected lists of the first tests are what the role's former Jinja templates (certificates.j2, file_sets.j2,
hosts.yml.j2) rendered for the same inventories, captured with ansible-playbook before they were replaced: the
certificates must stay the same, SAN for SAN and in the same order. The tests after them check the table against
the Kubernetes PKI requirements (https://kubernetes.io/docs/setup/best-practices/certificates/).
"""
from __future__ import annotations

import hashlib
import pathlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kubebin.cluster.plugins.filter import pki as pki_filters
from ansible_collections.kubebin.cluster.plugins.module_utils import _pki_table
from ansible_collections.kubebin.cluster.plugins.module_utils._pki_table import PkiTableError

# The certificates every cluster has, before the etcd members' and after the API server's.
ETCD_CLIENTS = [
    {'name': 'etcd/healthcheck-client', 'ca': 'etcd/ca', 'cn': 'kube-etcd-healthcheck-client', 'usages': ['client']},
    {'name': 'apiserver-etcd-client', 'ca': 'etcd/ca', 'cn': 'kube-apiserver-etcd-client', 'usages': ['client']},
]
CLIENTS = [
    {'name': 'apiserver-kubelet-client', 'ca': 'ca', 'cn': 'kube-apiserver-kubelet-client', 'usages': ['client']},
    {'name': 'front-proxy-client', 'ca': 'front-proxy-ca', 'cn': 'front-proxy-client', 'usages': ['client']},
    {'name': 'admin', 'ca': 'ca', 'cn': 'kubernetes-admin', 'o': ['kubebin:cluster-admins'], 'usages': ['client']},
    {'name': 'controller-manager', 'ca': 'ca', 'cn': 'system:kube-controller-manager', 'usages': ['client']},
    {'name': 'scheduler', 'ca': 'ca', 'cn': 'system:kube-scheduler', 'usages': ['client']},
    {'name': 'kube-proxy', 'ca': 'ca', 'cn': 'system:kube-proxy', 'usages': ['client']},
    {'name': 'flannel', 'ca': 'ca', 'cn': 'flanneld', 'usages': ['client']},
    {'name': 'csr-approver', 'ca': 'ca', 'cn': 'kubebin:csr-approver', 'usages': ['client']},
    {'name': 'super-admin', 'ca': 'ca', 'cn': 'kubernetes-super-admin', 'o': ['system:masters'], 'usages': ['client']},
]
SVC_NAMES = ['DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc']

# One control-plane host (the tutorial's inventory): master01 in etcd and kube_control_plane, two nodes.
ONE = dict(
    etcd_hosts=['master01'], control_plane_hosts=['master01'],
    host_ips={'master01': '192.168.2.66', 'node01': '192.168.2.200', 'node02': '192.168.2.77'},
    api_endpoint='https://192.168.2.66:6443', service_ip='10.96.0.1', cluster_domain='cluster.local',
)
ONE_EXPECTED = ETCD_CLIENTS + [
    {'name': 'etcd/master01-server', 'ca': 'etcd/ca', 'cn': 'master01', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:192.168.2.66', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/master01-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:192.168.2.66']},
    {'name': 'apiserver', 'ca': 'ca', 'cn': 'kube-apiserver', 'usages': ['server'],
     'sans': SVC_NAMES + ['DNS:kubernetes.default.svc.cluster', 'DNS:kubernetes.default.svc.cluster.local',
                          'IP:10.96.0.1', 'DNS:master01', 'IP:192.168.2.66', 'IP:127.0.0.1']},
] + CLIENTS

# Three control-plane hosts behind a load balancer, a fourth etcd member named by its address, extra SANs that
# repeat names already present (master01, MASTER02: dropped), another domain and service CIDR (10.32.0.0/16).
THREE = dict(
    etcd_hosts=['master01', 'master02', 'master03', '10.0.0.20'],
    control_plane_hosts=['master01', 'master02', 'master03'],
    host_ips={'master01': '10.0.0.11', 'master02': '10.0.0.12', 'master03': '10.0.0.13', '10.0.0.20': '10.0.0.20',
              'node01': '10.0.0.31'},
    api_endpoint='https://lb.example.com:8443', service_ip='10.32.0.1', cluster_domain='k8s.example.org',
    extra_sans=['lb.example.com', 'IP:10.0.0.5', '10.0.0.6', 'DNS:master01', 'MASTER02'],
)
THREE_EXPECTED = ETCD_CLIENTS + [
    {'name': 'etcd/master01-server', 'ca': 'etcd/ca', 'cn': 'master01', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:10.0.0.11', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/master01-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:10.0.0.11']},
    {'name': 'etcd/master02-server', 'ca': 'etcd/ca', 'cn': 'master02', 'usages': ['server', 'client'],
     'sans': ['DNS:master02', 'IP:10.0.0.12', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/master02-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['DNS:master02', 'IP:10.0.0.12']},
    {'name': 'etcd/master03-server', 'ca': 'etcd/ca', 'cn': 'master03', 'usages': ['server', 'client'],
     'sans': ['DNS:master03', 'IP:10.0.0.13', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/master03-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['DNS:master03', 'IP:10.0.0.13']},
    {'name': 'etcd/10.0.0.20-server', 'ca': 'etcd/ca', 'cn': '10.0.0.20', 'usages': ['server', 'client'],
     'sans': ['IP:10.0.0.20', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/10.0.0.20-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['IP:10.0.0.20']},
    {'name': 'apiserver', 'ca': 'ca', 'cn': 'kube-apiserver', 'usages': ['server'],
     'sans': SVC_NAMES + ['DNS:kubernetes.default.svc.k8s', 'DNS:kubernetes.default.svc.k8s.example.org',
                          'IP:10.32.0.1', 'DNS:master01', 'IP:10.0.0.11', 'DNS:master02', 'IP:10.0.0.12',
                          'DNS:master03', 'IP:10.0.0.13', 'DNS:lb.example.com', 'IP:10.0.0.5', 'IP:10.0.0.6',
                          'IP:127.0.0.1']},
] + CLIENTS

# IPv6: host addresses, the service IP (first address of fd00:10:96::/112) and a bracketed endpoint.
SIX = dict(
    etcd_hosts=['master01'], control_plane_hosts=['master01'], host_ips={'master01': 'fd00::11', 'node01': 'fd00::21'},
    api_endpoint='https://[fd00::11]:6443', service_ip='fd00:10:96::1', cluster_domain='cluster.local',
)
SIX_EXPECTED = ETCD_CLIENTS + [
    {'name': 'etcd/master01-server', 'ca': 'etcd/ca', 'cn': 'master01', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:fd00::11', 'DNS:localhost', 'IP:127.0.0.1']},
    {'name': 'etcd/master01-peer', 'ca': 'etcd/ca', 'cn': 'kubebin-etcd-peer', 'usages': ['server', 'client'],
     'sans': ['DNS:master01', 'IP:fd00::11']},
    {'name': 'apiserver', 'ca': 'ca', 'cn': 'kube-apiserver', 'usages': ['server'],
     'sans': SVC_NAMES + ['DNS:kubernetes.default.svc.cluster', 'DNS:kubernetes.default.svc.cluster.local',
                          'IP:fd00:10:96::1', 'DNS:master01', 'IP:fd00::11', 'IP:127.0.0.1']},
] + CLIENTS

SCENARIOS = {'one control plane': (ONE, ONE_EXPECTED), 'three control planes': (THREE, THREE_EXPECTED),
             'ipv6': (SIX, SIX_EXPECTED)}


def by_name(certs):
    return {c['name']: c for c in certs}


def table_of_one(**changes):
    """The certificates of the one-control-plane inventory with some inputs changed."""
    return _pki_table.certificates(**{**ONE, **changes})


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_certificates_are_those_of_the_former_template(scenario):
    inputs, expected = SCENARIOS[scenario]
    assert _pki_table.certificates(**inputs) == expected


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_the_filter_returns_the_same_list(scenario):
    inputs, expected = SCENARIOS[scenario]
    args = dict(inputs)
    assert pki_filters.pki_certificates(args.pop('etcd_hosts'), **args) == expected


# --- The Kubernetes PKI requirements ---

@pytest.mark.parametrize('scenario', SCENARIOS)
def test_apiserver_certificate_names_the_service_every_control_plane_host_and_localhost(scenario):
    inputs, _expected = SCENARIOS[scenario]
    apiserver = by_name(_pki_table.certificates(**inputs))['apiserver']
    domain = inputs['cluster_domain']
    required = SVC_NAMES + ['DNS:kubernetes.default.svc.' + domain, 'IP:' + inputs['service_ip'], 'IP:127.0.0.1']
    required += ['IP:' + inputs['host_ips'][h] for h in inputs['control_plane_hosts']]
    required += ['DNS:' + h for h in inputs['control_plane_hosts']]
    assert set(required) <= set(apiserver['sans'])
    assert apiserver['usages'] == ['server'] and apiserver['ca'] == 'ca' and apiserver['cn'] == 'kube-apiserver'
    assert len({s.lower() for s in apiserver['sans']}) == len(apiserver['sans'])  # no repeats


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_every_etcd_member_has_a_server_and_a_peer_certificate_with_its_name_and_address(scenario):
    inputs, _expected = SCENARIOS[scenario]
    certs = by_name(_pki_table.certificates(**inputs))
    for host in inputs['etcd_hosts']:
        ip = 'IP:' + inputs['host_ips'][host]
        for kind, cn in (('server', host), ('peer', 'kubebin-etcd-peer')):
            cert = certs[f'etcd/{host}-{kind}']
            assert cert['cn'] == cn and cert['ca'] == 'etcd/ca'
            assert set(cert['usages']) == {'server', 'client'}
            assert ip in cert['sans']
            assert ('DNS:' + host in cert['sans']) is not _pki_table.is_ip(host)
        assert {'DNS:localhost', 'IP:127.0.0.1'} <= set(certs[f'etcd/{host}-server']['sans'])


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_only_peer_certificates_carry_the_cn_the_etcd_peer_port_accepts(scenario):
    """etcd members accept only ETCD_PEER_CN on the peer port (roles/etcd: ETCD_PEER_CERT_ALLOWED_CN): no other
    certificate of the etcd CA, above all no client certificate, may carry it, and the role must name the same CN."""
    inputs, _expected = SCENARIOS[scenario]
    with_cn = [c['name'] for c in _pki_table.certificates(**inputs) if c['cn'] == _pki_table.ETCD_PEER_CN]
    assert with_cn == [f'etcd/{host}-peer' for host in inputs['etcd_hosts']]
    role_vars = yaml.safe_load((pathlib.Path(__file__).resolve().parents[2] / 'roles/etcd/vars/main.yml').read_text())
    assert role_vars['_etcd_peer_cn'] == _pki_table.ETCD_PEER_CN


@pytest.mark.parametrize('scenario', SCENARIOS)
def test_client_certificates_carry_the_users_and_groups_the_api_server_authorizes(scenario):
    inputs, _expected = SCENARIOS[scenario]
    certs = by_name(_pki_table.certificates(**inputs))
    # only the break-glass super-admin (kept on the control node) is system:masters
    assert [n for n, c in certs.items() if 'system:masters' in c.get('o', [])] == ['super-admin']
    assert certs['admin']['o'] == ['kubebin:cluster-admins']
    assert 'o' not in certs['apiserver-kubelet-client']
    assert certs['controller-manager']['cn'] == 'system:kube-controller-manager'
    assert certs['scheduler']['cn'] == 'system:kube-scheduler'
    assert certs['kube-proxy']['cn'] == 'system:kube-proxy'
    assert certs['csr-approver']['cn'] == _pki_table.CSR_APPROVER_CN == 'kubebin:csr-approver'
    assert 'o' not in certs['csr-approver']  # no group: RBAC binds the user alone
    assert certs['front-proxy-client']['ca'] == 'front-proxy-ca'
    assert certs['apiserver-etcd-client']['ca'] == certs['etcd/healthcheck-client']['ca'] == 'etcd/ca'
    for name, cert in certs.items():
        if name == 'apiserver' or name.startswith('etcd/') and name.endswith(('-server', '-peer')):
            assert 'server' in cert['usages'], name
        else:
            assert cert['usages'] == ['client'] and 'sans' not in cert, name


def test_organizations_are_options():
    certs = by_name(table_of_one(admin_organization='kubebin:admins',
                                 apiserver_kubelet_client_organization='kubebin:apiservers'))
    assert certs['admin']['o'] == ['kubebin:admins']
    assert certs['apiserver-kubelet-client']['o'] == ['kubebin:apiservers']


def test_a_control_plane_host_outside_etcd_is_in_the_apiserver_certificate_only():
    certs = by_name(table_of_one(control_plane_hosts=['master01', 'master02'],
                                 host_ips={'master01': '192.168.2.66', 'master02': '192.168.2.67'}))
    assert 'etcd/master02-server' not in certs
    assert {'DNS:master02', 'IP:192.168.2.67'} <= set(certs['apiserver']['sans'])


@pytest.mark.parametrize('value,expected', [
    ('lb.example.com', 'DNS:lb.example.com'), ('10.0.0.5', 'IP:10.0.0.5'), ('fd00::5', 'IP:fd00::5'),
    ('DNS:10.0.0.5', 'DNS:10.0.0.5'), ('IP:10.0.0.5', 'IP:10.0.0.5'), ('999.1.1.1', 'DNS:999.1.1.1'),
])
def test_san(value, expected):
    assert _pki_table.san(value) == expected


# --- Validation: the message names the host and the variable ---

@pytest.mark.parametrize('ip', ['', None, 'master01.example.com', '192.168.2.300', 'fe80::1%eth0', '10.0.0.0/24'])
def test_a_certified_host_without_an_address_is_named(ip):
    with pytest.raises(PkiTableError, match=r"^host master01: kubebin_node_ip \(else its default IPv4 address, "
                                            r"else ansible_host\) must be an IP address"):
        table_of_one(host_ips={'master01': ip})


def test_a_control_plane_host_missing_from_the_address_map_is_named():
    with pytest.raises(PkiTableError, match='^host master02: kubebin_node_ip'):
        table_of_one(control_plane_hosts=['master01', 'master02'])


def test_no_etcd_host():
    with pytest.raises(PkiTableError, match='pki_etcd_group'):
        table_of_one(etcd_hosts=[])


@pytest.mark.parametrize('service_ip', ['', '10.96.0.0/12', 'kubernetes'])
def test_service_ip(service_ip):
    with pytest.raises(PkiTableError, match='pki_apiserver_service_ip'):
        table_of_one(service_ip=service_ip)


@pytest.mark.parametrize('endpoint', ['http://10.0.0.1:6443', 'https://10.0.0.1:6443/path', 'https://', '10.0.0.1',
                                      'https://10.0.0.1:port', 'https://user@10.0.0.1:6443', '',
                                      'https://lb.example.com'])
def test_api_endpoint(endpoint):
    with pytest.raises(PkiTableError, match=r'kubebin_api_endpoint \(pki_api_endpoint\) must be of the form'):
        table_of_one(api_endpoint=endpoint)


@pytest.mark.parametrize('endpoint,host', [
    ('https://lb.example.com:8443', 'lb.example.com'), ('https://10.0.0.1:6443', '10.0.0.1'),
    ('https://[fd00::1]:6443', 'fd00::1'),
])
def test_api_endpoint_host(endpoint, host):
    assert _pki_table.api_endpoint_host(endpoint) == host


def test_the_filter_reports_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="pki_certificates: host master01: kubebin_node_ip"):
        pki_filters.pki_certificates(['master01'], ['master01'], {}, 'https://x:6443', '10.96.0.1', 'cluster.local')


# --- x509_cert entries ---

def test_x509_entries_cas_first_then_every_leaf():
    leaves = _pki_table.certificates(**ONE)
    entries = pki_filters.pki_x509_entries(leaves, '/pki', '3650', 365)
    assert entries[:3] == [
        {'path': f'/pki/{n}.crt', 'privatekey_path': f'/pki/{n}.key', 'common_name': cn, 'is_ca': True,
         'valid_days': 3650, 'renew_before_days': 365}
        for n, cn in (('etcd/ca', 'etcd-ca'), ('ca', 'kubernetes-ca'), ('front-proxy-ca', 'front-proxy-ca'))]
    assert len(entries) == 3 + len(leaves)
    assert entries[3 + 2] == {
        'path': '/pki/etcd/master01-server.crt', 'privatekey_path': '/pki/etcd/master01-server.key',
        'common_name': 'master01', 'organizations': [], 'usages': ['server', 'client'],
        'subject_alt_names': ['DNS:master01', 'IP:192.168.2.66', 'DNS:localhost', 'IP:127.0.0.1'],
        'ca_cert_path': '/pki/etcd/ca.crt', 'ca_privatekey_path': '/pki/etcd/ca.key'}
    admin = next(e for e in entries if e['common_name'] == 'kubernetes-admin')
    assert admin['organizations'] == ['kubebin:cluster-admins'] and admin['subject_alt_names'] == []


# --- File sets (what file_sets.j2 and hosts.yml.j2 rendered) ---

NODE01_SETS = {
    'etcd': [
        ('etcd_ca_cert', 'etcd/ca.crt', '/etc/etcd/pki/ca.crt', '0644'),
        ('etcd_server_cert', 'etcd/node01-server.crt', '/etc/etcd/pki/server.crt', '0644'),
        ('etcd_server_key', 'etcd/node01-server.key', '/etc/etcd/pki/server.key', '0600'),
        ('etcd_peer_cert', 'etcd/node01-peer.crt', '/etc/etcd/pki/peer.crt', '0644'),
        ('etcd_peer_key', 'etcd/node01-peer.key', '/etc/etcd/pki/peer.key', '0600'),
        ('etcd_healthcheck_client_cert', 'etcd/healthcheck-client.crt', '/etc/etcd/pki/healthcheck-client.crt',
         '0644'),
        ('etcd_healthcheck_client_key', 'etcd/healthcheck-client.key', '/etc/etcd/pki/healthcheck-client.key',
         '0600'),
    ],
    'control_plane': [
        ('ca_cert', 'ca.crt', '/etc/kubernetes/pki/ca.crt', '0644'),
        ('ca_key', 'ca.key', '/etc/kubernetes/pki/ca.key', '0600'),
        ('apiserver_cert', 'apiserver.crt', '/etc/kubernetes/pki/apiserver.crt', '0644'),
        ('apiserver_key', 'apiserver.key', '/etc/kubernetes/pki/apiserver.key', '0600'),
        ('apiserver_kubelet_client_cert', 'apiserver-kubelet-client.crt',
         '/etc/kubernetes/pki/apiserver-kubelet-client.crt', '0644'),
        ('apiserver_kubelet_client_key', 'apiserver-kubelet-client.key',
         '/etc/kubernetes/pki/apiserver-kubelet-client.key', '0600'),
        ('apiserver_etcd_client_cert', 'apiserver-etcd-client.crt', '/etc/kubernetes/pki/apiserver-etcd-client.crt',
         '0644'),
        ('apiserver_etcd_client_key', 'apiserver-etcd-client.key', '/etc/kubernetes/pki/apiserver-etcd-client.key',
         '0600'),
        ('etcd_ca_cert_for_apiserver', 'etcd/ca.crt', '/etc/kubernetes/pki/etcd/ca.crt', '0644'),
        ('front_proxy_ca_cert', 'front-proxy-ca.crt', '/etc/kubernetes/pki/front-proxy-ca.crt', '0644'),
        ('front_proxy_client_cert', 'front-proxy-client.crt', '/etc/kubernetes/pki/front-proxy-client.crt', '0644'),
        ('front_proxy_client_key', 'front-proxy-client.key', '/etc/kubernetes/pki/front-proxy-client.key', '0600'),
        ('sa_key', 'sa.key', '/etc/kubernetes/pki/sa.key', '0600'),
        ('sa_pub', 'sa.pub', '/etc/kubernetes/pki/sa.pub', '0644'),
        ('encryption_key', 'encryption-at-rest.key', '/etc/kubernetes/pki/encryption-at-rest.key', '0600'),
        ('admin_kubeconfig', 'admin.kubeconfig', '/etc/kubernetes/admin.kubeconfig', '0600'),
        ('controller_manager_kubeconfig', 'controller-manager.kubeconfig',
         '/etc/kubernetes/controller-manager.kubeconfig', '0600'),
        ('scheduler_kubeconfig', 'scheduler.kubeconfig', '/etc/kubernetes/scheduler.kubeconfig', '0600'),
    ],
    'node': [
        ('ca_cert', 'ca.crt', '/etc/kubernetes/pki/ca.crt', '0644'),
        ('kube_proxy_kubeconfig', 'kube-proxy.kubeconfig', '/etc/kubernetes/kube-proxy.kubeconfig', '0600'),
    ],
    'flannel': [
        ('flannel_kubeconfig', 'flannel.kubeconfig', '/etc/kubernetes/flannel.kubeconfig', '0600'),
    ],
    'csr_approver': [
        ('csr_approver_kubeconfig', 'csr-approver.kubeconfig', '/etc/kubernetes/csr-approver/csr-approver.kubeconfig',
         '0600'),
    ],
}
DIRS = ('/etc/etcd/pki', '/etc/kubernetes/pki', '/etc/kubernetes')


def as_tuples(sets):
    return {name: [(f['id'], f['src'], f['dest'], f['mode']) for f in files] for name, files in sets.items()}


def test_file_sets_are_those_of_the_former_template():
    sets = pki_filters.pki_file_sets('node01', *DIRS)
    assert list(sets) == ['etcd', 'control_plane', 'node', 'flannel', 'csr_approver']
    assert as_tuples(sets) == NODE01_SETS
    assert all(set(f) == {'id', 'src', 'dest', 'mode'} for files in sets.values() for f in files)


def test_file_sets_follow_the_remote_directories():
    sets = _pki_table.file_sets('m1', '/e', '/k', '/c')
    assert [f['dest'] for f in sets['etcd']][:2] == ['/e/ca.crt', '/e/server.crt']
    assert sets['etcd'][1]['src'] == 'etcd/m1-server.crt'
    assert sets['control_plane'][8]['dest'] == '/k/etcd/ca.crt'
    assert sets['flannel'][0]['dest'] == '/c/flannel.kubeconfig'
    assert {f['mode'] for files in sets.values() for f in files
            if f['src'].endswith(('.key', '.kubeconfig'))} == {'0600'}


def test_hosts_file_sets_give_each_group_its_sets_in_group_order():
    hosts = pki_filters.pki_hosts_file_sets(THREE['etcd_hosts'], THREE['control_plane_hosts'],
                                            ['node01', 'master03'], *DIRS)
    assert {h: list(sets) for h, sets in hosts.items()} == {
        'master01': ['etcd', 'control_plane', 'flannel', 'csr_approver'],
        'master02': ['etcd', 'control_plane', 'flannel', 'csr_approver'],
        'master03': ['etcd', 'control_plane', 'node', 'flannel', 'csr_approver'], '10.0.0.20': ['etcd'],
        'node01': ['node', 'flannel']}
    assert list(hosts) == ['master01', 'master02', 'master03', '10.0.0.20', 'node01']
    assert hosts['10.0.0.20']['etcd'][2]['src'] == 'etcd/10.0.0.20-server.key'
    assert hosts['node01'] == {k: v for k, v in _pki_table.file_sets('node01', *DIRS).items()
                               if k in ('node', 'flannel')}


# --- Distribution entries (the kubebin.cluster.kubebin files step) ---

def test_distribute_entries_directories_first_then_files_each_destination_once():
    sets = _pki_table.file_sets('master01', *DIRS)
    entries = _pki_table.distribute_entries(sets, ['control_plane', 'node', 'flannel'], '/pki', 'kube', 'kube',
                                            checksum=lambda path: 'sum:' + path)
    dirs = [e for e in entries if e.get('state') == 'directory']
    assert entries[:len(dirs)] == dirs
    assert dirs == [{'path': p, 'state': 'directory', 'mode': '0755', 'owner': 'kube', 'group': 'kube'}
                    for p in ('/etc/kubernetes/pki', '/etc/kubernetes/pki/etcd', '/etc/kubernetes')]
    files = entries[len(dirs):]
    assert len(files) == len(sets['control_plane']) + 1 + 1  # ca.crt of the node set only once
    assert [f['path'] for f in files].count('/etc/kubernetes/pki/ca.crt') == 1
    assert files[0] == {'path': '/etc/kubernetes/pki/ca.crt', 'mode': '0644', 'owner': 'kube', 'group': 'kube',
                        'src': '/pki/ca.crt', 'checksum': 'sum:/pki/ca.crt', 'secret': False}
    assert files[1]['secret'] is True and files[1]['path'] == '/etc/kubernetes/pki/ca.key'
    assert {f['path'] for f in files if f['secret']} == {f['path'] for f in files if f['mode'] == '0600'}
    assert files[-1]['path'] == '/etc/kubernetes/flannel.kubeconfig' and files[-1]['secret'] is True


def test_the_csr_approver_kubeconfig_goes_to_control_plane_hosts_only_in_a_directory_of_its_own():
    """The csr_approver role makes its service's user own the set's files and directories: nothing else may be in
    them, and /etc/kubernetes (the directory of the other kubeconfigs) must not be one of them."""
    hosts = _pki_table.hosts_file_sets(['master01'], ['master01', 'master02'], ['node01'], *DIRS)
    assert [h for h, sets in hosts.items() if 'csr_approver' in sets] == ['master01', 'master02']
    entries = _pki_table.distribute_entries(hosts['master01'], 'csr_approver', '/pki', 'kubebin-csr-approver',
                                            'kubebin-csr-approver', checksum=lambda path: 'sum')
    assert entries == [
        {'path': '/etc/kubernetes/csr-approver', 'state': 'directory', 'mode': '0755', 'owner': 'kubebin-csr-approver',
         'group': 'kubebin-csr-approver'},
        {'path': '/etc/kubernetes/csr-approver/csr-approver.kubeconfig', 'mode': '0600',
         'owner': 'kubebin-csr-approver', 'group': 'kubebin-csr-approver', 'src': '/pki/csr-approver.kubeconfig',
         'checksum': 'sum', 'secret': True}]


def test_the_role_vars_know_every_set_and_the_csr_approver_kubeconfig():
    role_vars = yaml.safe_load((pathlib.Path(__file__).resolve().parents[2] / 'roles/pki/vars/main.yml').read_text())
    assert tuple(role_vars['_pki_set_names']) == _pki_table.SET_NAMES
    kubeconfigs = {e['user_name']: e for e in role_vars['_pki_kubeconfig_entries']}
    assert kubeconfigs[_pki_table.CSR_APPROVER_CN]['path'] == '{{ pki_dir }}/csr-approver.kubeconfig'
    assert kubeconfigs[_pki_table.CSR_APPROVER_CN]['server'] == kubeconfigs['system:kube-scheduler']['server']


def test_distribute_entries_checksum_of_the_control_node_file(tmp_path):
    (tmp_path / 'etcd').mkdir()
    (tmp_path / 'etcd' / 'ca.crt').write_bytes(b'PEM\n')
    sets = _pki_table.file_sets('master01', *DIRS)
    entries = pki_filters.pki_distribute_entries(sets, 'etcd', str(tmp_path))
    files = {e['path']: e for e in entries if 'src' in e}
    assert files['/etc/etcd/pki/ca.crt']['checksum'] == hashlib.sha256(b'PEM\n').hexdigest()
    assert files['/etc/etcd/pki/server.crt']['checksum'] is None  # not generated yet (check mode)
    assert entries[0] == {'path': '/etc/etcd/pki', 'state': 'directory', 'mode': '0755', 'owner': 'root',
                          'group': 'root'}


@pytest.mark.parametrize('value,expected', [
    ('etcd', ['etcd']), (['control_plane', 'flannel'], ['control_plane', 'flannel']),
    ([['node'], '', None, 'flannel'], ['node', 'flannel']), ([], []), ('', []), (None, []),
])
def test_requested_sets(value, expected):
    assert _pki_table.requested_sets(value) == expected


def test_unknown_set():
    sets = _pki_table.file_sets('master01', *DIRS)
    with pytest.raises(AnsibleFilterError, match=r"pki_distribute_set: unknown file sets \['kubelet'\]"):
        pki_filters.pki_distribute_entries(sets, ['node', 'kubelet'], '/pki')


def test_filters_are_registered():
    assert set(pki_filters.FilterModule().filters()) == {
        'pki_certificates', 'pki_x509_entries', 'pki_file_sets', 'pki_hosts_file_sets', 'pki_distribute_entries',
        'bootstrap_token', 'encryption_secret'}
