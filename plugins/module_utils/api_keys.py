# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's API keys (``/api/v1/api-keys``), those of the calling user.

Qlik shows a key's token once, in the answer that creates it; afterwards only its metadata is readable.
A key's expiry is fixed when it is made. The list holds every user's keys for a TenantAdmin: only the
caller's own keys (``createdByUser`` is the caller's user id, from ``/api/v1/users/me``) are this
module's to keep, rotate or delete.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import first_made

KEYS = '/api/v1/api-keys'
ME = '/api/v1/users/me'


def with_expiry(key):
    """The key with ``expires_in``: seconds until its expiry (None when Qlik gives no readable expiry)."""
    expiry = durations.epoch(key.get('expiry'))
    return dict(key, expires_in=None if expiry is None else round(expiry - durations.now()))


def newest_first(keys):
    return sorted(keys, key=lambda k: (durations.epoch(k.get('created')) or 0.0, str(k.get('id'))), reverse=True)


class ApiKeys:
    """Calls of the API keys API on one tenant, as the calling user."""

    def __init__(self, client):
        self.client = client
        self._user_id = None

    def user_id(self):
        """The calling user's id (an OAuth client's bot user, or an API key's owner)."""
        if self._user_id is None:
            me = self.client.json(self.client.get(ME), 'GET', ME, 'the calling user')
            if not isinstance(me, dict) or not me.get('id'):
                raise QlikAPIError('GET %s on %s answered without the user\'s id' % (ME, self.client.host),
                                   method='GET', path=ME)
            self._user_id = me['id']
        return self._user_id

    def list(self, status=None, mine=False):
        """The tenant's keys (every user's, for a TenantAdmin), or with ``mine`` only the caller's."""
        params = dict(status=status) if status else {}
        if mine:
            params['createdByUser'] = self.user_id()
        keys = self.client.get_all(KEYS, 'API keys', params=params or None)
        # the filter is asked of Qlik and checked here: a key of another user is never the caller's
        return [k for k in keys if k.get('createdByUser') == self._user_id] if mine else keys

    def mine(self, description):
        """The caller's active keys with ``description``, newest first."""
        return newest_first(k for k in self.list(status='active', mine=True) if k.get('description') == description)

    def create(self, description, expiry=None, known=()):
        """POST a key; returns it with its ``token`` (shown once) and ``raced`` False. ``known`` are the ids of the
        caller's keys with the description that the decision to create one was made on.

        A lost answer is never followed by a second POST: when a key with the description appears meanwhile its
        token is lost, and that is an error naming it (nothing is deleted: another run may have made it). When
        concurrent runs each made a key with the description, the one made first is kept by every run: a run whose
        key is not that one deletes its own and gets the first one back, without a token, with ``raced`` set.
        """
        body = dict(description=description)
        if expiry:
            body['expiry'] = expiry
        before = set(known)  # the keys the decision to create was made on: any other one is a concurrent run's

        def post():
            answer = self.client.post(KEYS, body, ok=(200, 201)).json
            if not isinstance(answer, dict) or not answer.get('token'):
                raise QlikAPIError('POST %s on %s answered without a token' % (KEYS, self.client.host),
                                   method='POST', path=KEYS)
            self.client.redact(answer['token'], mask=False)
            return answer

        def recheck():
            appeared = [k['id'] for k in self.mine(description) if k.get('id') not in before]
            if appeared:
                raise QlikAPIError(
                    'POST %s on %s got no usable answer, and then API key(s) %s with description %r appeared: their '
                    'token was never received and nothing was sent again. They may be this run\'s or another run\'s: '
                    'if no other run is making this key, delete them (state=absent, id) and re-run' % (
                        KEYS, self.client.host, ', '.join(appeared), description), method='POST', path=KEYS,
                    may_have_applied=True)
            return None

        made = self.client.write_once(post, recheck, what='an API key with description %r' % description)
        made_now = [k for k in self.mine(description) if k.get('id') not in before]
        first = first_made(made_now + [made], created='created') if made_now else made
        if first.get('id') == made.get('id'):
            return dict(made, raced=False)
        self.delete(made['id'])
        return dict(first, raced=True)

    def delete(self, key_id):
        return self.client.remove('%s/%s' % (KEYS, key_id))
