# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared shape of every module: find current -> compare with desired -> act.

``ensure()`` holds the one implementation of check mode, ``changed`` and the
before/after diff for an API object; ``run()`` turns QlikAPIError / ValueError
into a clean ``fail_json``. Modules only say how to read, create, update and
delete their object and which fields a diff shows.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import (
    QlikAPIError, QlikClient, connection_argument_spec)


def new_module(argument_spec, url_option='tenant_url', **kwargs):
    """An AnsibleModule with the shared connection options and check mode support.

    ``url_option=None``: credentials only (the module declares its own host option).
    """
    spec = connection_argument_spec(url_option)
    spec.update(argument_spec)
    kwargs.setdefault('supports_check_mode', True)
    return AnsibleModule(argument_spec=spec, **kwargs)


def new_client(module, params=None, url_option='tenant_url', mask_tokens=True):
    """A QlikClient for ``params`` (default: the module's own), failing the module on bad input."""
    try:
        return QlikClient(module, params=params, url_option=url_option, mask_tokens=mask_tokens)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    return None  # not reached


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


def run(module, body):
    """Call ``body()`` and exit with its result dict; API and input errors fail the module cleanly."""
    try:
        result = body()
    except TaskFailure as exc:
        module.fail_json(**dict(exc.result, msg=exc.msg))
    except QlikAPIError as exc:
        module.fail_json(**exc.to_result())
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


def changes_between(current, desired):
    """``{field: value}`` of the desired fields (None means "leave alone") that differ from ``current``."""
    return dict((key, value) for key, value in desired.items()
                if value is not None and (current or {}).get(key) != value)


def ensure(module, current, desired, state, create, update, delete, view, apply=None):
    """Converge one API object and return ``dict(changed, after, diff)``.

    ``current``  the object as the API describes it, or None when it does not exist.
    ``desired``  ``{field: value}`` as the API names the fields; None values are left alone.
    ``create(desired) -> object``, ``update(current, changes) -> object or None``,
    ``delete(current) -> None``: the writes, never called in check mode.
    ``view(object or None) -> dict``: what ``--diff`` shows (secrets must not be in it).

    In check mode the ``after`` object is predicted with ``apply(current, changes)`` (by default
    the changed fields laid over ``current``).
    """
    apply = apply or (lambda obj, changes: dict(obj, **changes))
    if state == 'absent':
        after = None
        changed = current is not None
        if changed and not module.check_mode:
            delete(current)
    elif current is None:
        changed = True
        after = dict((k, v) for k, v in desired.items() if v is not None)
        if not module.check_mode:
            after = create(desired)
    else:
        changes = changes_between(current, desired)
        changed = bool(changes)
        after = current
        if changes:
            after = apply(current, changes)
            if not module.check_mode:
                after = update(current, changes) or after
    result = dict(changed=changed, after=after)
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = dict(before=view(current), after=view(after))
    return result
