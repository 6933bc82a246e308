# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared shape of every declarative module: find current -> compare with desired -> act.

``ensure()`` is the one place that decides ``changed``, the before/after diff and, in check mode,
what would be sent. Modules only say how to read, create, update and delete their object and which
fields a diff shows.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations


def changes_between(current, desired):
    """``{field: value}`` of the desired fields (None means "leave alone") that differ from ``current``."""
    return dict((key, value) for key, value in desired.items()
                if value is not None and (current or {}).get(key) != value)


def ensure(task, current, desired, create, update, delete=None, view=None, state='present', apply=None,
           operations=None):
    """Converge one API object; return ``dict(changed, after[, diff][, sent])``.

    ``current``  the object as the API describes it, or None when it does not exist.
    ``desired``  ``{field: value}`` as the API names the fields; None values are left alone.
    ``create(desired) -> object``; ``update(current, changes) -> operations sent`` (None: nothing needed changing
    after all, someone else did it first);
    ``delete(current) -> whether it deleted`` (False: someone else did first). None of them is
    called in check mode.
    ``view(object or None) -> dict``: what ``--diff`` shows (secrets must not be in it).
    ``apply(current, changes) -> object``: the object after ``changes`` (default: the fields laid over it).
    ``operations(changes) -> list``: what ``update`` would send, reported as ``sent`` in check mode.
    """
    apply = apply or (lambda obj, changes: dict(obj, **changes))
    outcome = dict(changed=False, after=current)
    if state == 'absent':
        outcome['after'] = None
        if current is not None:
            outcome['changed'] = True if task.check_mode else bool(delete(current))
    elif current is None:
        outcome['changed'] = True
        outcome['after'] = dict((k, v) for k, v in desired.items() if v is not None)
        if not task.check_mode:
            outcome['after'] = create(desired)
    else:
        changes = changes_between(current, desired)
        if changes:
            if task.check_mode:
                outcome['sent'] = operations(changes) if operations else []
            else:
                outcome['sent'] = update(current, changes)
            outcome.update(changed=outcome['sent'] is not None, after=apply(current, changes))
    if task.diff:
        outcome['diff'] = dict(before=view(current), after=view(outcome['after']))
    return outcome


def first_made(records, created='createdAt', key='id'):
    """Of the records that concurrent runs made for one purpose at about the same time (an API key with one
    description, an OAuth client with one name, a new secret of one client), the one made first, by ``created``
    and then ``key``: every run keeps that one and deletes its own if it is another, so that they converge."""
    return min(records, key=lambda r: (durations.epoch(r.get(created)) or 0.0, str(r.get(key))))
