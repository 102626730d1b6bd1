# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for kubebin.cluster.stale_files: one ansible.builtin.find call on the host, compared on the controller."""

from __future__ import annotations

import hashlib

from ansible.plugins.action import ActionBase

from ansible_collections.kubebin.cluster.plugins.plugin_utils import _files


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True
    _VALID_ARGS = frozenset(("files",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=_files.FILES_ARGUMENT_SPEC)
        wanted = args["files"]
        try:
            find_args = _files.find_args(wanted)
        except ValueError as exc:
            return {**result, "failed": True, "msg": f"stale_files: bad files entry: {exc}"}
        if not wanted:
            return {**result, "changed": False, "stale": [], "checksums": {}}
        wanted = [self._with_checksum(w, task_vars) for w in wanted]
        found = self._execute_module(module_name="ansible.builtin.find", module_args=find_args, task_vars=task_vars)
        if found.get("failed"):
            return {**result, "failed": True, "msg": f"stale_files: find failed: {found.get('msg')}"}
        stale = _files.files_stale(found.get("files", []), wanted)
        bad = [msg for msg in (_files.src_mismatch(w) for w in wanted if w["path"] in stale) if msg]
        if bad:
            return {**result, "failed": True, "stale": stale,
                    "msg": "stale_files: a control-node file to copy is not what its entry declares: " + "; ".join(bad)}
        result.update(changed=False, stale=stale,
                      checksums={w["path"]: w["checksum"] for w in wanted if w.get("checksum")})
        return result

    def _with_checksum(self, entry, task_vars):
        """The entry with the sha256 of its `content` or of its rendered `template` as checksum."""
        data = _files.rendered(entry, self._loader, self._templar, task_vars)
        if data is None:
            return entry
        return {**entry, "checksum": hashlib.sha256(data.encode("utf-8")).hexdigest()}
