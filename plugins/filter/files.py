# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files_stale: which of the wanted files and directories differ from what ansible.builtin.find saw on the host.

Lets a role read a whole set of installed files in ONE remote call (find with get_checksum) and run its copy/file
tasks only for what is missing or different, instead of one remote call per file on every run.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

_FIELDS = {"mode": "mode", "owner": "pw_name", "group": "gr_name", "checksum": "checksum"}


def _octal(value, path):
    try:
        return "%04o" % int(str(value), 8)
    except ValueError as exc:
        raise AnsibleFilterError(f"files_stale: {path}: mode '{value}' is not an octal string like '0644'") from exc


def files_stale(found, wanted):
    """Paths of `wanted` entries that are missing from `found` or differ in type, mode, owner, group or checksum.

    found: the `files` list of ansible.builtin.find (file_type=any; get_checksum with the algorithm of the wanted
    checksums). wanted: dicts with path and optionally state (file, the default, or directory), mode (octal
    string), owner, group and checksum; a field that is absent or None is not compared.
    """
    if not isinstance(found, list) or not isinstance(wanted, list):
        raise AnsibleFilterError("files_stale: expects a list (find's files) and a list of wanted entries")
    seen = {f.get("path"): f for f in found if isinstance(f, dict)}
    stale = []
    for want in wanted:
        if not isinstance(want, dict) or not want.get("path"):
            raise AnsibleFilterError(f"files_stale: every wanted entry needs a path, got {want!r}")
        path = want["path"]
        have = seen.get(path)
        is_dir = want.get("state", "file") == "directory"
        if have is None or bool(have.get("isdir")) != is_dir or (not is_dir and not have.get("isreg")):
            stale.append(path)
            continue
        for field, key in _FIELDS.items():
            value = want.get(field)
            if value is None:
                continue
            if field == "mode":
                value = _octal(value, path)
            if str(have.get(key, "")) != str(value):
                stale.append(path)
                break
    return stale


class FilterModule:
    def filters(self):
        return {"files_stale": files_stale}
