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
    if not session.config.getoption('--long'):
        return
    # the module object pytest ran (its FIGURES hold this run's counts): with rootdir imports it is
    # "test_reliability", and importing "tests.integration.test_reliability" would make a second, empty one
    ran = [item.module for item in session.items if item.module.__file__.endswith('test_reliability.py')]
    if ran:
        ran[0].write_report(OUTCOMES)
