# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for kubebin.cluster.write_files: the content of every entry, prepared on the controller, goes to the host
in one module call (files larger than INLINE_MAX are transferred first, into the task's temporary directory)."""

from __future__ import annotations

import base64
import os

from ansible.plugins.action import ActionBase

from ansible_collections.kubebin.cluster.plugins.module_utils._write_files import sha256_file
from ansible_collections.kubebin.cluster.plugins.plugin_utils import _files

INLINE_MAX = 256 * 1024
_ENTRY_KEYS = ("path", "state", "mode", "owner", "group")


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    _requires_connection = True
    _VALID_ARGS = frozenset(("files",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=_files.FILES_ARGUMENT_SPEC)
        try:
            _files.check_wanted(args["files"])
            prepared = [self._prepare(entry, task_vars) for entry in args["files"]]
        except ValueError as exc:
            return {**result, "failed": True, "msg": f"write_files: {exc}"}
        entries = [entry for entry, _src in prepared if entry is not None]
        try:
            staged = [(entry, src) for entry, src in prepared if src is not None]
            if staged:
                self._make_tmp_path()
                for number, (entry, src) in enumerate(staged):
                    remote = self._connection._shell.join_path(self._connection._shell.tmpdir, f"staged-{number}")
                    self._transfer_file(src, remote)
                    entry["staged"] = remote
                self._fixup_perms2([self._connection._shell.tmpdir] + [e["staged"] for e, _src in staged])
            result.update(self._execute_module(module_name="kubebin.cluster.write_files",
                                               module_args={"files": entries}, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _prepare(self, entry, task_vars):
        """(the module's entry, the control-node file to transfer or None); (None, None) to leave the entry out."""
        out = {key: entry[key] for key in _ENTRY_KEYS if entry.get(key) is not None}
        if out.get("state", "file") == "directory":
            return out, None
        text = _files.rendered(entry, self._loader, self._templar, task_vars)
        if text is not None:
            out["content"] = base64.b64encode(text.encode("utf-8")).decode("ascii")
            return out, None
        src = entry.get("src")
        if not src:
            raise ValueError(f"{entry['path']}: give content, template or src")
        if not os.path.isfile(src):
            if self._task.check_mode:  # a fresh control node in check mode: the file comes in a real run
                return None, None
            raise ValueError(f"{entry['path']}: the control-node file {src} does not exist")
        mismatch = _files.src_mismatch(entry)
        if mismatch:
            raise ValueError("a control-node file to copy is not what its entry declares: " + mismatch)
        if os.path.getsize(src) <= INLINE_MAX:
            with open(src, "rb") as f:
                out["content"] = base64.b64encode(f.read()).decode("ascii")
            return out, None
        if self._task.check_mode:
            out["sha256"] = entry.get("checksum") or sha256_file(src)
            return out, None
        return out, src
