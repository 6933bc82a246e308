"""Both doors of a module, run in this process: its ``main()`` as AnsibleModule runs it (the module door) and its
``run`` with validated parameters in a Task (what the action door does)."""

from __future__ import annotations

import glob
import importlib
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import Task, execute, finish

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py')) if '__init__' not in p)


def module_door(name, args, capsys, check_mode=False):
    """Run plugins/modules/<name>.py's main() in this process; return its JSON result."""
    module = importlib.import_module('ansible_collections.qlikcloud.platform.plugins.modules.' + name)
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def logic_door(name, params, check_mode=False):
    """The same logic as the action door runs it: validated parameters in a Task."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel

    module = importlib.import_module('ansible_collections.qlikcloud.platform.plugins.modules.' + name)
    validation = ArgumentSpecValidator(**module.SPEC).validate(params)
    assert not validation.error_messages, validation.error_messages
    task = Task(validation.validated_parameters, check_mode=check_mode)
    return finish(task, execute(module.run, task), validation._no_log_values), task  # pylint: disable=protected-access


def connection(emulator, tenant=None):
    cfg = emulator.config
    return dict(tenant_url=emulator.url(tenant or emulator.source_tenant), client_id=cfg.client_id,
                client_secret=cfg.client_secret, ca_path=emulator.ca_path)


def without_invocation(result):
    """A result without what only the module door adds (invocation)."""
    result = dict(result)
    result.pop('invocation', None)
    return result
