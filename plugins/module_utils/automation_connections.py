# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Qlik Automate's automation connections: the credentials that Automate blocks use (the SMTP server of its mail
blocks, a REST service, ...).

The same two paths as automations (``/api/workflows/automation-connections`` first, the legacy
``/api/v1/automation-connections`` on a 404). Rotating a credential means a PUT of the connection's
parameters, addressed by the parameter ids that ``GET /{id}`` gives, then ``actions/check``. Whether Qlik
returns secret parameter values masked or in clear is not stated, so the records handed out here never
carry a parameter's value, but those of the parameters a caller names (the ones a module manages as not
secret). Connections that use interactive OAuth (``oauthAccountName``, ``redirect``) need a user to
re-authorise them in Qlik Automate; new parameter values do not do that.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.automations import AutomateApi, pick
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError


def public(record, values=()):
    """The connection without the value of any parameter but those named in ``values``."""
    out = dict(record)
    if isinstance(record.get('params'), list):
        out['params'] = [dict((k, v) for k, v in p.items() if k != 'value' or p.get('name') in values)
                         for p in record['params'] if isinstance(p, dict)]
    return out


def interactive(record):
    """True for a connection that uses interactive OAuth (a user signed in to authorise it)."""
    return bool(record.get('oauthAccountName') or record.get('redirect'))


class AutomationConnections(AutomateApi):
    """Calls of the Automation Connections API on one tenant (``client`` is a QlikClient)."""

    def __init__(self, client):
        super().__init__(client, 'automation-connections', 'automation connections')

    def list(self):
        """Every connection (the list gives no parameters: never a secret)."""
        return [public(r) for r in self.records()]

    def find(self, connection_id=None, name=None, space_id=None):
        """The connection with ``connection_id``, else the one named ``name`` (in ``space_id`` when given; a name held
        by two is an error), or None."""
        return pick(self.list(), connection_id, name, 'automation connections', space_id, 'the id or space_id')

    def get(self, connection_id, values=()):
        """The connection with its parameters (``GET /{id}``), the values only of those named in ``values``."""
        path = self.path(connection_id)
        return public(self.client.json(self.client.get(path), 'GET', path, 'an automation connection'), values)

    def create(self, body, values=()):
        """POST a connection (``{connectorId, name, spaceId?, params: [{name, value}]}``); a lost answer is settled by
        finding it by name and space (never created twice)."""
        path = self.path()

        def post():
            answer = self.client.post(path, body, ok=(200, 201)).json
            if not isinstance(answer, dict) or not answer.get('id'):
                raise QlikAPIError('POST %s on %s answered without the new connection' % (path, self.client.host),
                                   method='POST', path=path)
            return public(answer, values)

        def recheck():
            made = self.find(name=body['name'], space_id=body.get('spaceId'))
            return self.get(made['id'], values) if made else None

        return self.client.write_once(post, recheck)

    def update(self, connection_id, body):
        """PUT ``{params: [{id, value}]}`` (``name`` too, when given)."""
        self.client.put(self.path(connection_id), body, ok=(200, 204))

    def check(self, connection_id):
        """Qlik's connection check: True when it connected (``connected`` or ``is_connected`` in the answer)."""
        path = self.path(connection_id, 'actions', 'check')
        answer = self.client.json(self.act(path), 'POST', path, 'the result of the check')
        if not isinstance(answer, dict) or not ('connected' in answer or 'is_connected' in answer):
            raise QlikAPIError('POST %s on %s answered without saying whether the connection works' % (
                path, self.client.host), method='POST', path=path)
        return bool(answer.get('connected', answer.get('is_connected')))
