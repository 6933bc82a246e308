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
    assert runtime['requires_ansible'] == '>=2.16.0'
