"""Check a generated PKI against the certificate table (roles/pki/README.md) for the tutorial's three hosts.

Run by molecule pki verify; independent of the table's Python (plugins/module_utils/_pki_table.py), it reads the
certificates themselves.

Usage: check_pki.py PKI_DIR. Prints one line per problem and exits 1 when there is any.
"""
import os
import stat
import subprocess
import sys

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SVC = ['DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster',
       'DNS:kubernetes.default.svc.cluster.local', 'IP:10.96.0.1']
HOSTS = {'master01': '192.168.2.66', 'node01': '192.168.2.200', 'node02': '192.168.2.77'}
# stem: (CA stem, CN, O, usages, SANs)
EXPECTED = {
    'etcd/healthcheck-client': ('etcd/ca', 'kube-etcd-healthcheck-client', [], {'client'}, set()),
    'apiserver-etcd-client': ('etcd/ca', 'kube-apiserver-etcd-client', [], {'client'}, set()),
    'apiserver': ('ca', 'kube-apiserver', [], {'server'},
                  set(SVC + ['DNS:master01', 'IP:192.168.2.66', 'IP:127.0.0.1'])),
    'apiserver-kubelet-client': ('ca', 'kube-apiserver-kubelet-client', [], {'client'}, set()),
    'front-proxy-client': ('front-proxy-ca', 'front-proxy-client', [], {'client'}, set()),
    'admin': ('ca', 'kubernetes-admin', ['kubebin:cluster-admins'], {'client'}, set()),
    'controller-manager': ('ca', 'system:kube-controller-manager', [], {'client'}, set()),
    'scheduler': ('ca', 'system:kube-scheduler', [], {'client'}, set()),
    'kube-proxy': ('ca', 'system:kube-proxy', [], {'client'}, set()),
    'flannel': ('ca', 'flanneld', [], {'client'}, set()),
    'csr-approver': ('ca', 'kubebin:csr-approver', [], {'client'}, set()),
    'super-admin': ('ca', 'kubernetes-super-admin', ['system:masters'], {'client'}, set()),
}
for h, ip in HOSTS.items():
    EXPECTED['etcd/%s-server' % h] = ('etcd/ca', h, [], {'server', 'client'},
                                      {'DNS:' + h, 'IP:' + ip, 'DNS:localhost', 'IP:127.0.0.1'})
    # one CN for every peer certificate: the only one the members accept on the peer port
    EXPECTED['etcd/%s-peer' % h] = ('etcd/ca', 'kubebin-etcd-peer', [], {'server', 'client'}, {'DNS:' + h, 'IP:' + ip})
CAS = {'etcd/ca': 'etcd-ca', 'ca': 'kubernetes-ca', 'front-proxy-ca': 'front-proxy-ca'}
EKU = {ExtendedKeyUsageOID.SERVER_AUTH: 'server', ExtendedKeyUsageOID.CLIENT_AUTH: 'client'}


def load(d, stem):
    with open(os.path.join(d, stem + '.crt'), 'rb') as f:
        return x509.load_pem_x509_certificate(f.read())


def ext(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def main(d):
    problems = []
    crts = sorted(os.path.relpath(os.path.join(r, f), d)[:-4] for r, dummy, fs in os.walk(d) for f in fs
                  if f.endswith('.crt'))
    if set(crts) != set(EXPECTED) | set(CAS):
        problems.append('certificate files differ: extra %s, missing %s'
                        % (sorted(set(crts) - set(EXPECTED) - set(CAS)), sorted(set(EXPECTED) | set(CAS) - set(crts))))
    for stem, cn in CAS.items():
        c = load(d, stem)
        bc, ku = ext(c, x509.BasicConstraints), ext(c, x509.KeyUsage)
        if c.subject.rfc4514_string() != 'CN=' + cn or c.issuer != c.subject or not (bc and bc.ca):
            problems.append('%s: not a self-signed CA with CN %s' % (stem, cn))
        if not (ku and ku.key_cert_sign and ku.crl_sign and ku.digital_signature):
            problems.append('%s: key usage %s' % (stem, ku))
    for stem, (ca, cn, orgs, usages, sans) in EXPECTED.items():
        c = load(d, stem)
        out = subprocess.run(['openssl', 'verify', '-CAfile', os.path.join(d, ca + '.crt'),
                              os.path.join(d, stem + '.crt')], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            problems.append('%s: openssl verify against %s failed: %s' % (stem, ca, out.stdout + out.stderr))
        got_cn = [a.value for a in c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        got_o = [a.value for a in c.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if got_cn != [cn] or got_o != orgs:
            problems.append('%s: subject %s, want CN=%s O=%s' % (stem, c.subject.rfc4514_string(), cn, orgs))
        eku = ext(c, x509.ExtendedKeyUsage)
        if {EKU[o] for o in eku or []} != usages:
            problems.append('%s: usages %s, want %s' % (stem, eku, usages))
        san = ext(c, x509.SubjectAlternativeName)
        got = {('IP:%s' if isinstance(n, x509.IPAddress) else 'DNS:%s') % n.value for n in san or []}
        if got != sans:
            problems.append('%s: SANs %s, want %s' % (stem, sorted(got), sorted(sans)))
        bc, ku = ext(c, x509.BasicConstraints), ext(c, x509.KeyUsage)
        if not bc or bc.ca or not ku or not ku.digital_signature or ku.key_cert_sign:
            problems.append('%s: CA flag or key usage wrong (%s, %s)' % (stem, bc, ku))
    for r, dummy, fs in os.walk(d):
        for f in fs:
            if f.endswith(('.key', '.kubeconfig')) and stat.S_IMODE(os.stat(os.path.join(r, f)).st_mode) != 0o600:
                problems.append('%s: mode %o, want 600' % (os.path.join(r, f), stat.S_IMODE(os.stat(os.path.join(r, f)).st_mode)))
    if stat.S_IMODE(os.stat(d).st_mode) != 0o700:
        problems.append('%s: mode not 700' % d)
    for line in problems:
        print(line)
    print('checked %d certificates, %d problems' % (len(EXPECTED) + len(CAS), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
