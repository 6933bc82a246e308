"""A test-only action of the collection's kind (QlikAction) whose result is censored and carries a warning,
for what ansible-core shows of such a result on each release (tools/gates.py's matrix, core_checks.yml)."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.plugin_utils.action import QlikAction


class _Module:
    SPEC = dict(argument_spec=dict(value=dict(type='str', required=True)))

    @staticmethod
    def run(task):
        task.censor = True
        task.warn('a censored result with a warning')
        return dict(changed=False, value=task.params['value'])


class ActionModule(QlikAction):
    module = _Module
