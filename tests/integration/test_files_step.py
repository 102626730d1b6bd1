"""The shared file-writing step (roles/kubebin/tasks/files.yml) for real: ansible-playbook runs a small role that
uses it on this machine (local connection) against a temporary directory: first run, re-run, check mode, a
change of one entry, and each written entry's handler."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import subprocess
import textwrap

import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = PROJECT / ".venv" / "bin" / "ansible-playbook"


@pytest.fixture(name="play")
def play_fixture(tmp_path):
    role = tmp_path / "roles" / "demo"
    for sub in ("tasks", "templates", "handlers", "meta", "vars"):
        (role / sub).mkdir(parents=True)
    (role / "meta" / "main.yml").write_text("dependencies: [kubebin.cluster.kubebin]\n")
    (role / "templates" / "app.conf.j2").write_text("port={{ kubebin_api_port }} greeting={{ demo_greeting }}\n")
    out = tmp_path / "out"
    # control-node files: a small one (sent inline) and one above the inline limit (transferred first)
    small, big = tmp_path / "small.crt", tmp_path / "big.bin"
    small.write_text("-----BEGIN CERTIFICATE-----\n")
    big.write_bytes(bytes(range(256)) * 1200)
    sums = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (small, big)}
    (role / "vars" / "main.yml").write_text(textwrap.dedent(f"""\
        _demo_files:
          - {{path: "{out}", state: directory, mode: "0750"}}
          - {{path: "{out}/app.conf", template: app.conf.j2, mode: "0644", notify: Restart app}}
          - {{path: "{out}/plain.txt", content: "plain\\n", mode: "0600", notify: [Restart app, Reload other]}}
          - {{path: "{out}/secret.key", content: "{{{{ demo_secret }}}}", mode: "0600", secret: true}}
          - {{path: "{out}/small.crt", src: "{small}", checksum: "{sums[small]}", mode: "0644"}}
          - {{path: "{out}/big.bin", src: "{big}", checksum: "{sums[big]}", mode: "0755"}}
        """))
    (role / "tasks" / "main.yml").write_text(textwrap.dedent("""\
        - name: Files
          ansible.builtin.include_role:
            name: kubebin.cluster.kubebin
            tasks_from: files.yml
          vars:
            kubebin_files: "{{ _demo_files }}"
        - name: Record what the step saw
          ansible.builtin.copy:
            content: "{{ kubebin_files_result.stale | to_json }}"
            dest: "{{ record }}"
            mode: "0600"
          check_mode: false
          changed_when: false
        """))
    (role / "handlers" / "main.yml").write_text(textwrap.dedent("""\
        - name: Restart app
          ansible.builtin.debug: {msg: HANDLER-RESTART-APP}
        - name: Reload other
          ansible.builtin.debug: {msg: HANDLER-RELOAD-OTHER}
        """))
    play = [{"hosts": "localhost", "gather_facts": False, "roles": ["demo"]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))

    def run(*extra, greeting="hello"):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
                   ANSIBLE_ROLES_PATH=str(tmp_path / "roles"), ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_FORCE_COLOR="0")
        proc = subprocess.run(
            [str(PLAYBOOK), "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=/usr/bin/python3",
             "-e", f"demo_greeting={greeting}", "-e", "demo_secret=s3cr3t-value", "-e", f"record={tmp_path}/stale.json",
             str(tmp_path / "play.yml"), *extra], env=env, capture_output=True, text=True, timeout=180, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        changed = int(re.search(r"changed=(\d+)", proc.stdout).group(1))
        return changed, proc.stdout, json.loads((tmp_path / "stale.json").read_text())

    return run, out


def test_first_run_rerun_check_and_change(play):
    run, out = play
    changed, log, stale = run("--check")
    assert changed > 0 and not out.exists()  # check mode reports without writing
    changed, log, stale = run()
    assert stale == [str(out), f"{out}/app.conf", f"{out}/plain.txt", f"{out}/secret.key", f"{out}/small.crt",
                     f"{out}/big.bin"]
    assert (out / "app.conf").read_text() == "port=6443 greeting=hello\n"
    assert (out / "big.bin").read_bytes() == bytes(range(256)) * 1200 and os.access(out / "big.bin", os.X_OK)
    assert (out / "small.crt").read_text() == "-----BEGIN CERTIFICATE-----\n"
    assert oct(out.stat().st_mode & 0o777) == "0o750" and oct((out / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert log.count("HANDLER-RESTART-APP") == 1 and log.count("HANDLER-RELOAD-OTHER") == 1
    assert "s3cr3t-value" not in log
    changed, log, stale = run()
    assert changed == 0 and stale == [] and "HANDLER-" not in log
    changed, log, stale = run("--check", greeting="bye")
    assert changed == 1 and stale == [f"{out}/app.conf"]
    assert (out / "app.conf").read_text() == "port=6443 greeting=hello\n"
    changed, log, stale = run(greeting="bye")
    assert changed == 1 and stale == [f"{out}/app.conf"] and "HANDLER-RESTART-APP" in log
    assert "HANDLER-RELOAD-OTHER" not in log and (out / "app.conf").read_text() == "port=6443 greeting=bye\n"
