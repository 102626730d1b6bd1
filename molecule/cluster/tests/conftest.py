# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records that verify passed: $MOLECULE_EPHEMERAL_DIRECTORY/verify-passed.

The day-2 driver operations/operations.yml refuses to start without this record (it must only run on a cluster
that passed verify), and removes it when it starts.
"""
import os


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and exitstatus == 0:
        with open(os.path.join(ephemeral, "verify-passed"), "w", encoding="utf-8") as f:
            f.write("all tests of molecule/cluster/tests passed\n")
