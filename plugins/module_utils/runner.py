# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One code path, two doors.

Every module's logic is a plain function ``run(task) -> result dict`` in the module's own file
(``plugins/modules/<module>.py``), next to its documentation and its ``SPEC`` (the argument spec and its
constraints). It sees only a ``Task``: the validated parameters, check mode, diff mode, and ways to warn,
to mask a secret and to show progress. Two doors run it:

* the action plugin of the same name (plugins/action/, through plugins/plugin_utils/action.py), in the
  controller's worker process: how Ansible runs every task of this collection;
* the module itself (``run_module`` below, through AnsibleModule), for any other way of running it.

Failures are exceptions: ``TaskFailure`` (with result fields), ``QlikAPIError`` or ``ValueError`` (bad
input); ``execute`` turns them into a failed result, and ``finish`` masks and censors it, the same way
for both doors.
"""

from __future__ import annotations

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.qlikcloud.platform.plugins.module_utils import client as client_mod
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, QlikClient


class TaskFailure(Exception):
    """A failure that carries result fields (``started``, ``migration``, ...) besides its message.

    ``result`` is the result so far; ``fields`` are laid over it (a ``msg`` among them is dropped:
    ``message`` is the failure's message).
    """

    def __init__(self, message, result=None, **fields):
        super().__init__(message)
        self.msg = message
        self.result = dict(result or {})
        self.result.update((k, v) for k, v in fields.items() if k != 'msg')


class MissingLibrary(Exception):
    """A Python library the collection needs cannot be imported (``requests``; ``boto3`` for qlik_aws_kms_key).

    ``requirement``: what to ``pip install``, as requirements.txt names it."""

    def __init__(self, name, import_error, requirement='requests>=2.31'):
        super().__init__(name)
        self.name = name
        self.import_error = import_error
        self.requirement = requirement


class Task:
    """What a module's logic sees of the task it runs for.

    ``params``: the validated parameters; ``check_mode``, ``diff``: booleans; ``warnings``: what
    ``warn`` collected; ``masked``: every value to mask in the result (tokens obtained, license
    keys read), beyond the ``no_log`` options; ``censor``: the result holds a secret on purpose;
    ``progress(text)`` shows a line to the person watching the play (the action door prints it; the
    module door cannot).
    """

    def __init__(self, params, check_mode=False, diff=False, progress=None):
        self.params = params
        self.check_mode = bool(check_mode)
        self.diff = bool(diff)
        self.warnings = []
        self.masked = set()
        # set by a logic that returns a secret on purpose (a new token, client secret or API key): what Ansible
        # shows of the result is then censored, as with no_log, and the registered result keeps it
        self.censor = False
        self._progress = progress

    def warn(self, message):
        self.warnings.append(message)

    def mask(self, value):
        """Mask ``value`` wherever it would appear in this task's output."""
        if value:
            self.masked.add(value)

    def progress(self, text):
        if self._progress is not None:
            self._progress(text)

    def client(self, params=None, url_option='tenant_url', mask_tokens=True):
        """A QlikClient for ``params`` (default: the task's own); tokens it obtains are masked unless
        ``mask_tokens`` is false (qlik_token, whose job is to return one)."""
        if client_mod.requests is None:
            raise MissingLibrary('requests', client_mod.REQUESTS_IMPORT_ERROR)
        return QlikClient(self.params if params is None else params, url_option=url_option,
                          mask=self.mask if mask_tokens else None)


def execute(logic, task):
    """Run ``logic(task)``; return its result, or a failed result for the failures it raises."""
    try:
        return logic(task)
    except TaskFailure as exc:
        return dict(exc.result, failed=True, msg=exc.msg)
    except QlikAPIError as exc:
        return dict(exc.to_result(), failed=True, changed=False)
    except ValueError as exc:
        return dict(failed=True, changed=False, msg=str(exc))


def finish(task, result, no_log_values=()):
    """The result as both doors return it: warnings added, every ``no_log`` value and every value the task masked
    replaced, and ``_ansible_no_log`` set when the task censors a result that did not fail.

    Ansible honours ``_ansible_no_log`` from an action plugin, which is how every task of this collection runs;
    a module process's result goes through ``remove_internal_keys``, which drops it (with a warning).
    """
    if task.warnings:
        result['warnings'] = list(result.get('warnings') or []) + task.warnings
    result = remove_values(result, set(no_log_values) | task.masked)
    if task.censor and not result.get('failed'):
        result['_ansible_no_log'] = True  # shown as with no_log; the registered result keeps it
    return result


def run_module(spec, logic):
    """The module door: ``main()`` of every module runs ``logic`` (its ``run``) with ``spec`` (its ``SPEC``)."""
    from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # pylint: disable=import-outside-toplevel

    module = AnsibleModule(supports_check_mode=True, **spec)
    task = Task(module.params, module.check_mode, module._diff)  # pylint: disable=protected-access
    try:
        result = execute(logic, task)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_error)
    result = finish(task, result, module.no_log_values)
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)
