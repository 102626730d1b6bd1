# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repository promises that documentation and role layout keep matching the code."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_variables_doc_is_generated_from_argument_specs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "hack" / "gen-variables-doc.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_role_has_argument_specs_readme_and_meta():
    roles = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
    assert roles, "no roles found"
    missing = [
        f"{role.name}/{name}"
        for role in roles
        for name in ("meta/argument_specs.yml", "meta/main.yml", "README.md")
        if not (role / name).is_file()
    ]
    assert not missing, f"roles lack required files: {missing}"
