"""Fixtures shared by unit and integration tests.

The collection is made importable as ``ansible_collections.qlikcloud.platform``
from the working tree (a symlink in a temporary directory, never in the repo),
which is also what ``ansible-playbook`` gets as its collections path.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

from tests.harness.collection import link_collection

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_PATH = link_collection(tempfile.mkdtemp(prefix='qlik-collections-'))
sys.path.insert(0, COLLECTIONS_PATH)


def pytest_addoption(parser):
    parser.addoption('--long', action='store_true', default=False, help='run the long fault/soak suites')


def pytest_configure(config):
    # the long suite's figures (docs/reliability.md) are counted in the process that runs its tests
    if config.getoption('--long') and getattr(config.option, 'numprocesses', None):
        raise pytest.UsageError('--long writes docs/reliability.md from the figures of one process: run it '
                                'without -n (make reliability does)')


@pytest.fixture(scope='session')
def collections_path():
    return COLLECTIONS_PATH


@pytest.fixture(scope='session')
def emulator_ca():
    import trustme
    return trustme.CA()


@pytest.fixture
def emulator(request, emulator_ca, tmp_path):
    """A fresh emulated region per test; settings from ``@pytest.mark.emulator(...)``."""
    from qlik_cloud_emulator import Emulator, EmulatorConfig
    from tests.harness.plays import TEST_KEYS

    settings = dict(migration_seconds=0.5)
    keys = dict(TEST_KEYS)  # the keys it knows: those of the tests' AWS accounts, and those the markers add
    for marker in reversed(list(request.node.iter_markers('emulator'))):
        settings.update(marker.kwargs)
        keys.update(marker.kwargs.get('key_behaviours') or {})
    settings['key_behaviours'] = keys
    instance = Emulator(EmulatorConfig(**settings), ca=emulator_ca, workdir=str(tmp_path)).start()
    yield instance
    instance.stop()


@pytest.fixture(scope='session')
def moto_server(tmp_path_factory):
    """One ``moto_server`` process for the session (tests/harness/moto.py, ``MotoServer``); use ``aws`` in tests."""
    from tests.harness.moto import MotoServer

    server = MotoServer(str(tmp_path_factory.mktemp('moto'))).start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server):
    """The session's moto server with no AWS resource and an empty request log: ``aws.url`` (the endpoint URL),
    ``aws.client(region, service='kms')`` (boto3), ``aws.env()`` (for child processes), ``aws.requests(since)``,
    ``aws.writes(since)``, ``aws.last_seq()``, ``aws.kms_state()``; see tests/harness/moto.py."""
    moto_server.reset()
    return moto_server
