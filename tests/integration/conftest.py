from __future__ import annotations

import pytest

from tests.harness.playbook import Ansible
from tests.harness.reliability import Figures, write_report


@pytest.fixture
def ansible(emulator, collections_path, tmp_path):
    return Ansible(emulator, collections_path, str(tmp_path))


# the outcome of every test function of this session (the worst of its parametrized cases), for docs/reliability.md
_OUTCOMES = {}


def pytest_configure(config):
    config.qlik_figures = Figures()


@pytest.fixture
def figures(request):
    """The session's reliability figures (docs/reliability.md), which a test adds to."""
    return request.config.qlik_figures


def pytest_runtest_logreport(report):
    if report.when == 'call' or report.outcome != 'passed':
        name = report.nodeid.split('::')[-1].split('[')[0]
        if _OUTCOMES.get(name) != 'failed':
            _OUTCOMES[name] = report.outcome


def pytest_sessionfinish(session):
    if not session.config.getoption('--long'):
        return
    from tests.integration import test_hostile  # pylint: disable=import-outside-toplevel

    ran = [item.module for item in session.items if item.module.__file__.endswith('test_hostile.py')]
    hostile = ran[0] if ran else test_hostile
    write_report(session.config.qlik_figures, _OUTCOMES, hostile.HOSTILE,
                 {12: hostile.DEFECTS, 20: hostile.DEFECTS2}, {12: hostile.SMALLER, 20: hostile.SMALLER2})
