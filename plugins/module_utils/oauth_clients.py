# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's OAuth clients and their secrets (``/api/v1/oauth-clients``).

Qlik shows a secret once, in the answer that creates it; afterwards only its ``hint`` is readable.
A client has at most five secrets (409).
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

CLIENTS = '/api/v1/oauth-clients'
MAX_SECRETS = 5
# module option -> API field of a client (lists compare as sets: Qlik does not promise an order)
CLIENT_FIELDS = dict(name='clientName', description='description', grant_types='allowedGrantTypes',
                     scopes='allowedScopes', redirect_uris='redirectUris', allowed_origins='allowedOrigins')
LIST_FIELDS = ('allowedGrantTypes', 'allowedScopes', 'redirectUris', 'allowedOrigins')


def newest_first(client_record):
    """The client's secrets (hint, createdAt, createdBy), newest first, each with ``age`` in seconds."""
    found = []
    for secret in client_record.get('clientSecrets') or []:
        created = durations.epoch(secret.get('createdAt'))
        found.append(dict(secret, age=None if created is None else max(0.0, durations.now() - created)))
    return sorted(found, key=lambda s: s['age'] if s['age'] is not None else float('inf'))


def settings(client_record):
    """The client's settings that the module compares and shows in diffs: its identity, ``appType`` and
    ``CLIENT_FIELDS``, lists sorted (Qlik does not promise an order); None for no client."""
    if not client_record:
        return None
    out = dict((field, client_record.get(field)) for field in ('clientId', 'clientName', 'description', 'appType'))
    for field in LIST_FIELDS:
        out[field] = sorted(client_record.get(field) or [])
    out['description'] = out['description'] or ''
    return out


def patch_ops(changes):
    """JSON-patch ``replace`` operations, one per changed field."""
    return [dict(op='replace', path='/' + field, value=changes[field]) for field in sorted(changes)]


class OAuthClients:
    """Calls of the OAuth clients API on one tenant (``client`` is a QlikClient)."""

    def __init__(self, client):
        self.client = client

    def list(self):
        return self.client.get_all(CLIENTS, 'OAuth clients')

    def find(self, client_id=None, name=None):
        """The client with ``client_id``, else the one named ``name`` (a name held by two is an error), or None."""
        clients = self.list()
        if client_id:
            return next((c for c in clients if c.get('clientId') == client_id), None)
        matches = [c for c in clients if c.get('clientName') == name]
        if len(matches) > 1:
            raise ValueError('name %r is held by %d OAuth clients (%s): give client_id' % (
                name, len(matches), ', '.join(c.get('clientId', '?') for c in matches)))
        return matches[0] if matches else None

    def create(self, body):
        """POST a client; a lost answer is settled by finding it by name (never posted twice)."""
        def recheck():
            return self.find(name=body['clientName'])

        return self.client.write_once(lambda: self.client.post(CLIENTS, body, ok=(200, 201)).json, recheck)

    def patch(self, client_id, ops):
        if ops:
            self.client.patch('%s/%s' % (CLIENTS, client_id), ops, ok=(200, 202, 204))
        return ops

    def delete(self, client_id):
        return self.client.remove('%s/%s' % (CLIENTS, client_id))

    def create_secret(self, client_record):
        """A new secret: ``{clientSecret, hint, createdAt, ...}``.

        A POST whose answer is lost may have made a secret whose value nobody will ever see. The hints are
        then read again: a new hint is that orphan, which is deleted before the POST is sent again (so the
        client is not left with an unknown secret, nor with a sixth that blocks the next rotation).
        """
        path = '%s/%s/client-secrets' % (CLIENTS, client_record['clientId'])
        before = set(s.get('hint') for s in client_record.get('clientSecrets') or [])
        try:
            return self.client.write_once(lambda: self._post_secret(path), lambda: self._drop_orphans(
                client_record['clientId'], before))
        except QlikAPIError as exc:
            if exc.status == 409:
                exc.message = ('OAuth client %s already has %d secrets, the most Qlik allows: delete an old secret '
                               'first (qlik_oauth_client_secret with state=absent and hint or keep_newest) - %s' % (
                                   client_record.get('clientName'), MAX_SECRETS, exc.message))
            raise

    def _post_secret(self, path):
        answer = self.client.post(path, ok=(200, 201)).json
        if not isinstance(answer, dict) or not answer.get('clientSecret'):
            raise QlikAPIError('POST %s on %s answered without a clientSecret' % (path, self.client.host),
                               method='POST', path=path)
        self.client.redact(answer['clientSecret'], mask=False)  # returned on purpose, never in errors
        return answer

    def _drop_orphans(self, client_id, before):
        """After a lost answer: delete secrets made since (their value is lost); None lets the POST go again."""
        record = self.find(client_id=client_id)
        for secret in (record or {}).get('clientSecrets') or []:
            if secret.get('hint') not in before:
                self.delete_secret(client_id, secret['hint'])
        return None

    def delete_secret(self, client_id, hint):
        """DELETE one secret; False when it was gone already (404 to our only attempt)."""
        return self.client.remove('%s/%s/client-secrets/%s' % (CLIENTS, client_id, hint))


def find_client(task, api, required=True):
    """The client a task names by its ``id`` option (else ``name``), or None; a missing ``id`` is an error when
    ``required``. Shared by the modules that work on one client."""
    params = task.params
    for option in ('id', 'name'):
        if params.get(option) is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    found = api.find(client_id=params.get('id'), name=params.get('name'))
    if found is None and params.get('id') and required:
        raise ValueError('no OAuth client with id %s in this tenant (%s)' % (params['id'], api.client.host))
    return found
