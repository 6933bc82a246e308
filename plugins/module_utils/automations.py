# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Qlik Automate's automations and the execution tokens of triggered ones.

Qlik serves the same resource at two paths: ``/api/workflows/automations``, which qlik.dev calls the
preferred API that supersedes the legacy one, and the legacy ``/api/v1/automations``. The bodies are the
same. The workflows path is used; a tenant that answers its list with 404 (one without the newer API) gets
the legacy path for the rest of the task. The legacy path lets only an automation's owner copy it; the
workflows path also lets an admin token do so, which is what a platform team's pipeline holds.

An execution token authorises the trigger endpoint ``POST /api/v1/automations/{id}/actions/execute``
(header ``X-Execution-Token``). It is unique to the automation, never expires and cannot be regenerated:
rotating it means copying the automation (the copy has a new id and a new token) and deleting the
original. The list and ``GET /{id}`` return it; the records handed out here leave it out unless asked.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

WORKFLOWS = '/api/workflows/'
LEGACY = '/api/v1/'
TRIGGER = '/api/v1/automations/%s/actions/execute'
# what a PUT carries (it replaces the automation: the create body without spaceId)
PUT_FIELDS = ('name', 'description', 'workspace', 'schedules', 'maxConcurrentRuns')


class AutomateApi:
    """One of Qlik Automate's APIs (``automations``, ``automation-connections``) on one tenant, at the workflows
    path, else (a 404 to the list) at the legacy one. Lists page with a ``cursor``."""

    def __init__(self, client, name, what):
        self.client = client
        self.name = name
        self.what = what
        self.base = None  # the path chosen by the first list

    def path(self, *parts):
        if self.base is None:
            self.records()
        return '/'.join((self.base,) + parts)

    def records(self):
        """Every record of the list, as the API gives it."""
        candidates = (self.base,) if self.base else (WORKFLOWS + self.name, LEGACY + self.name)
        for base in candidates:
            try:
                items = self.client.get_all(base, self.what)
            except QlikAPIError as exc:
                if exc.not_found(base) and base != candidates[-1]:
                    continue
                raise
            self.base = base
            return items
        raise AssertionError('unreachable')  # pragma: no cover

    def act(self, path, body=None):
        """``POST …/{id}/actions/<action>`` for an action that is safe to repeat (enable, disable, change-space,
        check), so that it is retried like a read."""
        return self.client.post(path, body, ok=(200, 201, 204), idempotent=True)


def pick(records, item_id=None, name=None, what='records', space_id=None, hint='the id'):
    """The record with ``item_id``, else the one named ``name`` (in ``space_id`` when given), or None; a name held
    by two is an error that lists their ids and says to give ``hint``."""
    if item_id:
        return next((r for r in records if r.get('id') == item_id), None)
    matches = [r for r in records if r.get('name') == name and (space_id is None or r.get('spaceId') == space_id)]
    if len(matches) > 1:
        raise ValueError('name %r is held by %d %s (%s): give %s' % (
            name, len(matches), what, ', '.join(r.get('id', '?') for r in matches), hint))
    return matches[0] if matches else None


def trigger_url(base_url, automation_id):
    """The URL that callers of a triggered automation POST to, with its token in ``X-Execution-Token``."""
    return base_url + TRIGGER % automation_id


def public(record, base_url, token=False):
    """The automation as the list describes it, without the editor's ``workspace`` and, unless ``token``, without
    its ``executionToken``; with ``hasExecutionToken``, and ``triggerUrl`` when it is triggered."""
    out = dict((k, v) for k, v in record.items() if k not in ('executionToken', 'workspace'))
    out['hasExecutionToken'] = bool(record.get('executionToken'))
    if record.get('runMode') == 'triggered':
        out['triggerUrl'] = trigger_url(base_url, record['id'])
    if token:
        out['executionToken'] = record.get('executionToken') or ''
    return out


def settings(record):
    """What the modules compare and ``--diff`` shows of an automation (never its token); None for none."""
    if not record:
        return None
    return dict(id=record.get('id'), name=record.get('name'), description=record.get('description') or '',
                spaceId=record.get('spaceId'), enabled=record.get('state') != 'disabled',
                runMode=record.get('runMode'), hasExecutionToken=bool(record.get('executionToken')))


def lay_over(record, changes):
    """``record`` (as the API describes it) after ``changes`` (settings fields)."""
    out = dict(record, **dict((k, v) for k, v in changes.items() if k != 'enabled'))
    if 'enabled' in changes:
        out['state'] = 'available' if changes['enabled'] else 'disabled'
    return out


class Automations(AutomateApi):
    """Calls of the Automations API on one tenant (``client`` is a QlikClient).

    Every token read is redacted from the client's errors; ``mask_tokens`` has the task mask them all but the
    ones it returns on purpose.
    """

    def __init__(self, client):
        super().__init__(client, 'automations', 'automations')
        self.tokens = {}  # automation id -> execution token, every one read

    def _seen(self, record):
        token = record.get('executionToken') if isinstance(record, dict) else None
        if token:
            self.tokens[record.get('id')] = token
            self.client.redact(token, mask=False)
        return record

    def records(self):
        return [self._seen(r) for r in super().records()]

    def list(self, tokens=False):
        """Every automation (``public`` records); their execution tokens only with ``tokens``."""
        return [public(r, self.client.base_url, token=tokens) for r in self.records()]

    def mask_tokens(self, keep=()):
        """Mask every token read in the task's output, but those of the automations in ``keep``."""
        for automation_id, token in self.tokens.items():
            if automation_id not in keep:
                self.client.redact(token)

    def find(self, automation_id=None, name=None):
        """The automation with ``automation_id``, else the one named ``name`` (a name held by two is an error),
        or None. A record as the list gives it."""
        return pick(self.records(), automation_id, name, 'automations')

    def get(self, automation_id):
        """The automation with its ``workspace`` (``GET /{id}``)."""
        path = self.path(automation_id)
        return self._seen(self.client.json(self.client.get(path), 'GET', path, 'an automation'))

    def copy(self, source_id, name):
        """Copy ``source_id`` as ``name``; the new automation's id. A lost answer is settled by finding the copy by
        its name (so ``name`` should be one no other automation holds): it is never copied twice."""
        path = self.path(source_id, 'actions', 'copy')

        def post():
            try:
                answer = self.client.post(path, dict(name=name), ok=(200, 201)).json
            except QlikAPIError as exc:
                if exc.status == 403 and self.base.startswith(LEGACY):
                    exc.message += (' (this tenant has only the legacy Automations API, on which only the owner of an '
                                    'automation may copy it: run the task with the owner\'s credentials)')
                raise
            if not isinstance(answer, dict) or not answer.get('id'):
                raise QlikAPIError('POST %s on %s answered without the id of the copy' % (path, self.client.host),
                                   method='POST', path=path)
            return answer['id']

        def recheck():
            made = self.find(name=name)
            return made['id'] if made else None

        return self.client.write_once(post, recheck)

    def operations(self, automation_id, changes):
        """The writes that converge automation ``automation_id`` to ``changes`` (settings fields), in order: disable,
        change space, PUT of name and description (shown with only those; the PUT carries the rest as read),
        enable. Each is ``{method, path[, body]}``."""
        ops = []
        if changes.get('enabled') is False:
            ops.append(dict(method='POST', path=self.path(automation_id, 'actions', 'disable')))
        if changes.get('spaceId') is not None:
            ops.append(dict(method='POST', path=self.path(automation_id, 'actions', 'change-space'),
                            body=dict(spaceId=changes['spaceId'])))
        fields = dict((k, changes[k]) for k in ('name', 'description') if changes.get(k) is not None)
        if fields:
            ops.append(dict(method='PUT', path=self.path(automation_id), body=fields))
        if changes.get('enabled') is True:
            ops.append(dict(method='POST', path=self.path(automation_id, 'actions', 'enable')))
        return ops

    def converge(self, automation_id, changes):
        """Send ``operations(automation_id, changes)``; returns them."""
        ops = self.operations(automation_id, changes)
        for op in ops:
            if op['method'] == 'PUT':
                current = self.get(automation_id)
                body = dict((k, current[k]) for k in PUT_FIELDS if current.get(k) is not None)
                body.update(op['body'])
                self.client.put(op['path'], body, ok=(200, 204))
            else:
                self.act(op['path'], op.get('body'))
        return ops

    def removal(self, record):
        """The writes that delete an automation the way Qlik's guidance does: disable it (when enabled), then DELETE."""
        ops = [dict(method='POST', path=self.path(record['id'], 'actions', 'disable'))] \
            if record.get('state') != 'disabled' else []
        return ops + [dict(method='DELETE', path=self.path(record['id']))]

    def delete(self, record):
        """Disable, then delete; False when someone else deleted it first."""
        for op in self.removal(record)[:-1]:
            self.act(op['path'])
        return self.client.remove(self.path(record['id']))
