"""The OAuth clients helpers: secret ages, client settings, and a lost create answer."""

from __future__ import annotations

import pytest

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations, oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, QlikClient, Response


def test_secrets_newest_first_with_their_age(monkeypatch):
    monkeypatch.setattr(durations, 'now', lambda: 1000.0 + 86400)
    record = dict(clientSecrets=[dict(hint='old1', createdAt='1970-01-01T00:16:40Z'),
                                 dict(hint='new1', createdAt='1970-01-02T00:00:00Z'),
                                 dict(hint='what', createdAt='garbage')])
    ordered = oauth_clients.newest_first(record)
    assert [s['hint'] for s in ordered] == ['new1', 'old1', 'what']
    assert ordered[0]['age'] == 1000.0 and ordered[1]['age'] == 86400.0 and ordered[2]['age'] is None


def test_client_settings_sort_lists_and_drop_secrets():
    record = dict(clientId='c', clientName='n', appType='web', allowedScopes=['b', 'a'], clientSecret='s3cr3t',
                  clientSecrets=[dict(hint='x')])
    assert oauth_clients.settings(record) == dict(
        clientId='c', clientName='n', description='', appType='web', allowedGrantTypes=[], allowedScopes=['a', 'b'],
        redirectUris=[], allowedOrigins=[])


class FakeClient:
    """A QlikClient stand-in: the first POST of a secret applies but its answer is lost."""

    host = 'acme.example'

    def __init__(self):
        self.secrets = [dict(hint='old1', createdAt='2026-01-01T00:00:00Z')]
        self.calls = []

    def write_once(self, write, recheck):
        try:
            return write()
        except QlikAPIError:
            found = recheck()
            return found if found is not None else write()

    def post(self, path, body=None, ok=(200, 201), idempotent=False, headers=None):
        self.calls.append(('POST', path))
        value = 'secret-%d-abcd' % len(self.calls)
        self.secrets.append(dict(hint=value[-4:] + str(len(self.calls)), createdAt='2026-02-01T00:00:00Z'))
        if len(self.calls) == 1:
            raise QlikAPIError('dropped', method='POST', path=path, may_have_applied=True)
        return Response(201, dict(clientSecret=value, hint=self.secrets[-1]['hint']), {})

    def get(self, path, params=None, ok=(200,)):
        self.calls.append(('GET', path))
        return Response(200, dict(data=[dict(clientId='c1', clientName='n', clientSecrets=list(self.secrets))],
                                  links={}), {})

    def json(self, response, method, path, what):
        return response.json

    get_all = QlikClient.get_all  # the real paging, over this fake's get and json

    def remove(self, path):
        self.calls.append(('DELETE', path))
        hint = path.rsplit('/', 1)[1]
        self.secrets = [s for s in self.secrets if s['hint'] != hint]
        return True

    def redact(self, value, mask=True):
        self.calls.append(('remember', mask))


def test_a_lost_secret_answer_deletes_the_orphan_then_creates_one_secret():
    fake = FakeClient()
    made = oauth_clients.OAuthClients(fake).create_secret(dict(clientId='c1', clientName='n',
                                                               clientSecrets=[dict(hint='old1')]))
    assert made['clientSecret'] == 'secret-4-abcd'
    assert [s['hint'] for s in fake.secrets] == ['old1', made['hint']]
    assert [c[0] for c in fake.calls] == ['POST', 'GET', 'DELETE', 'POST', 'remember']
    assert fake.calls[-1] == ('remember', False)  # returned on purpose: censored, not masked


def test_a_sixth_secret_is_explained():
    class Full(FakeClient):
        def write_once(self, write, recheck):
            raise QlikAPIError('POST ... failed with HTTP 409 - [OAUTH-CLIENTS-9] Conflict', status=409)

    with pytest.raises(QlikAPIError) as info:
        oauth_clients.OAuthClients(Full()).create_secret(dict(clientId='c1', clientName='pipeline'))
    assert info.value.message.startswith('OAuth client pipeline already has 5 secrets, the most Qlik allows: '
                                         'delete an old secret first')
