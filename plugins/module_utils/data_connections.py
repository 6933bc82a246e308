# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's analytics data connections (``/api/v1/data-connections``).

Qlik never returns a connection's user name or password; ``qConnectionSecret`` comes back only from a GET of
one connection, and is dropped here (and redacted from errors) before anything else sees the record. A PUT
replaces the whole connection: identity and connection string are copied from the connection as read;
credentials are sent only when given (absent ones are kept). A connection of an OAuth-based data source
accepts an update only with a ``qlik-auth-code`` header from an interactive user login, so it cannot be
rotated unattended.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import REDACTED, QlikAPIError

CONNECTIONS = '/api/v1/data-connections'
# fields of a connection that can hold a secret: never kept in a record that leaves this file
SECRET_FIELDS = ('qConnectionSecret', 'qPassword')
# request fields that carry a credential; module option -> API field
CREDENTIAL_FIELDS = dict(username='qUsername', password='qPassword', connection_secret='qConnectionSecret')
SECRET_OPTIONS = ('password', 'connection_secret')
# what a PUT copies from the connection as read (ConnectionUpdate without the credentials)
PUT_FIELDS = ('qID', 'qEngineObjectID', 'qName', 'qType', 'qConnectStatement', 'qArchitecture', 'qLogOn',
              'qSeparateCredentials', 'qCredentialsID', 'datasourceID', 'space')
# what the module compares and --diff shows
SETTINGS = ('qID', 'qName', 'qType', 'qConnectStatement', 'datasourceID', 'space')


def has_credentials(record):
    """Whether a user name/password credential is embedded in or linked to the connection (``qCredentialsID``);
    a connection with ``qSeparateCredentials`` has none: each user brings their own."""
    return bool(record.get('qCredentialsID'))


def settings(record):
    """The connection's settings that the module compares and shows in diffs (never a secret); None for none."""
    if not record:
        return None
    out = dict((field, record.get(field)) for field in SETTINGS)
    out['space'] = out['space'] or None  # personal: no space (Qlik may leave the field out or empty)
    return out


def shown_body(body):
    """A request body as a task may show it: the credentials that are secrets replaced."""
    return dict((k, REDACTED if k in SECRET_FIELDS and v else v) for k, v in body.items())


def is_oauth_refusal(exc):
    """True for Qlik's refusal of an update without a ``qlik-auth-code`` (an OAuth-based data source)."""
    text = ' '.join('%s %s %s' % (e.get('code', ''), e.get('title', ''), e.get('detail', '')) for e in exc.errors)
    text = text.lower()
    return exc.status in (400, 401, 403) and ('qlik-auth-code' in text or 'auth-code' in text
                                              or 'authorization code' in text)


class DataConnections:
    """Calls of the Data Connections API on one tenant (``client`` is a QlikClient)."""

    def __init__(self, client):
        self.client = client

    def _public(self, record):
        """``record`` without its secrets, whose values are redacted from errors and masked in output."""
        if not isinstance(record, dict):
            return record
        for field in SECRET_FIELDS:
            self.client.redact(record.get(field))
        return dict((k, v) for k, v in record.items() if k not in SECRET_FIELDS)

    def list(self, space=None, personal=False, include_datafiles=False):
        """The connections the caller can see (every page), without secrets: those in ``space`` (an id), only
        personal ones, or all; DataFiles connections only with ``include_datafiles``."""
        params = {}
        if space:
            params['spaceId'] = space
        elif personal:
            params['personal'] = 'true'
        if not include_datafiles:
            params['noDatafiles'] = 'true'
        found = self.client.get_all(CONNECTIONS, 'data connections', params=params)
        return [self._public(r) for r in found]

    def get(self, connection_id):
        """The connection with ``connection_id`` (without secrets), or None."""
        path = '%s/%s' % (CONNECTIONS, connection_id)
        record = self.client.get_record(path, 'a data connection')
        if record is not None and not record.get('qID'):
            raise QlikAPIError('GET %s on %s answered with something that is not a data connection' % (
                path, self.client.host), method='GET', path=path)
        return self._public(record)

    def find(self, connection_id=None, name=None, space=None):
        """The connection with ``connection_id``, else the one named ``name`` in ``space`` (None: the caller's
        personal space), or None. A name held twice there is an error."""
        if connection_id:
            return self.get(connection_id)
        matches = [r for r in self.list(space=space, personal=not space)
                   if r.get('qName') == name and (r.get('space') or None) == (space or None)]
        if len(matches) > 1:
            raise ValueError('name %r is held by %d data connections in %s (%s): give id' % (
                name, len(matches), 'space %s' % space if space else 'the personal space',
                ', '.join(r.get('qID', '?') for r in matches)))
        return matches[0] if matches else None

    # ------------------------------------------------------------------ writes
    @staticmethod
    def create_request(body):
        return dict(method='POST', path=CONNECTIONS, body=body)

    @staticmethod
    def update_request(record, changes):
        """The PUT that replaces ``record`` (as read) with ``changes`` (API fields, credentials among them)."""
        body = dict((field, record[field]) for field in PUT_FIELDS if record.get(field) not in (None, ''))
        body.update(changes)
        return dict(method='PUT', path='%s/%s' % (CONNECTIONS, record['qID']), body=body)

    @staticmethod
    def delete_request(record):
        return dict(method='DELETE', path='%s/%s' % (CONNECTIONS, record['qID']), body=None)

    def create(self, body):
        """POST a connection; a lost answer is settled by finding it by name and space (never posted twice).
        Returns it without secrets (read again when the answer is not the connection)."""
        for field in SECRET_FIELDS:
            self.client.redact(body.get(field))

        def recheck():
            return self.find(name=body['qName'], space=body.get('space'))

        def post():
            answer = self.client.post(CONNECTIONS, body, ok=(200, 201)).json
            if isinstance(answer, dict) and answer.get('qID'):
                return self._public(answer)
            found = recheck()
            if found is None:
                raise QlikAPIError('POST %s on %s answered without the connection it made, and no connection named '
                                   '%r is found' % (CONNECTIONS, self.client.host, body['qName']),
                                   method='POST', path=CONNECTIONS)
            return found

        return self.client.write_once(post, recheck)

    def send(self, request):
        """Send a PUT or DELETE made by ``update_request`` / ``delete_request``; DELETE answers whether this
        call deleted the connection (False: it was gone already)."""
        if request['method'] == 'DELETE':
            return self.client.remove(request['path'])
        for field in SECRET_FIELDS:
            self.client.redact(request['body'].get(field))
        return self.client.put(request['path'], request['body'], ok=(200, 204))
