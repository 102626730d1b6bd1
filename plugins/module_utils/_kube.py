# -*- coding: utf-8 -*-
"""A tiny Kubernetes API client on the Python standard library.

It reads a kubeconfig (embedded ``*-data`` fields or file paths; client certificate + key or a bearer token;
the cluster CA), and sends JSON requests over TLS with certificate verification always on. Every problem is
raised as ``KubeError`` with a message a user can act on; callers turn it into ``fail_json``.

Not supported (rejected with a clear message): ``insecure-skip-tls-verify``, ``tls-server-name``, basic auth,
``exec`` and ``auth-provider`` credential plugins. Proxies from the environment are ignored: the client always
connects directly to the API server.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request

try:
    import yaml
    HAS_YAML = True
except ImportError:  # a kubeconfig in JSON form (valid YAML too) still works without PyYAML
    HAS_YAML = False


class KubeError(Exception):
    """A problem talking to the API or reading the kubeconfig; ``status`` is the HTTP status when there is one."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def _named(items, name, kind, path):
    for item in items or []:
        if isinstance(item, dict) and item.get('name') == name:
            body = item.get(kind)
            if not isinstance(body, dict):
                raise KubeError('kubeconfig %s: %s "%s" has no "%s" mapping' % (path, kind, name, kind))
            return body
    raise KubeError('kubeconfig %s: no %s named "%s"' % (path, kind, name))


def _material(section, key, base_dir, path, what):
    """PEM bytes from ``<key>-data`` (base64) or ``<key>`` (a file path, relative to the kubeconfig's directory)."""
    data = section.get(key + '-data')
    if data:
        try:
            return base64.b64decode(data, validate=True)
        except (ValueError, TypeError) as exc:
            raise KubeError('kubeconfig %s: %s-data (%s) is not valid base64: %s' % (path, key, what, exc))
    file_name = section.get(key)
    if file_name:
        file_path = os.path.join(base_dir, os.path.expanduser(file_name))
        try:
            with open(file_path, 'rb') as f:
                return f.read()
        except OSError as exc:
            raise KubeError('kubeconfig %s: cannot read %s %s (%s): %s' % (path, key, file_path, what, exc.strerror))
    return None


class KubeConfig:
    """The parts of one kubeconfig context this client needs."""

    def __init__(self, server, ca_pem=None, cert_pem=None, key_pem=None, token=None, context=None):
        self.server = server.rstrip('/')
        self.ca_pem = ca_pem
        self.cert_pem = cert_pem
        self.key_pem = key_pem
        self.token = token
        self.context = context


def parse_kubeconfig(text, path='<string>', context=None):
    """Parse kubeconfig text (YAML or JSON) and resolve ``context`` (default: current-context) to a KubeConfig.

    Relative file paths inside the kubeconfig are resolved against the directory of ``path``, as kubectl does.
    """
    try:
        if HAS_YAML:
            doc = yaml.safe_load(text)
        else:
            doc = json.loads(text)
    except Exception as exc:  # yaml.YAMLError / ValueError: the message is what matters to the user
        raise KubeError('kubeconfig %s is not valid %s: %s' % (path, 'YAML' if HAS_YAML else 'JSON (PyYAML is not installed)', exc))
    if not isinstance(doc, dict):
        raise KubeError('kubeconfig %s is not a mapping (is it a kubeconfig file?)' % path)
    base_dir = os.path.dirname(os.path.abspath(path)) if path != '<string>' else os.getcwd()

    context = context or doc.get('current-context')
    if not context:
        raise KubeError('kubeconfig %s has no current-context: set one with '
                        '"kubectl config use-context NAME --kubeconfig %s"' % (path, path))
    ctx = _named(doc.get('contexts'), context, 'context', path)
    if not ctx.get('cluster') or not ctx.get('user'):
        raise KubeError('kubeconfig %s: context "%s" must name both a cluster and a user' % (path, context))
    cluster = _named(doc.get('clusters'), ctx['cluster'], 'cluster', path)
    user = _named(doc.get('users'), ctx['user'], 'user', path)

    server = cluster.get('server')
    if not server or not isinstance(server, str):
        raise KubeError('kubeconfig %s: cluster "%s" has no server URL' % (path, ctx['cluster']))
    if urllib.parse.urlsplit(server).scheme != 'https':
        raise KubeError('kubeconfig %s: server %s is not an https:// URL; this client only talks TLS' % (path, server))
    for unsupported in ('insecure-skip-tls-verify', 'tls-server-name', 'proxy-url'):
        if cluster.get(unsupported):
            raise KubeError('kubeconfig %s: cluster "%s" sets %s, which is not supported: give the cluster CA in '
                            'certificate-authority(-data) and use the name the server certificate carries'
                            % (path, ctx['cluster'], unsupported))
    for unsupported in ('exec', 'auth-provider', 'username', 'password'):
        if user.get(unsupported):
            raise KubeError('kubeconfig %s: user "%s" uses %s, which is not supported: use a client certificate '
                            'and key or a token' % (path, ctx['user'], unsupported))

    ca_pem = _material(cluster, 'certificate-authority', base_dir, path, 'cluster CA')
    cert_pem = _material(user, 'client-certificate', base_dir, path, 'client certificate')
    key_pem = _material(user, 'client-key', base_dir, path, 'client key')
    token = user.get('token')
    if not token and user.get('tokenFile'):
        token_path = os.path.join(base_dir, os.path.expanduser(user['tokenFile']))
        try:
            with open(token_path) as f:
                token = f.read().strip()
        except OSError as exc:
            raise KubeError('kubeconfig %s: cannot read tokenFile %s: %s' % (path, token_path, exc.strerror))
    if bool(cert_pem) != bool(key_pem):
        raise KubeError('kubeconfig %s: user "%s" has a client certificate without a key or a key without a '
                        'certificate' % (path, ctx['user']))
    if not cert_pem and not token:
        raise KubeError('kubeconfig %s: user "%s" has no credentials (client-certificate + client-key, or token)'
                        % (path, ctx['user']))
    return KubeConfig(server, ca_pem=ca_pem, cert_pem=cert_pem, key_pem=key_pem, token=token, context=context)


def load_kubeconfig(path, context=None):
    """Read and parse the kubeconfig file at ``path``."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as exc:
        raise KubeError('cannot read kubeconfig %s: %s' % (path, exc.strerror))
    return parse_kubeconfig(text, path=path, context=context)


def ssl_context(config):
    """An SSLContext that verifies the server against the kubeconfig's CA and presents the client certificate."""
    try:
        if config.ca_pem:
            ctx = ssl.create_default_context(cadata=config.ca_pem.decode('ascii'))
        else:
            ctx = ssl.create_default_context()
    except (ssl.SSLError, ValueError, UnicodeDecodeError) as exc:
        raise KubeError('the cluster CA in the kubeconfig is not a PEM certificate: %s' % exc)
    if config.cert_pem:
        # load_cert_chain only reads files: write the PEMs to a private temporary directory for the call.
        tmp = tempfile.mkdtemp(prefix='kubebin-kube-')
        try:
            cert_file = os.path.join(tmp, 'client.crt')
            key_file = os.path.join(tmp, 'client.key')
            for file_name, data in ((cert_file, config.cert_pem), (key_file, config.key_pem)):
                fd = os.open(file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, 'wb') as f:
                    f.write(data)
            ctx.load_cert_chain(cert_file, key_file)
        except ssl.SSLError as exc:
            raise KubeError('the client certificate/key in the kubeconfig cannot be used (not PEM, or the key does '
                            'not match the certificate): %s' % exc)
        finally:
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)
    return ctx


class KubeClient:
    """GET/PUT/POST/PATCH JSON against one API server."""

    def __init__(self, config, timeout=30):
        self.config = config
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=ssl_context(config)),
        )

    @classmethod
    def from_kubeconfig(cls, path, context=None, timeout=30):
        return cls(load_kubeconfig(path, context=context), timeout=timeout)

    def build_request(self, method, path, body=None, content_type='application/json'):
        """The urllib Request for ``method path`` with ``body`` (a JSON-able object) and the credentials."""
        if not path.startswith('/'):
            raise ValueError('API path must start with "/": %r' % path)
        headers = {'Accept': 'application/json', 'User-Agent': 'kubebin.cluster'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = content_type
        if self.config.token:
            headers['Authorization'] = 'Bearer %s' % self.config.token
        return urllib.request.Request(self.config.server + path, data=data, headers=headers, method=method)

    def request(self, method, path, body=None, content_type='application/json'):
        req = self.build_request(method, path, body, content_type)
        where = '%s %s' % (method, req.full_url)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise KubeError('%s: HTTP %s %s' % (where, exc.code, _status_message(exc)), status=exc.code)
        except urllib.error.URLError as exc:
            raise KubeError('%s: cannot reach the API server: %s' % (where, exc.reason))
        except (OSError, ssl.SSLError) as exc:  # timeouts and resets after the connection was made
            raise KubeError('%s: %s' % (where, exc))
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise KubeError('%s: the answer is not JSON: %r' % (where, raw[:200]))

    def get(self, path):
        return self.request('GET', path)

    def put(self, path, body):
        return self.request('PUT', path, body)

    def post(self, path, body):
        return self.request('POST', path, body)

    def patch(self, path, body, content_type='application/merge-patch+json'):
        return self.request('PATCH', path, body, content_type)


def _status_message(exc):
    """The ``message`` of a Kubernetes Status answer, else the body's first bytes, else the HTTP reason."""
    try:
        raw = exc.read()
    except Exception:
        raw = b''
    try:
        doc = json.loads(raw)
        if isinstance(doc, dict) and doc.get('message'):
            return doc['message']
    except ValueError:
        pass
    return raw[:200].decode('utf-8', 'replace') or str(exc.reason)
