# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records that verify passed: $MOLECULE_EPHEMERAL_DIRECTORY/verify-passed.

The day-2 driver operations/operations.yml refuses to start without this record (it must only run on a cluster
that passed verify), and removes it when it starts. With KUBEBIN_TEST_HA=1 (molecule/ha) a skipped test of
test_ha.py fails the session: there a skip must never count as a pass.
"""
import os

HA_SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped and "test_ha.py::" in report.nodeid and os.environ.get("KUBEBIN_TEST_HA") == "1":
        HA_SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if HA_SKIPPED:
        print(f"\nKUBEBIN_TEST_HA=1 but these HA tests were skipped: {HA_SKIPPED}")
        session.exitstatus = exitstatus = 1
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if ephemeral and exitstatus == 0:
        with open(os.path.join(ephemeral, "verify-passed"), "w", encoding="utf-8") as f:
            f.write("all tests of molecule/cluster/tests passed\n")
