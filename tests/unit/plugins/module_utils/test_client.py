"""Unit tests of the HTTP client: exact request sequences, retries, errors, redaction."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.qlikcloud.platform.plugins.module_utils import client as client_mod
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import (
    QlikAPIError, QlikClient, normalize_url, parse_retry_after)

TOKEN = 'tok-abcdef-123456'
SECRET = 'very-secret-client-secret'
STATIC = 'static-api-key-987654'


class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.text = '' if body is None else (body if isinstance(body, str) else json.dumps(body))
        self.headers = headers or {}


class FakeSession:
    """Plays a script of answers (or exceptions) and records every request."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, headers=None, params=None, data=None, timeout=None, verify=None,
                allow_redirects=None):
        self.calls.append(dict(method=method, url=url, headers=dict(headers or {}), params=params,
                               body=json.loads(data) if data else None, timeout=timeout, verify=verify))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return FakeResponse(*item)

    def sequence(self):
        return [(c['method'], c['url'].split('://', 1)[1].split('/', 1)[1]) for c in self.calls]


class Secrets:
    """What the caller of a client collects to mask: every secret the client hands to ``mask``."""

    def __init__(self):
        self.no_log_values = set()


def make(session, sleeps=None, **params):
    base = dict(tenant_url='acme.eu.qlikcloud.com', access_token=None, client_id=None, client_secret=None,
                validate_certs=True, ca_path=None, timeout=10.0, retries=3)
    base.update(params)
    secrets = Secrets()
    recorded = [] if sleeps is None else sleeps
    return QlikClient(base, session=session, sleep=recorded.append, rand=lambda: 0.5, clock=lambda: 1000.0,
                      mask=secrets.no_log_values.add), secrets


def token_answer(token=TOKEN):
    return (200, dict(access_token=token, token_type='bearer', expires_in=21600,
                      expires_at='2026-11-23T01:00:00.000Z'))


def test_token_exchange_once_per_run_then_bearer():
    session = FakeSession(token_answer(), (200, []), (200, {'id': 'x'}))
    client, module = make(session, client_id='cid', client_secret=SECRET)
    client.get('/api/v1/encryption/keyproviders')
    client.get('/api/v1/encryption/keyproviders/migration/actions/details')
    assert session.sequence() == [
        ('POST', 'oauth/token'),
        ('GET', 'api/v1/encryption/keyproviders'),
        ('GET', 'api/v1/encryption/keyproviders/migration/actions/details')]
    assert session.calls[0]['body'] == dict(client_id='cid', client_secret=SECRET, grant_type='client_credentials')
    assert 'Authorization' not in session.calls[0]['headers']
    assert session.calls[1]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert session.calls[2]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert TOKEN in module.no_log_values
    assert client.token_expires_at == '2026-11-23T01:00:00.000Z'


def test_static_access_token_is_sent_without_exchange():
    session = FakeSession((200, []))
    client, dummy = make(session, access_token='api-key-1')
    client.get('/api/v1/users/me')
    assert session.sequence() == [('GET', 'api/v1/users/me')]
    assert session.calls[0]['headers']['Authorization'] == 'Bearer api-key-1'


def test_429_honours_retry_after_seconds():
    sleeps = []
    session = FakeSession((429, {'errors': []}, {'Retry-After': '7'}), (200, []))
    client, dummy = make(session, sleeps, access_token=STATIC)
    assert client.get('/api/v1/encryption/keyproviders').status == 200
    assert session.sequence() == [('GET', 'api/v1/encryption/keyproviders')] * 2
    assert sleeps == [7.0 + 0.5 * 0.25]


def test_429_on_post_is_retried_because_nothing_was_applied():
    sleeps = []
    session = FakeSession((429, None, {'Retry-After': '2'}), (201, {'arn': 'a'}))
    client, dummy = make(session, sleeps, access_token=STATIC)
    assert client.post('/api/v1/encryption/keyproviders', {'arn': 'a'}).json == {'arn': 'a'}
    assert session.sequence() == [('POST', 'api/v1/encryption/keyproviders')] * 2
    assert [c['body'] for c in session.calls] == [{'arn': 'a'}, {'arn': 'a'}]


def test_retry_after_is_capped_and_http_dates_are_understood():
    assert parse_retry_after('3600') == client_mod.MAX_RETRY_AFTER
    assert parse_retry_after('Thu, 01 Jan 1970 00:16:50 GMT', now=1000.0) == 10.0
    assert parse_retry_after('garbage') is None
    assert parse_retry_after(None) is None


def test_5xx_then_success_backs_off_exponentially():
    sleeps = []
    session = FakeSession((503, None), (502, None), (200, []))
    client, dummy = make(session, sleeps, access_token=STATIC)
    client.get('/api/v1/encryption/keyproviders/actions/list')
    assert session.sequence() == [('GET', 'api/v1/encryption/keyproviders/actions/list')] * 3
    # base 0.5 s doubling, jitter factor 0.5 + rand/2 = 0.75 with rand=0.5
    assert sleeps == [0.5 * 0.75, 1.0 * 0.75]


def test_retry_exhaustion_reports_last_status():
    sleeps = []
    session = FakeSession(*[(503, {'errors': [{'code': 'HTTP-503', 'title': 'Service Unavailable'}]})] * 3)
    client, dummy = make(session, sleeps, access_token=STATIC, retries=2)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/encryption/keyproviders')
    assert len(session.calls) == 3
    assert len(sleeps) == 2
    assert info.value.status == 503
    assert info.value.message == ('GET /api/v1/encryption/keyproviders on acme.eu.qlikcloud.com failed with '
                                  'HTTP 503 - [HTTP-503] Service Unavailable')


def test_429_exhaustion_says_rate_limited():
    session = FakeSession(*[(429, None, {'Retry-After': '1'})] * 2)
    client, dummy = make(session, [], access_token=STATIC, retries=1)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/encryption/keyproviders')
    assert len(session.calls) == 2
    assert 'HTTP 429: rate limit still exceeded after 1 retries' in info.value.message


def test_post_5xx_is_not_resent_and_marked_ambiguous():
    session = FakeSession((503, None))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.post('/api/v1/encryption/keyproviders/fp/actions/migrate')
    assert len(session.calls) == 1
    assert info.value.may_have_applied is True


def test_post_dropped_after_send_is_not_resent():
    dropped = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))")
    session = FakeSession(dropped)
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.post('/api/v1/tenants', {'licenseKey': 'k'})
    assert len(session.calls) == 1
    assert info.value.may_have_applied is True
    assert 'dropped before an answer arrived' in info.value.message


def test_post_connect_failure_is_retried_because_nothing_was_sent():
    refused = requests.exceptions.ConnectionError(
        "HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError('Failed to establish a new "
        "connection: [Errno 111] Connection refused'))")
    session = FakeSession(refused, (201, {'id': 'x'}))
    client, dummy = make(session, [], access_token=STATIC)
    assert client.post('/api/v1/tenants', {'licenseKey': 'k'}).status == 201
    assert len(session.calls) == 2


def test_write_once_rechecks_instead_of_resending():
    session = FakeSession((502, None))
    client, dummy = make(session, [], access_token=STATIC)
    rechecks = []

    def recheck():
        rechecks.append(1)
        return {'arn': 'found-after-recheck'}

    result = client.write_once(lambda: client.post('/api/v1/encryption/keyproviders', {'arn': 'a'}).json, recheck)
    assert result == {'arn': 'found-after-recheck'}
    assert session.sequence() == [('POST', 'api/v1/encryption/keyproviders')]
    assert rechecks == [1]


def test_write_once_resends_when_recheck_proves_it_did_not_apply():
    session = FakeSession((500, None), (201, {'arn': 'a'}))
    client, dummy = make(session, [], access_token=STATIC)
    result = client.write_once(lambda: client.post('/api/v1/encryption/keyproviders', {'arn': 'a'}).json,
                               lambda: None)
    assert result == {'arn': 'a'}
    assert session.sequence() == [('POST', 'api/v1/encryption/keyproviders')] * 2


def test_error_formatting_names_call_status_and_qlik_errors():
    body = {'errors': [{'code': 'Encryption-3', 'title': 'Unable to access the provided AWS-KMS key',
                        'detail': 'Check if AWS key policy allows access from Qlik Cloud.'}]}
    session = FakeSession((403, body))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.post('/api/v1/encryption/keyproviders', {'arn': 'a'})
    error = info.value
    assert error.message == (
        'POST /api/v1/encryption/keyproviders on acme.eu.qlikcloud.com failed with HTTP 403 - [Encryption-3] '
        'Unable to access the provided AWS-KMS key: Check if AWS key policy allows access from Qlik Cloud.')
    assert error.to_result() == dict(msg=error.message, status=403, errors=body['errors'],
                                     request=dict(method='POST', path='/api/v1/encryption/keyproviders'))


def test_401_with_static_token_says_the_token_was_rejected():
    session = FakeSession((401, {'errors': [{'code': 'HTTP-401', 'title': 'Unauthorized, invalid JWT'}]}))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert len(session.calls) == 1
    assert 'HTTP 401: the access token was rejected by acme.eu.qlikcloud.com' in info.value.message


def test_401_from_token_endpoint_says_client_credentials_were_rejected():
    session = FakeSession((401, {'errors': [{'code': 'OAUTH-1', 'title': 'invalid_client'}]}))
    client, dummy = make(session, [], client_id='cid', client_secret=SECRET)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert session.sequence() == [('POST', 'oauth/token')]
    assert 'client credentials (client_id/client_secret) were rejected' in info.value.message


def test_expired_token_mid_run_leads_to_one_fresh_exchange():
    session = FakeSession(token_answer('first'), (200, []), (401, None), token_answer('second'), (200, []))
    client, dummy = make(session, [], client_id='cid', client_secret=SECRET)
    client.get('/api/v1/encryption/keyproviders')
    client.get('/api/v1/encryption/keyproviders')
    assert session.sequence() == [('POST', 'oauth/token'), ('GET', 'api/v1/encryption/keyproviders'),
                                  ('GET', 'api/v1/encryption/keyproviders'), ('POST', 'oauth/token'),
                                  ('GET', 'api/v1/encryption/keyproviders')]
    assert session.calls[4]['headers']['Authorization'] == 'Bearer second'


def test_secrets_are_redacted_from_errors_and_registered_as_no_log():
    echo = {'errors': [{'code': 'X', 'title': 'bad', 'detail': 'got secret %s and token %s' % (SECRET, TOKEN)}]}
    session = FakeSession(token_answer(), (400, echo))
    client, module = make(session, [], client_id='cid', client_secret=SECRET)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/encryption/keyproviders')
    text = json.dumps(info.value.to_result()) + info.value.message + json.dumps(info.value.body)
    assert SECRET not in text and TOKEN not in text
    assert 'got secret ******** and token ********' in info.value.message
    assert TOKEN in module.no_log_values


def test_tls_and_dns_failures_are_plain_and_not_retried():
    tls = requests.exceptions.SSLError('certificate verify failed: unable to get local issuer certificate')
    dns = requests.exceptions.ConnectionError(
        "Max retries exceeded (Caused by NameResolutionError(\"Failed to resolve 'x' ([Errno -2] Name or service "
        "not known)\"))")
    for error, words in ((tls, 'TLS verification failed'), (dns, 'could not be resolved (DNS)')):
        session = FakeSession(error)
        client, dummy = make(session, [], access_token=STATIC)
        with pytest.raises(QlikAPIError) as info:
            client.get('/api/v1/users/me')
        assert len(session.calls) == 1
        assert words in info.value.message


def test_verify_follows_ca_path_and_validate_certs(monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    for params, expected in ((dict(), True), (dict(validate_certs=False), False),
                             (dict(ca_path='/tmp/ca.pem'), '/tmp/ca.pem')):
        session = FakeSession((200, []))
        client, dummy = make(session, [], access_token=STATIC, **params)
        client.get('/x')
        assert client.verify == expected
        assert session.calls[0]['verify'] is (expected is not False)  # the CAs are in the shared SSL context
        assert session.calls[0]['timeout'] == 10.0
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/corporate-ca.pem')
    assert make(FakeSession(), access_token=STATIC)[0].verify == '/etc/corporate-ca.pem'
    assert make(FakeSession(), access_token=STATIC, ca_path='/tmp/ca.pem')[0].verify == '/tmp/ca.pem'


def test_a_real_session_reads_the_environment_once(monkeypatch, tmp_path):
    import trustme  # pylint: disable=import-outside-toplevel

    bundle = tmp_path / 'ca.pem'
    trustme.CA().cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example:3128')
    monkeypatch.setenv('NO_PROXY', 'internal.example')
    client = QlikClient(dict(tenant_url='acme.eu.qlikcloud.com', access_token=STATIC, ca_path=str(bundle)))
    assert client.session.trust_env is False
    assert client.session.proxies['https'] == 'http://proxy.example:3128'
    adapter = client.session.get_adapter('https://acme.eu.qlikcloud.com/')
    assert adapter._ssl_context is client_mod._ssl_context(str(bundle))  # pylint: disable=protected-access
    bypassed = QlikClient(dict(tenant_url='tenant.internal.example', access_token=STATIC))
    assert bypassed.session.proxies == {}


@pytest.mark.parametrize('value,expected', [
    ('acme.eu.qlikcloud.com', 'https://acme.eu.qlikcloud.com'),
    ('https://Acme.EU.qlikcloud.com/', 'https://acme.eu.qlikcloud.com'),
    ('127.0.0.1:8443', 'https://127.0.0.1:8443'),
])
def test_normalize_url(value, expected):
    assert normalize_url(value) == expected


@pytest.mark.parametrize('value,words', [
    ('', 'tenant_url is required'),
    ('http://acme.eu.qlikcloud.com', 'must use https'),
    ('https://', 'not a valid URL'),
    ('https://acme:99999', 'invalid port'),
    ('https://acme.eu.qlikcloud.com/?x=1', 'query or fragment'),
])
def test_normalize_url_rejects_bad_values(value, words):
    with pytest.raises(ValueError) as info:
        normalize_url(value)
    assert words in str(info.value)


def test_missing_credentials_is_a_clear_error():
    with pytest.raises(ValueError) as info:
        make(FakeSession())
    assert 'no credentials' in str(info.value)


# --------------------------------------------------------------- hostile inputs and answers (issue 12)
@pytest.mark.parametrize('option,value', [
    ('access_token', 'token-value\r\nX-Injected: 1'),
    ('client_secret', SECRET + '\n'),
    ('client_id', 'client id'),
])
def test_credentials_with_whitespace_or_control_characters_are_refused_unseen(option, value):
    params = dict(client_id='cid', client_secret=SECRET)
    params[option] = value
    session = FakeSession()
    with pytest.raises(ValueError) as info:
        make(session, **params)
    message = str(info.value)
    assert message.startswith('%s contains' % option)
    assert value.strip() not in message and 'token-value' not in message
    assert session.calls == []


def test_local_request_errors_are_neither_retried_nor_echoed():
    leaky = requests.exceptions.InvalidHeader("Invalid leading whitespace in header value: 'Bearer leaked-token'")
    session = FakeSession(leaky)
    sleeps = []
    client, dummy = make(session, sleeps, access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert len(session.calls) == 1 and sleeps == []
    assert 'leaked-token' not in info.value.message and 'could not be sent' in info.value.message


def test_unexpected_exceptions_from_the_transport_do_not_leak_their_text():
    session = FakeSession(ValueError("header value 'Bearer leaked-token' is invalid"))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert 'leaked-token' not in info.value.message and 'ValueError' in info.value.message


def test_proxy_407_is_named_and_not_retried():
    proxy = requests.exceptions.ProxyError(
        "HTTPSConnectionPool(host='x', port=443): Max retries exceeded (Caused by ProxyError('Unable to connect "
        "to proxy', OSError('Tunnel connection failed: 407 Proxy Authentication Required')))")
    session = FakeSession(proxy)
    sleeps = []
    client, dummy = make(session, sleeps, access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert len(session.calls) == 1 and sleeps == []
    assert 'the proxy answered 407 Proxy Authentication Required' in info.value.message
    assert 'dropped' not in info.value.message


def test_timeout_zero_is_refused_not_replaced():
    with pytest.raises(ValueError) as info:
        make(FakeSession(), access_token=STATIC, timeout=0)
    assert str(info.value).startswith('timeout must be a positive number of seconds')
    client, dummy = make(FakeSession(), access_token=STATIC, timeout=None)
    assert client.timeout == 30.0


@pytest.mark.parametrize('value,words,secret', [
    ('https://user:hunter2-pw@acme.eu.qlikcloud.com', 'must not contain a user name or password', 'hunter2-pw'),
    ('https://acme.eu.qlikcloud.com/?access_token=tok-in-query', 'must not have a query or fragment', 'tok-in-query'),
    ('https://acme.eu.qlikcloud.com/#access_token=tok-in-fragment', 'must not have a query or fragment',
     'tok-in-fragment'),
    ('https://acme.eu.qlikcloud.com/api', 'without a path', None),
    ('https://acme.eu.qlikcloud.com/hub/my/spaces', 'without a path', None),
    ('acme.eu.qlikcloud.com\n', None, None),
])
def test_urls_are_hosts_and_their_secrets_are_never_echoed(value, words, secret):
    if words is None:
        assert normalize_url(value) == 'https://acme.eu.qlikcloud.com'
        return
    with pytest.raises(ValueError) as info:
        normalize_url(value, 'tenant_url')
    assert str(info.value).startswith('tenant_url must')
    assert words in str(info.value)
    if secret:
        assert secret not in str(info.value)


def test_a_web_page_body_is_capped_in_the_message():
    page = '<html><body>' + 'maintenance ' * 2000 + '</body></html>'
    session = FakeSession((503, page))
    client, dummy = make(session, [], access_token=STATIC, retries=0)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/users/me')
    assert len(info.value.message) < 500
    assert 'HTTP 503' in info.value.message and 'acme.eu.qlikcloud.com' in info.value.message


def test_write_once_waits_for_an_answer_slower_than_the_timeout_before_resending():
    """The POST timed out: it may still be running on the server, so re-read for a while before re-sending."""
    now = [1000.0]
    timed_out = requests.exceptions.ReadTimeout('read timed out')
    session = FakeSession(timed_out)
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    client = QlikClient(dict(tenant_url='acme.eu.qlikcloud.com', access_token=STATIC, timeout=10.0, retries=3),
                        session=session, sleep=sleep, rand=lambda: 0.5, clock=lambda: now[0])
    seen = []

    def recheck():
        seen.append(now[0])
        return {'arn': 'a'} if now[0] >= 1006.0 else None  # the slow call applies 6 s after the timeout

    assert client.write_once(lambda: client.post('/api/v1/encryption/keyproviders', {'arn': 'a'}).json,
                             recheck) == {'arn': 'a'}
    assert session.sequence() == [('POST', 'api/v1/encryption/keyproviders')]
    assert len(seen) >= 3 and seen[-1] >= 1006.0


def test_idempotent_retry_after_a_lost_answer_is_flagged():
    dropped = requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))")
    session = FakeSession(dropped, (404, {'errors': [{'code': 'Encryption-4', 'title': 'No entry'}]}))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.delete('/api/v1/encryption/keyproviders/fp')
    assert info.value.status == 404 and info.value.earlier_attempt_may_have_applied is True


@pytest.mark.parametrize('script, expected', [
    ([(204, None)], True),  # deleted by this call
    ([(404, {'errors': [{'code': 'X-4', 'title': 'No entry'}]})], False),  # someone else deleted it
    ([requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected('closed'))"),
      (404, {'errors': [{'code': 'X-4', 'title': 'No entry'}]})], True),  # our first attempt applied
])
def test_remove_tells_our_deletion_from_someone_elses(script, expected):
    session = FakeSession(*script)
    client, dummy = make(session, [], access_token=STATIC)
    assert client.remove('/api/v1/api-keys/k1') is expected
    assert [c[0] for c in session.sequence()] == ['DELETE'] * len(script)


def test_remove_raises_other_errors():
    session = FakeSession((403, {'errors': [{'code': 'X-3', 'title': 'Forbidden'}]}))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.remove('/api/v1/api-keys/k1')
    assert info.value.status == 403


def test_trace_id_reaches_the_message_and_the_result():
    body = {'errors': [{'code': 'TENANTS-8', 'title': 'Not found', 'status': '404'}],
            'traceId': '000000000000000079cf1ebeae103de1'}
    session = FakeSession((400, body))
    client, dummy = make(session, [], access_token=STATIC)
    with pytest.raises(QlikAPIError) as info:
        client.get('/api/v1/tenants/x')
    assert 'trace id 000000000000000079cf1ebeae103de1' in info.value.message
    assert info.value.to_result()['trace_id'] == '000000000000000079cf1ebeae103de1'


def test_get_all_follows_the_cursor_parameter_the_api_names():
    """Qlik Automate pages with ``cursor`` (not ``next``): the value is taken from the link as the API gave it."""
    following = 'https://acme.eu.qlikcloud.com/api/workflows/automations?limit=100&cursor=YWZ0ZXI6YQ%3D%3D'
    session = FakeSession((200, dict(data=[{'id': 'a'}], links=dict(next=dict(href=following)))),
                          (200, dict(data=[{'id': 'b'}], links={})))
    client, dummy = make(session, access_token=STATIC)
    items = client.get_all('/api/workflows/automations', 'automations', cursor='cursor')
    assert items == [{'id': 'a'}, {'id': 'b'}]
    assert [c['params'] for c in session.calls] == [dict(limit=100), dict(limit=100, cursor='YWZ0ZXI6YQ==')]


def test_put_is_retried_like_every_idempotent_call():
    session = FakeSession((503, None), (200, {'id': 'x'}))
    client, dummy = make(session, access_token=STATIC)
    assert client.put('/api/workflows/automation-connections/x', dict(params=[])).json == {'id': 'x'}
    assert session.sequence() == [('PUT', 'api/workflows/automation-connections/x')] * 2
