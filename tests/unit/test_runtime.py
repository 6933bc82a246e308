"""meta/runtime.yml's action group lists exactly the modules in plugins/modules/."""

from __future__ import annotations

import glob
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_action_group_all_lists_exactly_the_modules():
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle)
    modules = sorted(os.path.splitext(os.path.basename(p))[0]
                     for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py'))
                     if not os.path.basename(p).startswith('_'))
    assert sorted(runtime['action_groups']['all'] or []) == modules


def test_requires_ansible_names_the_oldest_release_tested():
    import importlib.util  # pylint: disable=import-outside-toplevel

    spec = importlib.util.spec_from_file_location('gates', os.path.join(REPO, 'tools', 'gates.py'))
    gates = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gates)
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle)
    oldest = min(gates.MATRIX, key=lambda entry: tuple(int(n) for n in entry[1].split('.')))
    assert runtime['requires_ansible'] == '>=%s.0' % oldest[1]
    with open(os.path.join(REPO, 'roles', 'encrypted_tenant', 'meta', 'main.yml')) as handle:
        assert yaml.safe_load(handle)['galaxy_info']['min_ansible_version'] == oldest[1]
