#!/usr/bin/env bash
# kube-bench for the control_plane scenario, kept OUTSIDE the repository in $KUBEBIN_CACHE/tools:
#   bin/kube-bench      built from the Go module github.com/aquasecurity/kube-bench (the newest version the Go module
#                       proxy serves here is v0.12.0, which ships cis-1.10 but not cis-1.12)
#   kube-bench-cfg/     its cfg/ plus a cis-1.12 benchmark for sections 1.2-1.4: cis-1.10 with the two changes of
#                       cis-1.12 there (1.2.29 drops the CBC cipher suites, 1.2.30 is new:
#                       --service-account-extend-token-expiration=false), and our file paths (systemd units,
#                       /etc/kubernetes/*.kubeconfig) instead of kubeadm's static-pod manifests; sections 2 (etcd)
#                       and 4 (node) as cis-1.10 has them, with our paths (units, /var/lib/kubelet/config.yaml,
#                       /var/lib/kube-proxy/config.yaml, /etc/kubernetes/{kubelet,kube-proxy}.kubeconfig).
# Usage: molecule/control_plane/kube-bench.sh            (build/prepare; idempotent)
# control_plane's test_kube_bench copies both into master01 and runs sections 1.2, 1.3 and 1.4; the cluster scenarios
# run sections 2 (etcd members) and 4 (nodes).
set -euo pipefail
TOOLS="${KUBEBIN_CACHE:-/var/cache/kubebin}/tools"
VERSION=v0.12.0
MODULE=github.com/aquasecurity/kube-bench
PY="$(dirname "$0")/../../.venv/bin/python"
export GOPATH="$TOOLS/gopath" GOCACHE="$TOOLS/gocache" GOFLAGS=-modcacherw CGO_ENABLED=0
GO=${GO:-/usr/local/go/bin/go}

src="$GOPATH/pkg/mod/$MODULE@$VERSION"
if [ ! -d "$src" ]; then
  (cd /tmp && "$GO" mod download "$MODULE@$VERSION")
fi
if [ ! -x "$TOOLS/bin/kube-bench" ]; then
  # `go install m@v` fails here (the proxy refuses the version list it consults for deprecations): build the
  # module as its own main module from a writable copy instead.
  rm -rf "$TOOLS/kb-src" && cp -r "$src" "$TOOLS/kb-src" && chmod -R u+w "$TOOLS/kb-src"
  mkdir -p "$TOOLS/bin"
  (cd "$TOOLS/kb-src" && nice -n 19 "$GO" build -trimpath -o "$TOOLS/bin/kube-bench" .)
fi

cfg="$TOOLS/kube-bench-cfg"
rm -rf "$cfg.tmp" && cp -r "$src/cfg" "$cfg.tmp" && chmod -R u+w "$cfg.tmp"
cp -r "$cfg.tmp/cis-1.10" "$cfg.tmp/cis-1.12"
"$PY" - "$cfg.tmp" <<'PY'
import sys, yaml
cfg = sys.argv[1]
top = yaml.safe_load(open(cfg + "/config.yaml"))
top["target_mapping"]["cis-1.12"] = top["target_mapping"]["cis-1.10"]
top["version_mapping"]["1.37"] = "cis-1.12"
yaml.safe_dump(top, open(cfg + "/config.yaml", "w"), sort_keys=False)

units = "/etc/systemd/system/%s.service"
override = {"master": {
    "apiserver": {"confs": [units % "kube-apiserver"], "defaultconf": units % "kube-apiserver"},
    "scheduler": {"confs": [units % "kube-scheduler"], "defaultconf": units % "kube-scheduler",
                  "kubeconfig": ["/etc/kubernetes/scheduler.kubeconfig"],
                  "defaultkubeconfig": "/etc/kubernetes/scheduler.kubeconfig"},
    "controllermanager": {"confs": [units % "kube-controller-manager"],
                          "defaultconf": units % "kube-controller-manager",
                          "kubeconfig": ["/etc/kubernetes/controller-manager.kubeconfig"],
                          "defaultkubeconfig": "/etc/kubernetes/controller-manager.kubeconfig"},
    "etcd": {"confs": [units % "etcd"], "defaultconf": units % "etcd"},
}, "node": {
    "kubelet": {"svc": [units % "kubelet"], "defaultsvc": units % "kubelet",
                "confs": ["/var/lib/kubelet/config.yaml"], "defaultconf": "/var/lib/kubelet/config.yaml",
                "kubeconfig": ["/etc/kubernetes/kubelet.kubeconfig"],
                "defaultkubeconfig": "/etc/kubernetes/kubelet.kubeconfig",
                "cafile": ["/etc/kubernetes/pki/ca.crt"], "defaultcafile": "/etc/kubernetes/pki/ca.crt"},
    "proxy": {"svc": [units % "kube-proxy"], "defaultsvc": units % "kube-proxy",
              "confs": ["/var/lib/kube-proxy/config.yaml"], "defaultconf": "/var/lib/kube-proxy/config.yaml",
              "kubeconfig": ["/etc/kubernetes/kube-proxy.kubeconfig"],
              "defaultkubeconfig": "/etc/kubernetes/kube-proxy.kubeconfig"},
}, "etcd": {
    "etcd": {"confs": [units % "etcd"], "defaultconf": units % "etcd",
             "datadirs": ["/var/lib/etcd/default.etcd"], "defaultdatadir": "/var/lib/etcd/default.etcd"},
}}
yaml.safe_dump(override, open(cfg + "/cis-1.12/config.yaml", "w"), sort_keys=False)

master = yaml.safe_load(open(cfg + "/cis-1.12/master.yaml"))
master["version"] = "cis-1.12"
api = next(g for g in master["groups"] if g["id"] == 1.2 or str(g["id"]) == "1.2")
c1229 = next(c for c in api["checks"] if c["id"] == "1.2.29")
item = c1229["tests"]["test_items"][0]
item["compare"]["value"] = ",".join(s for s in item["compare"]["value"].split(",") if "_CBC_" not in s)
if not any(c["id"] == "1.2.30" for c in api["checks"]):
    api["checks"].append({
        "id": "1.2.30",
        "text": "Ensure that the --service-account-extend-token-expiration parameter is set to false (Automated)",
        "audit": "/bin/ps -ef | grep $apiserverbin | grep -v grep",
        "tests": {"test_items": [{"flag": "--service-account-extend-token-expiration",
                                  "compare": {"op": "eq", "value": False}}]},
        "remediation": "Set --service-account-extend-token-expiration=false.",
        "scored": True})
# 1.1.13/1.1.14 look for kubeadm's admin.conf; the admin kubeconfigs here are admin.kubeconfig and root's config.
for group in master["groups"]:
    for check in group["checks"]:
        if check["id"] in ("1.1.13", "1.1.14"):
            check["audit"] = check["audit"].replace("/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf",
                                                    "/etc/kubernetes/admin.kubeconfig /root/.kube/config")
yaml.safe_dump(master, open(cfg + "/cis-1.12/master.yaml", "w"), sort_keys=False)
for name in ("node", "etcd", "controlplane"):  # sections 4, 2 and 3 as cis-1.10 has them, under the cis-1.12 name
    doc = yaml.safe_load(open("%s/cis-1.12/%s.yaml" % (cfg, name)))
    doc["version"] = "cis-1.12"
    for group in doc["groups"]:
        for check in group["checks"]:
            if check["id"] == "4.2.12":  # the kubelet's cipher list: the same AEAD-only list as the API server's 1.2.29
                check["tests"]["test_items"][0]["compare"]["value"] = item["compare"]["value"]
    yaml.safe_dump(doc, open("%s/cis-1.12/%s.yaml" % (cfg, name), "w"), sort_keys=False)
PY
rm -rf "$cfg" && mv "$cfg.tmp" "$cfg"
echo "kube-bench: $TOOLS/bin/kube-bench ($("$TOOLS/bin/kube-bench" version 2>/dev/null || echo "$VERSION")), config: $cfg"
