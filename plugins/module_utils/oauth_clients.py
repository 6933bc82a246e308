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
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import first_made

CLIENTS = '/api/v1/oauth-clients'
MAX_SECRETS = 5
# module option -> API field of a client (lists compare as sets: Qlik does not promise an order)
CLIENT_FIELDS = dict(name='clientName', description='description', grant_types='allowedGrantTypes',
                     scopes='allowedScopes', redirect_uris='redirectUris', allowed_origins='allowedOrigins')
LIST_FIELDS = ('allowedGrantTypes', 'allowedScopes', 'redirectUris', 'allowedOrigins')


def newest_first(client_record):
    """The client's secrets (hint, createdAt, createdBy), newest first, each with ``age`` in seconds. Secrets made
    within one timestamp keep the order of Qlik's list, the later one taken for the newer."""
    found = []
    now = durations.now()
    for position, secret in enumerate(client_record.get('clientSecrets') or []):
        created = durations.epoch(secret.get('createdAt'))
        found.append((float('-inf') if created is None else created, position,
                      dict(secret, age=None if created is None else max(0.0, now - created))))
    return [secret for dummy, dummy, secret in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]


def rotation(secrets, current_hint=None, max_age=None, keep_newest=1, pending_timeout=900.0):
    """Where a client's secrets stand for a rotation that keeps exactly what it knows to be in use.

    ``secrets`` is ``newest_first()`` of the client. The secret in use is the one with ``current_hint``, or the
    client's only secret (with several and no hint, nobody can tell which one a pipeline holds: ValueError).
    Secrets made before it are ``older`` (handed over earlier, replaced since); secrets made after it were never
    handed over: ``pending`` when younger than ``pending_timeout`` (another run may be handing one over right now),
    else ``abandoned`` (an interrupted run's, whose value nobody has). ``due``: the secret in use is older than
    ``max_age`` (0: always), or there is none. ``old_after`` are the hints to delete once a new secret is handed
    over, ``old_now`` those to delete when no rotation is due; either way ``keep_newest`` secrets stay, the one in
    use (or the new one) included. Age never picks what is kept: only which secret is in use does.
    """
    if current_hint is not None:
        current = next((s for s in secrets if s.get('hint') == current_hint), None)
        if current is None:
            raise ValueError('the client has no secret with hint %r (current_hint, the secret in use); its secrets are '
                             '%s: is the stored secret still valid?' % (current_hint, ', '.join(_hints(secrets)) or 'none'))
    elif len(secrets) > 1:
        raise ValueError('the client has %d secrets (hints %s) and current_hint does not say which one is in use: give '
                         'the hint of the secret your pipeline holds (a rotation hands it over with every new secret)'
                         % (len(secrets), ', '.join(_hints(secrets))))
    else:
        current = secrets[0] if secrets else None
    position = secrets.index(current) if current is not None else len(secrets)
    newer, older = secrets[:position], secrets[position + 1:]
    pending = [s for s in newer if s['age'] is None or s['age'] < pending_timeout]
    due = current is None or max_age == 0 or (max_age is not None and (current['age'] is None or current['age'] >= max_age))
    keep = max(keep_newest, 1) - 1
    return dict(current=current, older=older, pending=pending, abandoned=[s for s in newer if s not in pending],
                due=due, old_after=_hints(([current] if current else []) + older, keep),
                old_now=_hints(older, keep))


def _hints(secrets, skip=0):
    return [s.get('hint') for s in secrets][skip:]


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
        """POST a client (none has its name yet); returns it and ``raced``.

        A lost answer is settled by finding it by name, never by posting twice: the record found then has no
        ``clientSecret``. Qlik does not keep names unique, so when concurrent runs each made a client with the
        name, every run keeps the one made first: a run whose client is not that one deletes its own and gets
        the first back, without a secret, with ``raced`` set.
        """
        name = body['clientName']

        def named():
            same = [c for c in self.list() if c.get('clientName') == name]
            return first_made(same, key='clientId') if same else None

        made = self.client.write_once(lambda: self.client.post(CLIENTS, body, ok=(200, 201)).json, named,
                                      what='an OAuth client named %r' % name)
        first = named() or made
        if first.get('clientId') == made.get('clientId'):
            return dict(made, raced=False)
        self.delete(made['clientId'])
        return dict(first, raced=True)

    def patch(self, client_id, ops):
        if ops:
            self.client.patch('%s/%s' % (CLIENTS, client_id), ops, ok=(200, 202, 204))
        return ops

    def delete(self, client_id):
        return self.client.remove('%s/%s' % (CLIENTS, client_id))

    def create_secret(self, client_record):
        """A new secret: ``{clientSecret, hint, createdAt, ...}``.

        The POST is never sent twice. When its answer is lost and a secret appears that was not there before, its
        value is lost: that is an error naming the new hint(s), and nothing is deleted (another run may have made
        it: only a later run that knows which secret is in use can tell an orphan from it).
        """
        client_id = client_record['clientId']
        path = '%s/%s/client-secrets' % (CLIENTS, client_id)
        before = set(s.get('hint') for s in client_record.get('clientSecrets') or [])

        def recheck():
            appeared = sorted(s.get('hint') for s in (self.find(client_id=client_id) or {}).get('clientSecrets') or []
                              if s.get('hint') not in before)
            if appeared:
                raise QlikAPIError(
                    'POST %s on %s got no usable answer, and then secret(s) with hint %s appeared: their value was '
                    'never received, so nothing was handed over and nothing was sent again; the secrets the client had '
                    'still work. A later rotation deletes a secret nobody holds once it is older than pending_timeout '
                    '(or delete it now: state=absent, hint)' % (path, self.client.host, ', '.join(appeared)),
                    method='POST', path=path, may_have_applied=True)
            return None

        try:
            return self.client.write_once(lambda: self._post_secret(path), recheck,
                                          what='a secret of OAuth client %s' % client_record.get('clientName'))
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
