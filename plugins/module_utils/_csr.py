# -*- coding: utf-8 -*-
"""Decisions on kubelet CertificateSigningRequests (certificates.k8s.io/v1), and the approve/deny loop.

``decide(csr, nodes, approve_client_csrs, **rules)`` is a pure function over one CSR object as the API returns it
and the node inventory (``{name: {'names': set, 'ips': set}}`` from ``node_inventory``); it returns
``(decision, reason)`` with decision ``approve``, ``deny`` or ``ignore``. ``deny`` means "this CSR is for one of
our nodes and fails validation"; whether it is actually denied is the caller's choice. ``rules`` are
``max_expiration_seconds``, ``bootstrap_group`` and ``bootstrap_token_nodes`` (checked by ``check_rules``).

Node names and DNS SANs are compared exactly (node names are lowercase DNS names; a trailing dot is ignored): a CSR
whose requester or CN names one of our nodes in another case is denied, not approved and not ignored.

``reconcile`` lists CSRs through an ``api`` object (``list_csrs()``, ``set_condition(csr, condition)``), acts on the
decisions, and optionally waits for the serving CSRs of named nodes.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import re
import time

from ansible_collections.kubebin.cluster.plugins.module_utils._kube import KubeError

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

SERVING_SIGNER = 'kubernetes.io/kubelet-serving'
CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet'
NODE_PREFIX = 'system:node:'
NODES_GROUP = 'system:nodes'
BOOTSTRAP_PREFIX = 'system:bootstrap:'
BOOTSTRAPPERS_GROUP = 'system:bootstrappers'
SERVING_USAGES = frozenset(['server auth', 'digital signature', 'key encipherment'])
CLIENT_USAGES = frozenset(['client auth', 'digital signature', 'key encipherment'])
CONDITION_REASON = 'KubebinCSRApprove'
DEFAULT_MAX_EXPIRATION_SECONDS = 365 * 24 * 3600
# The control_plane role's control_plane_bootstrap_token_group default: the extra group of its bootstrap token.
DEFAULT_BOOTSTRAP_GROUP = 'system:bootstrappers:kubebin:default-node-token'
BOOTSTRAP_GROUP_RE = re.compile(r'^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$')
TOKEN_ID_RE = re.compile(r'^[a-z0-9]{6}$')
# SAN types a kubelet certificate may carry; any other is denied with its own name.
SAN_KINDS = {'RFC822Name': 'email', 'UniformResourceIdentifier': 'URI', 'RegisteredID': 'registered ID',
             'OtherName': 'otherName', 'DirectoryName': 'directory name'}
CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests'


class InputError(ValueError):
    """Bad module input (node inventory, service CIDR, wait_for)."""


def forbidden_name(name):
    """Why a DNS name must never be in a kubelet serving certificate, or None.

    Covers the API server's in-cluster names (``kubernetes``, ``kubernetes.default...``), anything with a ``svc``
    label (``*.svc``, ``*.svc.cluster.local``), ``*.cluster.local`` and wildcards. A node called ``kubernetes-w1`` is
    fine: only a first label of exactly ``kubernetes`` is refused.
    """
    labels = name.lower().rstrip('.').split('.')
    if '*' in name:
        return 'wildcard name %s' % name
    if labels[0] == 'kubernetes':
        return 'API server name %s' % name
    if 'svc' in labels:
        return 'service name %s' % name
    if labels[-2:] == ['cluster', 'local']:
        return 'cluster-internal name %s' % name
    return None


def parse_cidrs(text):
    """``10.96.0.0/12`` or a comma-separated list (as kube-apiserver's --service-cluster-ip-range) → networks."""
    nets = []
    for part in (text or '').split(','):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise InputError('service_cidr: %s is not a CIDR (%s)' % (part, exc))
    return nets


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _lowercase(i, what, value):
    if value != value.lower():
        raise InputError('nodes[%d]: %s %s is not lowercase; Kubernetes node names and DNS names are lowercase and '
                         'are compared exactly: write %s' % (i, what, value, value.lower()))


def node_inventory(nodes, service_nets=()):
    """Validate the ``nodes`` option and index it: ``{name: {'names': {lowercase DNS names}, 'ips': {ip objects}}}``.

    The node name itself always counts as one of its DNS names. Names must be lowercase, and no IP or DNS name may
    belong to two nodes. Raises InputError naming the bad entry (and the other node).
    """
    if not isinstance(nodes, list):
        raise InputError('nodes must be a list of {name, addresses}')
    inv = {}
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get('name'), str) or not node['name'].strip():
            raise InputError('nodes[%d] needs a non-empty "name" (the Kubernetes node name), got %r' % (i, node))
        name = node['name'].strip()
        _lowercase(i, 'node name', name)
        if name in inv:
            raise InputError('nodes[%d]: node %s is listed twice' % (i, name))
        why = forbidden_name(name)
        if why:
            raise InputError('nodes[%d]: node name %s is not allowed (%s)' % (i, name, why))
        for other, e in inv.items():
            if name in e['names']:
                raise InputError('nodes[%d]: node name %s is listed as an address of node %s; a node\'s name belongs '
                                 'to that node only' % (i, name, other))
        entry = {'names': {name}, 'ips': set()}
        for addr in node.get('addresses') or []:
            if not isinstance(addr, str) or not addr.strip():
                raise InputError('nodes[%d] (%s): addresses must be non-empty strings, got %r' % (i, name, addr))
            addr = addr.strip()
            ip = _ip(addr)
            if ip is not None:
                for net in service_nets:
                    if ip.version == net.version and ip in net:
                        raise InputError('nodes[%d] (%s): address %s is inside the service CIDR %s; list the node\'s '
                                         'own IPs only' % (i, name, addr, net))
                owners = _owner_of(ip, inv, 'ips')
                if owners:
                    raise InputError('nodes[%d] (%s): address %s is also an address of node %s; an IP belongs to one '
                                     'node only' % (i, name, addr, owners[0]))
                entry['ips'].add(ip)
            else:
                why = forbidden_name(addr)
                if why:
                    raise InputError('nodes[%d] (%s): address %s is not allowed (%s)' % (i, name, addr, why))
                addr = addr.rstrip('.')
                _lowercase(i, 'address', addr)
                owners = _owner_of(addr, inv, 'names')
                if owners:
                    raise InputError('nodes[%d] (%s): address %s is %s node %s; a DNS name belongs to one node only'
                                     % (i, name, addr, 'the name of' if addr in inv else 'also an address of',
                                        owners[0]))
                entry['names'].add(addr)
        inv[name] = entry
    return inv


def check_rules(inv, max_expiration_seconds=DEFAULT_MAX_EXPIRATION_SECONDS, bootstrap_group=DEFAULT_BOOTSTRAP_GROUP,
                bootstrap_token_nodes=None):
    """Validate the rule options against the inventory ``inv``; returns them as ``decide``'s keyword arguments."""
    if isinstance(max_expiration_seconds, bool) or not isinstance(max_expiration_seconds, int) \
            or max_expiration_seconds <= 0:
        raise InputError('max_expiration_seconds must be a positive number of seconds (got %r); the default %d is one '
                         'year' % (max_expiration_seconds, DEFAULT_MAX_EXPIRATION_SECONDS))
    if not isinstance(bootstrap_group, str) or not BOOTSTRAP_GROUP_RE.match(bootstrap_group):
        raise InputError('bootstrap_group must be the bootstrap token\'s extra group, system:bootstrappers:<lowercase '
                         'name> (got %r); use the control_plane role\'s control_plane_bootstrap_token_group, default %s'
                         % (bootstrap_group, DEFAULT_BOOTSTRAP_GROUP))
    tokens = bootstrap_token_nodes or {}
    if not isinstance(tokens, dict):
        raise InputError('bootstrap_token_nodes must map token ids to node names, e.g. {abc123: node01}')
    for token_id, node in sorted(tokens.items(), key=str):
        if not isinstance(token_id, str) or not TOKEN_ID_RE.match(token_id):
            raise InputError('bootstrap_token_nodes: %r is not a bootstrap token id (6 characters a-z, 0-9: the part '
                             'before the dot of <id>.<secret>)' % (token_id,))
        if not isinstance(node, str) or node not in inv:
            raise InputError('bootstrap_token_nodes: token %s maps to %r, which is not a node name in nodes; map each '
                             'token id to the node it was issued to' % (token_id, node))
    return {'max_expiration_seconds': max_expiration_seconds, 'bootstrap_group': bootstrap_group,
            'bootstrap_token_nodes': dict(tokens)}


def conditions(csr):
    return [c.get('type') for c in (csr.get('status') or {}).get('conditions') or []]


def is_decided(csr):
    return bool({'Approved', 'Denied'} & set(conditions(csr)))


def _node_of(username):
    if isinstance(username, str) and username.startswith(NODE_PREFIX):
        return username[len(NODE_PREFIX):]
    return None


def parse_request(csr):
    """The x509.CertificateSigningRequest from ``spec.request`` (base64 of PEM, as the API serves it), or raise."""
    raw = (csr.get('spec') or {}).get('request') or ''
    try:
        pem = base64.b64decode(raw, validate=True)
        req = x509.load_pem_x509_csr(pem)
    except (ValueError, TypeError) as exc:
        raise ValueError('spec.request is not a base64 PEM certificate request (%s)' % exc)
    if not req.is_signature_valid:
        raise ValueError('the request\'s signature does not verify')
    return req


def _subject(req):
    cns = [a.value for a in req.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    orgs = [a.value for a in req.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    return cns, orgs


def _sans(req):
    """(DNS names, IP addresses) of the request; _check_extensions has made sure there is no other SAN type."""
    try:
        ext = req.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return ext.get_values_for_type(x509.DNSName), ext.get_values_for_type(x509.IPAddress)


def _check_extensions(req):
    """Only subjectAltName with DNS and IP names, and basicConstraints CA:FALSE, may be requested."""
    for ext in req.extensions:
        if isinstance(ext.value, x509.SubjectAlternativeName):
            for name in ext.value:
                if not isinstance(name, (x509.DNSName, x509.IPAddress)):
                    kind = type(name).__name__
                    value = name.type_id if isinstance(name, x509.OtherName) else name.value
                    if isinstance(value, x509.Name):
                        value = value.rfc4514_string()
                    value = getattr(value, 'dotted_string', value)
                    return '%s SANs are not allowed: %s (only DNS and IP)' % (SAN_KINDS.get(kind, kind), value)
        elif isinstance(ext.value, x509.BasicConstraints):
            if ext.value.ca:
                return 'the request asks for a CA certificate (basicConstraints CA:TRUE)'
        else:
            return 'extension %s (%s) is not allowed; a kubelet CSR carries subjectAltName only' % (
                type(ext.value).__name__, ext.oid.dotted_string)
    return None


def _check_expiration(spec, max_seconds):
    """``spec.expirationSeconds``, when set, must not exceed max_expiration_seconds (absent: the signer's duration)."""
    seconds = spec.get('expirationSeconds')
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds > max_seconds:
        return 'spec.expirationSeconds %s is above max_expiration_seconds %d' % (seconds, max_seconds)
    return None


def _owner_of(value, inv, key):
    return sorted(n for n, e in inv.items() if value in e[key])


def _check_subject(req, node):
    """Problems with CN/O for a CSR that must be ``CN=system:node:<node>, O=system:nodes``."""
    cns, orgs = _subject(req)
    want = NODE_PREFIX + node
    if cns != [want]:
        return 'subject CN is %s, expected %s' % (', '.join(cns) or 'empty', want)
    if orgs != [NODES_GROUP]:
        return 'subject O is [%s], expected exactly [%s]' % (', '.join(orgs), NODES_GROUP)
    return None


def _check_usages(spec, allowed, required):
    usages = spec.get('usages') or []
    extra = sorted(set(usages) - allowed)
    if extra:
        return 'usages %s are not allowed (only %s)' % (', '.join(extra), ', '.join(sorted(allowed)))
    if required not in usages:
        return 'usages lack "%s"' % required
    return None


def _case_differs(name, inv):
    return name is not None and name not in inv and name.lower() in inv


def _decide_serving(csr, inv, max_expiration_seconds=DEFAULT_MAX_EXPIRATION_SECONDS):
    spec = csr.get('spec') or {}
    username = spec.get('username') or ''
    requester_node = _node_of(username)
    try:
        req = parse_request(csr)
    except ValueError as exc:
        req, parse_error = None, str(exc)
    else:
        parse_error = None
    cn_node = None
    if req is not None:
        cns, _orgs = _subject(req)
        cn_node = _node_of(cns[0]) if len(cns) == 1 else None
    ours = sorted({n for n in (requester_node, cn_node) if n is not None and n.lower() in inv})
    if not ours:
        return 'ignore', 'not for a node in nodes (requester %s, CN %s)' % (username or '-', (NODE_PREFIX + cn_node) if cn_node else '-')

    if requester_node is None:
        return 'deny', 'requester %s is not a node (system:node:<name>) but asks for %s\'s serving certificate' % (username or '-', ours[0])
    node = requester_node
    if _case_differs(node, inv):
        return 'deny', 'requester %s is not node %s: node names are compared exactly' % (username, node.lower())
    if node not in inv:
        return 'deny', 'requester %s asks for a certificate for node %s' % (username, cn_node)
    if NODES_GROUP not in (spec.get('groups') or []):
        return 'deny', 'requester %s is not in group %s' % (username, NODES_GROUP)
    if parse_error:
        return 'deny', parse_error
    problem = (_check_subject(req, node) or _check_usages(spec, SERVING_USAGES, 'server auth')
               or _check_expiration(spec, max_expiration_seconds) or _check_extensions(req))
    if problem:
        return 'deny', problem
    dns_names, ips = _sans(req)
    if not dns_names and not ips:
        return 'deny', 'no DNS or IP SANs'
    mine = inv[node]
    for name in dns_names:
        why = forbidden_name(name)
        if why:
            return 'deny', 'SAN %s is not allowed (%s)' % (name, why)
        if name.rstrip('.') not in mine['names']:
            owners = _owner_of(name.rstrip('.'), inv, 'names')
            return 'deny', 'SAN %s is not a name of %s%s' % (
                name, node, ' (it belongs to %s)' % ', '.join(owners) if owners else '')
    for ip in ips:
        if ip not in mine['ips']:
            owners = _owner_of(ip, inv, 'ips')
            return 'deny', 'SAN IP %s is not an address of %s%s' % (
                ip, node, ' (it belongs to %s)' % ', '.join(owners) if owners else '')
    return 'approve', 'serving certificate for %s with SANs %s' % (
        node, ', '.join(list(dns_names) + [str(i) for i in ips]))


def _decide_client(csr, inv, approve_client_csrs, max_expiration_seconds=DEFAULT_MAX_EXPIRATION_SECONDS,
                   bootstrap_group=DEFAULT_BOOTSTRAP_GROUP, bootstrap_token_nodes=None):
    if not approve_client_csrs:
        return 'ignore', 'approve_client_csrs is false'
    spec = csr.get('spec') or {}
    username = spec.get('username') or ''
    if not username.startswith(BOOTSTRAP_PREFIX):
        return 'ignore', 'requester %s is not a bootstrap token (node client renewals are kube-controller-manager\'s job)' % (username or '-')
    try:
        req = parse_request(csr)
    except ValueError as exc:
        return 'deny', str(exc)
    cns, _orgs = _subject(req)
    cn_node = _node_of(cns[0]) if len(cns) == 1 else None
    if cn_node is None:
        return 'deny', 'subject CN is %s, expected system:node:<name>' % (', '.join(cns) or 'empty')
    token_id = username[len(BOOTSTRAP_PREFIX):]
    owner = (bootstrap_token_nodes or {}).get(token_id)
    # A token issued to one node never serves another name, in the inventory or not.
    if owner is not None and owner != cn_node:
        return 'deny', 'token %s was issued to %s, the CSR asks for %s' % (token_id, owner, cns[0])
    if cn_node.lower() not in inv:
        return 'ignore', 'CN %s is not a node in nodes' % cns[0]
    if _case_differs(cn_node, inv):
        return 'deny', 'CN %s is not node %s: node names are compared exactly' % (cns[0], cn_node.lower())
    for group in (BOOTSTRAPPERS_GROUP, bootstrap_group):
        if group not in (spec.get('groups') or []):
            return 'deny', 'requester %s is not in group %s' % (username, group)
    if owner is None:
        return 'deny', 'token %s was issued to no node in bootstrap_token_nodes, the CSR asks for %s' % (
            token_id, cns[0])
    problem = (_check_subject(req, cn_node) or _check_usages(spec, CLIENT_USAGES, 'client auth')
               or _check_expiration(spec, max_expiration_seconds) or _check_extensions(req))
    if problem:
        return 'deny', problem
    if any(_sans(req)):
        return 'deny', 'a kubelet client certificate carries no SANs'
    return 'approve', 'client certificate for %s requested with bootstrap token %s' % (cn_node, token_id)


def decide(csr, inv, approve_client_csrs=False, max_expiration_seconds=DEFAULT_MAX_EXPIRATION_SECONDS,
           bootstrap_group=DEFAULT_BOOTSTRAP_GROUP, bootstrap_token_nodes=None):
    """``(decision, reason)`` for one CSR object; decision is approve, deny or ignore."""
    spec = csr.get('spec') or {}
    signer = spec.get('signerName')
    if is_decided(csr):
        return 'ignore', 'already %s' % '/'.join(t for t in conditions(csr) if t in ('Approved', 'Denied'))
    if signer == SERVING_SIGNER:
        return _decide_serving(csr, inv, max_expiration_seconds)
    if signer == CLIENT_SIGNER:
        return _decide_client(csr, inv, approve_client_csrs, max_expiration_seconds, bootstrap_group,
                              bootstrap_token_nodes)
    return 'ignore', 'signer %s is not handled' % signer


def condition(kind, reason, now=None):
    """The status condition the API's /approval subresource takes: kind is Approved or Denied."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        'type': kind,
        'status': 'True',
        'reason': CONDITION_REASON,
        'message': reason,
        'lastUpdateTime': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
    }


class KubeCSRApi:
    """The two API calls reconcile needs, over a _kube.KubeClient."""

    def __init__(self, client):
        self.client = client

    def list_csrs(self):
        return self.client.get(CSR_PATH).get('items') or []

    def set_condition(self, csr, cond):
        body = dict(csr)
        status = dict(body.get('status') or {})
        status['conditions'] = list(status.get('conditions') or []) + [cond]
        body['status'] = status
        return self.client.put('%s/%s/approval' % (CSR_PATH, csr['metadata']['name']), body)


def _item(csr, reason):
    spec = csr.get('spec') or {}
    return {'name': (csr.get('metadata') or {}).get('name'), 'signer': spec.get('signerName'),
            'requester': spec.get('username'), 'reason': reason}


def _serving_node(csr):
    spec = csr.get('spec') or {}
    if spec.get('signerName') == SERVING_SIGNER:
        return _node_of(spec.get('username'))
    return None


def reconcile(api, inv, approve_client_csrs=False, deny=True, wait_for=(), timeout=300, poll_interval=5,
              check_mode=False, sleep=time.sleep, clock=time.monotonic, rules=None):
    """Decide every CSR, approve/deny (unless check_mode), and wait for the serving CSRs of ``wait_for``.

    ``rules`` are decide()'s keyword arguments (``check_rules`` returns them).

    Returns a dict with ``approved``, ``denied``, ``ignored`` (lists of {name, signer, requester, reason}),
    ``missing`` (wait_for nodes without an approved serving CSR; in check mode, counting would-be approvals),
    ``rejected`` ({node: reason} for wait_for nodes whose serving CSR failed validation in this run), ``silent``
    (missing nodes that sent no serving CSR at all) and ``timed_out``.
    Raises _kube.KubeError from the api, except 404/409 on an approval (the CSR is looked at again next poll).
    """
    wait_for = list(wait_for)
    unknown = [n for n in wait_for if n not in inv]
    if unknown:
        raise InputError('wait_for names %s, not in nodes; every node waited for must be listed in nodes with its '
                         'addresses' % ', '.join(unknown))
    results = {}        # name -> (bucket, item); our own approvals/denials stick
    satisfied, rejected, seen = set(), {}, set()
    deadline = clock() + timeout
    while True:
        for csr in api.list_csrs():
            name = (csr.get('metadata') or {}).get('name')
            node = _serving_node(csr)
            if node:
                seen.add(node.lower())   # a CSR in another case still counts as sent (and rejected), never as approved
            if name in results and results[name][0] in ('approved', 'denied'):
                continue
            if 'Approved' in conditions(csr) and node:
                satisfied.add(node)
            decision, reason = decide(csr, inv, approve_client_csrs, **(rules or {}))
            if decision == 'deny' and node:
                rejected.setdefault(node.lower(), reason)
            if decision == 'deny' and not deny:
                decision, reason = 'ignore', 'would deny, but deny is false: ' + reason
            if decision in ('approve', 'deny') and not check_mode:
                try:
                    api.set_condition(csr, condition('Approved' if decision == 'approve' else 'Denied', reason))
                except KubeError as exc:
                    if exc.status not in (404, 409):
                        raise
                    # changed or deleted since the listing: look again at the next poll (or the next run)
                    decision, reason = 'ignore', 'changed while being decided (HTTP %s); not touched' % exc.status
            if decision == 'approve':
                results[name] = ('approved', _item(csr, reason))
                if node:
                    satisfied.add(node)
            elif decision == 'deny':
                results[name] = ('denied', _item(csr, reason))
            else:
                results[name] = ('ignored', _item(csr, reason))
        missing = [n for n in wait_for if n not in satisfied]
        undecided = [n for n in missing if n not in rejected]
        timed_out = bool(undecided) and clock() >= deadline
        if not undecided or check_mode or timed_out:
            break
        sleep(min(poll_interval, max(0.0, deadline - clock())))
    out = {'approved': [], 'denied': [], 'ignored': []}
    for bucket, item in results.values():
        out[bucket].append(item)
    for items in out.values():
        items.sort(key=lambda i: i['name'] or '')
    out['missing'] = missing
    out['rejected'] = {n: r for n, r in rejected.items() if n in missing}
    out['silent'] = [n for n in missing if n not in seen]
    out['timed_out'] = timed_out
    return out
