# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's API keys (``/api/v1/api-keys``).

Qlik shows a key's token once, in the answer that creates it; afterwards only its metadata is readable.
A key's expiry is fixed when it is made.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

KEYS = '/api/v1/api-keys'


def with_expiry(key):
    """The key with ``expires_in``: seconds until its expiry (None when Qlik gives no readable expiry)."""
    expiry = durations.epoch(key.get('expiry'))
    return dict(key, expires_in=None if expiry is None else round(expiry - durations.now()))


class ApiKeys:
    """Calls of the API keys API on one tenant."""

    def __init__(self, client):
        self.client = client

    def list(self, status=None):
        return self.client.get_all(KEYS, 'API keys', params=dict(status=status) if status else None)

    def create(self, description, expiry=None):
        """POST a key; returns it with its ``token`` (shown once). A lost answer leaves a key whose token is
        lost: it is found by description among the keys made since, deleted, and the POST sent again."""
        body = dict(description=description)
        if expiry:
            body['expiry'] = expiry
        before = set(k.get('id') for k in self.list())

        def post():
            answer = self.client.post(KEYS, body, ok=(200, 201)).json
            if not isinstance(answer, dict) or not answer.get('token'):
                raise QlikAPIError('POST %s on %s answered without a token' % (KEYS, self.client.host),
                                   method='POST', path=KEYS)
            self.client.redact(answer['token'], mask=False)
            return answer

        def drop_orphans():
            for key in self.list():
                if key.get('id') not in before and key.get('description') == description:
                    self.delete(key['id'])
            return None

        return self.client.write_once(post, drop_orphans)

    def delete(self, key_id):
        return self.client.remove('%s/%s' % (KEYS, key_id))
