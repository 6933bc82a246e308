from __future__ import annotations

import pytest

from tests.harness.playbook import Ansible


@pytest.fixture
def ansible(emulator, collections_path, tmp_path):
    return Ansible(emulator, collections_path, str(tmp_path))
