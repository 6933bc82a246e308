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

    def write_once(self, write, recheck, what=None):
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


def test_a_lost_secret_answer_is_never_sent_again_nor_taken_for_an_orphan():
    """The POST applied but its answer was lost: the new hint is named, nothing is deleted (it may be another run's)
    and nothing is sent again (issue 20, defects 1 and 5)."""
    fake = FakeClient()
    with pytest.raises(QlikAPIError) as info:
        oauth_clients.OAuthClients(fake).create_secret(dict(clientId='c1', clientName='n',
                                                            clientSecrets=[dict(hint='old1')]))
    appeared = fake.secrets[-1]['hint']
    assert 'secret(s) with hint %s appeared' % appeared in info.value.message
    assert [c[0] for c in fake.calls] == ['POST', 'GET']
    assert [s['hint'] for s in fake.secrets] == ['old1', appeared]


def test_a_sixth_secret_is_explained():
    class Full(FakeClient):
        def write_once(self, write, recheck, what=None):
            raise QlikAPIError('POST ... failed with HTTP 409 - [OAUTH-CLIENTS-9] Conflict', status=409)

    with pytest.raises(QlikAPIError) as info:
        oauth_clients.OAuthClients(Full()).create_secret(dict(clientId='c1', clientName='pipeline'))
    assert info.value.message.startswith('OAuth client pipeline already has 5 secrets, the most Qlik allows: '
                                         'delete an old secret first')


def secret(hint, age):
    return dict(hint=hint, age=age)


DAY = 86400.0


@pytest.mark.parametrize('secrets, hint, max_age, keep, expect', [
    # the only secret is in use; past max_age: due, and it is what the new one replaces
    ([secret('a', 100 * DAY)], None, 90 * DAY, 1, dict(current='a', due=True, old_after=['a'], old_now=[])),
    # an orphan newer than the secret in use does not reset the clock (defect 4), and is not "old"
    ([secret('x', 3600), secret('a', 100 * DAY)], 'a', 90 * DAY, 1,
     dict(current='a', due=True, abandoned=['x'], pending=[], old_after=['a'], old_now=[])),
    # a young secret newer than the one in use may be another run's rotation in progress (defect 2)
    ([secret('b', 60), secret('a', 100 * DAY)], 'a', 90 * DAY, 1,
     dict(current='a', due=True, pending=['b'], abandoned=[], old_after=['a'])),
    # a half-done rotation: the new secret is in use and young, the older one is still there (defect 3)
    ([secret('n', 60), secret('o', 100 * DAY)], 'n', 90 * DAY, 1, dict(current='n', due=False, old_now=['o'])),
    # keep_newest counts the secret in use (or the new one)
    ([secret('c', 10), secret('b', 20 * DAY), secret('a', 200 * DAY)], 'c', 90 * DAY, 2,
     dict(current='c', due=False, old_now=['a'], old_after=['b', 'a'])),
    ([], None, 90 * DAY, 1, dict(current=None, due=True, old_after=[], old_now=[])),
    ([secret('a', 10)], 'a', 0, 1, dict(current='a', due=True, old_after=['a'])),
    ([secret('a', 10 * 365 * DAY)], None, None, 1, dict(current='a', due=False)),
])
def test_a_rotation_keeps_what_is_in_use_never_what_is_newest(secrets, hint, max_age, keep, expect):
    where = oauth_clients.rotation(secrets, hint, max_age, keep, pending_timeout=900.0)
    got = dict(current=where['current'] and where['current']['hint'], due=where['due'],
               pending=[s['hint'] for s in where['pending']], abandoned=[s['hint'] for s in where['abandoned']],
               old_after=where['old_after'], old_now=where['old_now'])
    assert dict((k, got[k]) for k in expect) == expect


@pytest.mark.parametrize('hint, words', [(None, 'does not say which one is in use'), ('zz', 'no secret with hint')])
def test_which_secret_is_in_use_is_never_guessed(hint, words):
    with pytest.raises(ValueError) as info:
        oauth_clients.rotation([secret('b', 10), secret('a', 20)], hint, 90 * DAY)
    assert words in str(info.value) and 'b, a' in str(info.value)
