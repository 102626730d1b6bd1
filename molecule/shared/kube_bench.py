"""kube-bench inside a lab node, shared by the control_plane and cluster scenarios.

The tool and its cis-1.12 configuration are built outside the repository by molecule/control_plane/kube-bench.sh
(`make kube-bench`, run by `make test` first: a missing tool is a failure, not a skip). ``run`` copies both into the
container, runs the given targets and check groups, keeps the JSON report next to the tool for a human to read and
returns ``{check id: status}``. ``documented_exceptions`` reads the check ids of the table in docs/cis-exceptions.md.
"""
import json
import os
import subprocess

TOOLS = os.path.join(os.environ.get("KUBEBIN_CACHE") or "/var/cache/kubebin", "tools")
EXCEPTIONS_DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "cis-exceptions.md")


def documented_exceptions():
    """Check ids listed in the tables of docs/cis-exceptions.md (rows like `| 1.2.11 | ... |`)."""
    ids = set()
    with open(EXCEPTIONS_DOC) as f:
        for line in f:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 2 and cells[1][:2] in ("1.", "2.", "4.") and cells[1].replace(".", "").isdigit():
                ids.add(cells[1])
    return ids


def run(host, container, targets, groups=None):
    """kube-bench ``--targets`` (e.g. ``node``) on testinfra ``host`` (the docker container ``container``)."""
    binary = os.path.join(TOOLS, "bin", "kube-bench")
    assert os.path.exists(binary), "run molecule/control_plane/kube-bench.sh (make kube-bench)"
    host.run("rm -rf /root/kube-bench && mkdir -p /root/kube-bench")  # not /tmp: docker cp cannot write to a tmpfs
    for src, dst in ((binary, "/root/kube-bench/kube-bench"),
                     (os.path.join(TOOLS, "kube-bench-cfg"), "/root/kube-bench/cfg")):
        subprocess.run(["docker", "cp", src, f"{container}:{dst}"], check=True)
    cmd = f"/root/kube-bench/kube-bench run --targets {targets} --benchmark cis-1.12 --config-dir /root/kube-bench/cfg"
    out = host.run(cmd + (f" --group {groups}" if groups else "") + " --json")
    report = json.loads(out.stdout)
    name = f"kube-bench-report-{container}-{targets.replace(',', '-')}.json"
    with open(os.path.join(TOOLS, name), "w") as f:
        json.dump(report, f, indent=1)
    return {r["test_number"]: r["status"]
            for control in report["Controls"] for section in control["tests"] for r in section["results"]}
