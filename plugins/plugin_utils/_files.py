# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare wanted files and directories with what ansible.builtin.find saw on a host (controller side)."""

from __future__ import annotations

import posixpath

from ansible.plugins.loader import lookup_loader

from ansible_collections.kubebin.cluster.plugins.module_utils._write_files import sha256_file

_FIELDS = {"mode": "mode", "owner": "pw_name", "group": "gr_name", "checksum": "checksum"}
# The one argument of the stale_files and write_files actions.
FILES_ARGUMENT_SPEC = {"files": {"type": "list", "elements": "dict", "required": True}}


def _octal(value, path):
    try:
        return "%04o" % int(str(value), 8)
    except ValueError as exc:
        raise ValueError(f"{path}: mode '{value}' is not an octal string like '0644'") from exc


def check_wanted(wanted):
    """Fail with ValueError unless wanted is a list of dicts that each have an absolute path."""
    if not isinstance(wanted, list):
        raise ValueError(f"expects a list of wanted entries, got {type(wanted).__name__}")
    for want in wanted:
        if not isinstance(want, dict) or not str(want.get("path") or "").startswith("/"):
            raise ValueError(f"every wanted entry needs an absolute path, got {want!r}")
        if want.get("state", "file") not in ("file", "directory"):
            raise ValueError(f"{want['path']}: state must be file or directory, got {want['state']!r}")
        if want.get("mode") is not None:
            _octal(want["mode"], want["path"])
    # A role may write the entries of several steps at once (its own, the artifacts role's, the pki role's): the
    # same path twice with different settings would be rewritten on every run.
    seen = {}
    for want in wanted:
        first = seen.setdefault(want["path"].rstrip("/"), want)
        if first != want:
            raise ValueError(f"{want['path']} is listed twice with different settings: {first!r} and {want!r}")


def find_args(wanted):
    """Arguments of ONE ansible.builtin.find call that sees every wanted entry (files and directories)."""
    check_wanted(wanted)
    paths = sorted({posixpath.dirname(w["path"].rstrip("/")) for w in wanted})
    names = sorted({posixpath.basename(w["path"].rstrip("/")) for w in wanted})
    return {"paths": paths, "patterns": names, "file_type": "any", "hidden": True,
            "get_checksum": True, "checksum_algorithm": "sha256"}


def files_stale(found, wanted):
    """Paths of `wanted` entries missing from `found` (find's files) or differing in type, mode, owner, group or
    checksum. A field that is absent or None in a wanted entry is not compared."""
    check_wanted(wanted)
    if not isinstance(found, list):
        raise ValueError(f"expects the files list of ansible.builtin.find, got {type(found).__name__}")
    seen = {f.get("path"): f for f in found if isinstance(f, dict)}
    stale = []
    for want in wanted:
        path = want["path"].rstrip("/")
        have = seen.get(path)
        is_dir = want.get("state", "file") == "directory"
        if have is None or bool(have.get("isdir")) != is_dir or (not is_dir and not have.get("isreg")):
            stale.append(want["path"])
            continue
        for field, key in _FIELDS.items():
            value = want.get(field)
            if value is None:
                continue
            if field == "mode":
                value = _octal(value, path)
            if str(have.get(key, "")) != str(value):
                stale.append(want["path"])
                break
    return stale


def src_mismatch(want):
    """Why the control-node file ``src`` of an entry does not hash to its ``checksum`` (None when it does, or when
    the entry has no src or no checksum): a copy must never install a file other than the one declared."""
    src, checksum = want.get("src"), want.get("checksum")
    if not src or not checksum:
        return None
    try:
        found = sha256_file(src)
    except OSError as exc:
        return f"{src} (for {want['path']}) cannot be read: {exc.strerror}"
    if found != str(checksum):
        return f"{src} (for {want['path']}) hashes to {found}, not {checksum}"
    return None


def rendered(entry, loader, templar, task_vars):
    """The text of an entry with `content` or `template` (None for others): a template is rendered like
    ansible.builtin.template does, through the template lookup (role search path, task vars), and sees its entry as
    `item`, as it did in the write loops of the kubebin files step."""
    if entry.get("content") is not None:
        return str(entry["content"])
    if entry.get("template"):
        lookup = lookup_loader.get("ansible.builtin.template", loader=loader, templar=templar)
        return lookup.run([entry["template"]], variables={**task_vars, "item": entry})[0]
    return None
