from __future__ import annotations

import pytest

from tests.harness.playbook import Ansible


@pytest.fixture
def ansible(emulator, collections_path, tmp_path):
    return Ansible(emulator, collections_path, str(tmp_path))


# outcome of every test function of this session (the worst of its parametrized cases), for docs/reliability.md
OUTCOMES = {}


def pytest_runtest_logreport(report):
    if report.when == 'call' or report.outcome != 'passed':
        name = report.nodeid.split('::')[-1].split('[')[0]
        if OUTCOMES.get(name) != 'failed':
            OUTCOMES[name] = report.outcome


def pytest_sessionfinish(session):
    if session.config.getoption('--long'):
        from tests.integration import test_reliability  # pylint: disable=import-outside-toplevel
        test_reliability.write_report(OUTCOMES)
