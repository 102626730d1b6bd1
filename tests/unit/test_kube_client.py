"""Unit tests for plugins/module_utils/_kube.py: kubeconfig parsing, TLS context, request building.

These tests never pretend to be a Kubernetes API server (the loopback TLS endpoint below answers HTTP 418 to
everything): whether the client works against the real API is shown by
the `cluster` Molecule scenario. Certificates here are real (built with `cryptography`) and loaded by Python's ssl.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import pathlib
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[2] / '.cache' / 'collections'
if _COLLECTIONS.is_dir() and str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.kubebin.cluster.plugins.module_utils import _kube  # noqa: E402


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_cert(cn, issuer=None, is_ca=False, sans=()):
    """(cert_pem, key_pem, cert, key): a real certificate, self-signed when issuer is None, else issued by it."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_cert, issuer_key = (issuer[2], issuer[3]) if issuer else (None, key)
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key), cert, key


@pytest.fixture(scope='module')
def pki():
    ca = make_cert('kubernetes-ca', is_ca=True)
    admin = make_cert('kubernetes-admin', issuer=ca)
    other = make_cert('someone-else')
    return {'ca': ca, 'admin': admin, 'other': other}


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def kubeconfig_doc(server='https://127.0.0.1:6443', cluster=None, user=None, current='admin@kubebin'):
    doc = {
        'apiVersion': 'v1',
        'kind': 'Config',
        'clusters': [{'name': 'kubebin', 'cluster': cluster if cluster is not None else {'server': server}}],
        'users': [{'name': 'admin', 'user': user if user is not None else {'token': 'abc'}}],
        'contexts': [{'name': 'admin@kubebin', 'context': {'cluster': 'kubebin', 'user': 'admin'}}],
    }
    if current:
        doc['current-context'] = current
    return doc


def write_kubeconfig(path, pki, server='https://127.0.0.1:6443'):
    """Write an admin kubeconfig with embedded CA, client certificate and key (the layout our kubeconfig module writes)."""
    doc = kubeconfig_doc(
        cluster={'server': server, 'certificate-authority-data': _b64(pki['ca'][0])},
        user={'client-certificate-data': _b64(pki['admin'][0]), 'client-key-data': _b64(pki['admin'][1])})
    import yaml
    pathlib.Path(path).write_text(yaml.safe_dump(doc))
    os.chmod(path, 0o600)
    return str(path)


def test_embedded_data_yaml(tmp_path, pki):
    path = write_kubeconfig(tmp_path / 'admin.kubeconfig', pki)
    cfg = _kube.load_kubeconfig(path)
    assert cfg.server == 'https://127.0.0.1:6443'
    assert cfg.ca_pem == pki['ca'][0]
    assert cfg.cert_pem == pki['admin'][0] and cfg.key_pem == pki['admin'][1]
    assert cfg.token is None and cfg.context == 'admin@kubebin'


def test_file_paths_relative_to_kubeconfig_dir(tmp_path, pki):
    (tmp_path / 'pki').mkdir()
    (tmp_path / 'pki' / 'ca.crt').write_bytes(pki['ca'][0])
    (tmp_path / 'pki' / 'admin.crt').write_bytes(pki['admin'][0])
    (tmp_path / 'pki' / 'admin.key').write_bytes(pki['admin'][1])
    doc = kubeconfig_doc(cluster={'server': 'https://10.0.0.1:6443/', 'certificate-authority': 'pki/ca.crt'},
                         user={'client-certificate': 'pki/admin.crt',
                               'client-key': str(tmp_path / 'pki' / 'admin.key')})
    path = tmp_path / 'kc.json'   # JSON is valid YAML: read the same way
    path.write_text(json.dumps(doc))
    cfg = _kube.load_kubeconfig(str(path))
    assert cfg.server == 'https://10.0.0.1:6443'
    assert cfg.ca_pem == pki['ca'][0] and cfg.cert_pem == pki['admin'][0] and cfg.key_pem == pki['admin'][1]


def test_token_and_token_file(tmp_path):
    cfg = _kube.parse_kubeconfig(json.dumps(kubeconfig_doc(user={'token': 's3cret'})))
    assert cfg.token == 's3cret' and cfg.cert_pem is None
    (tmp_path / 'token').write_text('from-file\n')
    path = tmp_path / 'kc'
    path.write_text(json.dumps(kubeconfig_doc(user={'tokenFile': 'token'})))
    assert _kube.load_kubeconfig(str(path)).token == 'from-file'


def test_explicit_context_overrides_current(tmp_path):
    doc = kubeconfig_doc(current='missing')
    cfg = _kube.parse_kubeconfig(json.dumps(doc), context='admin@kubebin')
    assert cfg.context == 'admin@kubebin'


@pytest.mark.parametrize('mutate, message', [
    (lambda d: d.pop('current-context'), 'has no current-context'),
    (lambda d: d.update({'current-context': 'nope'}), 'no context named "nope"'),
    (lambda d: d['contexts'][0]['context'].update({'user': 'ghost'}), 'no user named "ghost"'),
    (lambda d: d['clusters'][0]['cluster'].pop('server'), 'has no server URL'),
    (lambda d: d['clusters'][0]['cluster'].update({'server': 'http://127.0.0.1:8080'}), 'not an https:// URL'),
    (lambda d: d['clusters'][0]['cluster'].update({'insecure-skip-tls-verify': True}), 'insecure-skip-tls-verify'),
    (lambda d: d['users'][0].update({'user': {'exec': {'command': 'aws'}}}), 'uses exec'),
    (lambda d: d['users'][0].update({'user': {}}), 'has no credentials'),
    (lambda d: d['users'][0].update({'user': {'client-certificate-data': _b64(b'x')}}), 'without a key'),
    (lambda d: d['users'][0].update({'user': {'client-key-data': '!!not base64!!'}}), 'not valid base64'),
    (lambda d: d['users'][0].update({'user': {'client-certificate': '/nonexistent/admin.crt', 'client-key': '/x'}}),
     'cannot read client-certificate /nonexistent/admin.crt'),
])
def test_bad_kubeconfig_clear_errors(mutate, message):
    doc = kubeconfig_doc()
    mutate(doc)
    with pytest.raises(_kube.KubeError, match=message):
        _kube.parse_kubeconfig(json.dumps(doc), path='/etc/kubernetes/admin.kubeconfig')


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(_kube.KubeError, match='cannot read kubeconfig .*/nope: No such file'):
        _kube.load_kubeconfig(str(tmp_path / 'nope'))
    bad = tmp_path / 'bad'
    bad.write_text('clusters: [unclosed')
    with pytest.raises(_kube.KubeError, match='is not valid YAML'):
        _kube.load_kubeconfig(str(bad))
    bad.write_text('- just\n- a list\n')
    with pytest.raises(_kube.KubeError, match='is not a mapping'):
        _kube.load_kubeconfig(str(bad))


def test_ssl_context_verifies_and_presents_client_cert(tmp_path, pki, monkeypatch):
    """A real ssl.SSLContext: verification on, hostname checked, CA loaded, client cert chain accepted."""
    import ssl
    import tempfile
    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(scratch))
    cfg = _kube.load_kubeconfig(write_kubeconfig(tmp_path / 'kc', pki))
    ctx = _kube.ssl_context(cfg)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert [c['subject'] for c in ctx.get_ca_certs()] == [((('commonName', 'kubernetes-ca'),),)]
    assert os.listdir(str(scratch)) == []   # the temporary copies of the key material are gone


def test_ssl_context_rejects_mismatched_key_and_bad_ca(pki):
    cfg = _kube.KubeConfig('https://h:6443', ca_pem=pki['ca'][0], cert_pem=pki['admin'][0], key_pem=pki['other'][1])
    with pytest.raises(_kube.KubeError, match='client certificate/key in the kubeconfig cannot be used'):
        _kube.ssl_context(cfg)
    cfg = _kube.KubeConfig('https://h:6443', ca_pem=b'not a pem', token='t')
    with pytest.raises(_kube.KubeError, match='cluster CA in the kubeconfig is not a PEM certificate'):
        _kube.ssl_context(cfg)


def test_build_request(pki):
    client = _kube.KubeClient(_kube.KubeConfig('https://10.0.0.1:6443', ca_pem=pki['ca'][0], token='tok'))
    req = client.build_request('PUT', '/apis/x/v1/things/a/approval', {'a': 1})
    assert req.full_url == 'https://10.0.0.1:6443/apis/x/v1/things/a/approval'
    assert req.get_method() == 'PUT'
    assert json.loads(req.data) == {'a': 1}
    assert req.get_header('Content-type') == 'application/json'
    assert req.get_header('Authorization') == 'Bearer tok'
    get = client.build_request('GET', '/api')
    assert get.data is None and get.get_method() == 'GET' and get.get_header('Accept') == 'application/json'
    with pytest.raises(ValueError):
        client.build_request('GET', 'api')


def test_client_cert_user_sends_no_authorization_header(tmp_path, pki):
    client = _kube.KubeClient.from_kubeconfig(write_kubeconfig(tmp_path / 'kc', pki))
    assert client.build_request('GET', '/api').get_header('Authorization') is None


def test_unreachable_server_is_a_clear_error(pki):
    """Port 1 on loopback refuses connections: the error names the request and says the server is unreachable."""
    client = _kube.KubeClient(_kube.KubeConfig('https://127.0.0.1:1', ca_pem=pki['ca'][0], token='t'), timeout=5)
    with pytest.raises(_kube.KubeError, match=r'GET https://127.0.0.1:1/api: cannot reach the API server'):
        client.get('/api')


# --- TLS on loopback ---------------------------------------------------------------------------------------------
# A plain TLS endpoint on 127.0.0.1 that answers every request with HTTP 418 and a text body. It does NOT pretend to
# be Kubernetes: these tests only show that the client verifies the server against the kubeconfig CA and the
# address, and presents the kubeconfig's client certificate.

@pytest.fixture
def tls_server(tmp_path, pki):
    import http.server
    import ipaddress
    import ssl
    import threading

    seen = {}
    server_cert = make_cert('kube-apiserver', issuer=pki['ca'],
                            sans=[x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen['peer'] = self.connection.getpeercert()
            self.send_response(418)
            self.send_header('Content-Type', 'text/plain')
            self.end_headers()
            self.wfile.write(b'not kubernetes')

        def log_message(self, *args):
            pass

    (tmp_path / 's.crt').write_bytes(server_cert[0])
    (tmp_path / 's.key').write_bytes(server_cert[1])
    (tmp_path / 'ca.crt').write_bytes(pki['ca'][0])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tmp_path / 's.crt'), str(tmp_path / 's.key'))
    ctx.load_verify_locations(str(tmp_path / 'ca.crt'))
    ctx.verify_mode = ssl.CERT_REQUIRED
    httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield 'https://127.0.0.1:%d' % httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


def test_tls_client_cert_presented_and_http_error_reported(tls_server, pki):
    url, seen = tls_server
    client = _kube.KubeClient(_kube.KubeConfig(url, ca_pem=pki['ca'][0], cert_pem=pki['admin'][0],
                                               key_pem=pki['admin'][1]), timeout=5)
    with pytest.raises(_kube.KubeError, match=r'GET https://127.0.0.1:\d+/api: HTTP 418 not kubernetes') as exc:
        client.get('/api')
    assert exc.value.status == 418
    assert dict(x[0] for x in seen['peer']['subject']) == {'commonName': 'kubernetes-admin'}


def test_tls_server_from_another_ca_is_refused(tls_server, pki):
    url, seen = tls_server
    client = _kube.KubeClient(_kube.KubeConfig(url, ca_pem=pki['other'][0], cert_pem=pki['admin'][0],
                                               key_pem=pki['admin'][1]), timeout=5)
    with pytest.raises(_kube.KubeError, match='cannot reach the API server: .*certificate verify failed'):
        client.get('/api')
    assert 'peer' not in seen


def test_tls_server_name_must_match(tls_server, pki):
    """The server certificate carries 127.0.0.1 only: reaching it as "localhost" must fail verification."""
    url, _seen = tls_server
    client = _kube.KubeClient(_kube.KubeConfig(url.replace('127.0.0.1', 'localhost'), ca_pem=pki['ca'][0],
                                               cert_pem=pki['admin'][0], key_pem=pki['admin'][1]), timeout=5)
    with pytest.raises(_kube.KubeError, match="Hostname mismatch, certificate is not valid for 'localhost'"):
        client.get('/api')
