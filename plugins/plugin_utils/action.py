# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action door: run a module's logic inside the controller's worker process.

A module task costs the controller a new Python process (AnsiballZ, ``ansible.module_utils.basic``)
for milliseconds of HTTP work; an action plugin runs in the worker Ansible already forked for the
task. ``QlikAction`` does there what AnsibleModule does in a module process: it validates the task's
arguments with the module's own argument spec (defaults, types, choices, constraints and environment
fallbacks, the task's ``environment:`` included), honours check mode and ``--diff``, passes warnings
on, and masks every ``no_log`` value and every secret the logic obtained (tokens, license keys) in the
result, its ``invocation``, warnings and errors.

Modules run on the controller, so a tenant inventory needs no ``connection: local`` and no
interpreter settings: the Python that runs ansible-playbook needs ``requests``.
"""

from __future__ import annotations

import contextlib
import os
import sys

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display

from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import MissingLibrary, Task, execute, finish

display = Display()
# ansible-core before 2.19 shows callbacks nothing of a no_log result but changed, attempts and retries
# (TaskResult.clean_copy): the warnings of a censored result are displayed here instead
CENSORING_DROPS_WARNINGS = tuple(int(n) for n in ansible_version.split('.')[:2]) < (2, 19)

MISSING_LIBRARY = ("qlikcloud.platform runs its modules on the Ansible controller and needs the Python library "
                   "'%s' there, importable by the Python that runs ansible-playbook (%s): "
                   "%s -m pip install '%s'")


@contextlib.contextmanager
def environment(values):
    """``os.environ`` with ``values`` laid over it, for the environment fallbacks of the argument spec."""
    saved = dict((name, os.environ.get(name)) for name in values)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class QlikAction(ActionBase):
    """Base of every action plugin of the collection; a subclass sets ``module``: the module file of the same
    name (``plugins/modules/<name>.py``), which holds ``SPEC`` and ``run`` beside the documentation."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False
    module = None
    _validator = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # made when ansible-playbook loads the plugin, before it forks the workers that inherit it
        cls._validator = ArgumentSpecValidator(**cls.module.SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        host = (task_vars or {}).get('inventory_hostname', '')
        with environment(self._task_environment()):
            validation = self._validator.validate(self._task.args)
        secrets = set(validation._no_log_values)  # pylint: disable=protected-access
        params = validation.validated_parameters
        result['invocation'] = dict(module_args=params)
        if validation.error_messages:
            error = validation.errors[0]
            message = validation.errors.msg
            if type(error).__name__ == 'UnsupportedError':
                message = 'Unsupported parameters for (%s) module: %s' % (self._task.action, message)
            result.update(failed=True, changed=False, msg=message)
            return remove_values(result, secrets)
        task = Task(params, check_mode=self._task.check_mode, diff=self._task.diff,
                    progress=lambda text: display.display('%s: %s' % (host, text)))
        try:
            outcome = execute(self.module.run, task)
        except MissingLibrary as exc:
            message = MISSING_LIBRARY % (exc.name, sys.executable, sys.executable, exc.requirement)
            outcome = dict(failed=True, changed=False, msg=message)
        result.update(outcome)
        result = finish(task, result, secrets)
        if result.get('_ansible_no_log') and CENSORING_DROPS_WARNINGS:
            for warning in result.get('warnings') or ():
                display.warning(warning)
        return result

    def _task_environment(self):
        """The task's ``environment:`` (play, block and task levels merged), templated."""
        merged = {}
        environments = self._task.environment or []
        if not isinstance(environments, list):
            environments = [environments]
        for environment in environments:
            if not environment:
                continue
            values = self._templar.template(environment)
            if not isinstance(values, dict):
                raise AnsibleError('environment must be a dictionary, received %s (%s)' % (values, type(values)))
            merged.update(values)
        return dict((str(k), str(v)) for k, v in merged.items())
