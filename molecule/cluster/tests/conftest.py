# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records that verify passed: $MOLECULE_EPHEMERAL_DIRECTORY/verify-passed.

molecule/cluster runs its day-2 operations (operations/operations.yml) as Molecule's `cleanup` action, which
Molecule also runs when an earlier step failed; the playbook refuses to start without this record.
"""
import os


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and exitstatus == 0:
        with open(os.path.join(ephemeral, "verify-passed"), "w", encoding="utf-8") as f:
            f.write("all tests of molecule/cluster/tests passed\n")
