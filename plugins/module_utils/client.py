# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client every qlikcloud.platform module uses.

Everything about talking to Qlik Cloud lives here: URL handling, the OAuth
client-credentials exchange, TLS verification, retries (429 with Retry-After,
500/502/503/504 and connection errors with exponential backoff and jitter), the
rule that a non-idempotent POST is never blindly re-sent, paging, and error
messages that name the call and Qlik's error codes but never a secret.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import ssl
import time
import traceback

from urllib.parse import urlsplit

from ansible.module_utils.common.parameters import env_fallback

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - exercised by the sanity import test
    requests = None
    HTTPAdapter = object
    REQUESTS_IMPORT_ERROR = traceback.format_exc()


class _SharedContextAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections share one SSLContext that already holds the CAs to trust.

    requests makes an SSLContext and loads a CA bundle into it for every connection, which costs far
    more CPU than the request itself (certifi's bundle: about 25 ms). Ansible runs every task in a
    fresh worker process forked from ansible-playbook, so the context for the default bundle is made
    once, when ansible-playbook imports the action plugins, and every worker inherits it.
    """

    def __init__(self, ssl_context):
        self._ssl_context = ssl_context
        super().__init__()

    def cert_verify(self, conn, url, verify, cert):
        # the shared context already trusts what it should: load nothing more into it
        conn.cert_reqs = 'CERT_REQUIRED'
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def init_poolmanager(self, *args, **kwargs):
        kwargs['ssl_context'] = self._ssl_context
        return super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        proxy_kwargs['ssl_context'] = self._ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)


_SSL_CONTEXTS = {}


def _ssl_context(ca_path, option='ca_path'):
    """The verifying SSLContext for ``ca_path`` (None: the bundle requests trusts by default, certifi's),
    made once per process. A file that is missing or holds no CA certificate is a ValueError naming ``option``
    and the file (a path is not a secret)."""
    if ca_path not in _SSL_CONTEXTS:
        bundle = ca_path or requests.utils.DEFAULT_CA_BUNDLE_PATH
        if not os.path.exists(bundle):
            raise ValueError('%s %s does not exist: give a PEM file of the CA certificates to trust' % (option, bundle))
        try:
            if os.path.isdir(bundle):
                _SSL_CONTEXTS[ca_path] = ssl.create_default_context(capath=bundle)
            else:
                _SSL_CONTEXTS[ca_path] = ssl.create_default_context(cafile=bundle)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ValueError('%s %s is not a readable PEM file of CA certificates (%s)' % (
                option, bundle, getattr(exc, 'reason', None) or type(exc).__name__))
    return _SSL_CONTEXTS[ca_path]


if requests is not None:
    _ssl_context(None)  # made before ansible-playbook forks its workers (see _SharedContextAdapter)

# answers after which an idempotent call is sent again (a non-idempotent one is reported as "may have applied")
RETRIED_STATUS = frozenset((500, 502, 503, 504))
MAX_RETRY_AFTER = 60.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0
REDACTED = '********'
# the most pages a list is read in (100 items a page): a console that keeps answering a next link stops here
MAX_PAGES = 10000


def credentials_argument_spec():
    """Credentials, TLS, timeout and retry options of every module (doc fragment ``qlikcloud.platform.connection``)."""
    return dict(
        access_token=dict(type='str', no_log=True, fallback=(env_fallback, ['QLIK_ACCESS_TOKEN'])),
        client_id=dict(type='str', fallback=(env_fallback, ['QLIK_CLIENT_ID'])),
        client_secret=dict(type='str', no_log=True, fallback=(env_fallback, ['QLIK_CLIENT_SECRET'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['QLIK_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['QLIK_CA_PATH'])),
        timeout=dict(type='float', default=30.0, fallback=(env_fallback, ['QLIK_TIMEOUT'])),
        retries=dict(type='int', default=5, fallback=(env_fallback, ['QLIK_RETRIES'])),
    )


def tenant_argument_spec():
    """The credentials options and ``tenant_url``: modules that talk to one tenant (doc fragments
    ``qlikcloud.platform.connection`` and ``qlikcloud.platform.connection.tenant_url``)."""
    return dict(credentials_argument_spec(), tenant_url=dict(type='str', fallback=(env_fallback, ['QLIK_TENANT_URL'])))


def _shown_url(parts):
    """A URL for messages: scheme, host, port and path, never a user name, password, query or fragment."""
    host = parts.hostname or ''
    try:
        port = parts.port
    except ValueError:
        port = None
    return '%s://%s%s%s' % (parts.scheme, host, ':%d' % port if port else '', parts.path)


def normalize_url(value, option='tenant_url'):
    """Return ``https://host[:port]`` for a URL or a bare host name.

    Raises ValueError with a message naming ``option`` when the value cannot be a Qlik host. A
    message never repeats the parts of the value that can hold a secret (user:password@, query,
    fragment), and a path is refused: Qlik's APIs live at the root of each host.
    """
    if value is not None and not isinstance(value, str):
        raise ValueError('%s must be a string, got %s' % (option, type(value).__name__))
    text = (value or '').strip()
    if not text:
        raise ValueError('%s is required (or set it through the environment)' % option)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError('%s must not contain spaces or control characters' % option)
    if '://' not in text:
        text = 'https://' + text
    parts = urlsplit(text)
    if '@' in parts.netloc:
        raise ValueError('%s must not contain a user name or password (user:password@host); give credentials as '
                         'client_id/client_secret or access_token' % option)
    if parts.query or parts.fragment or text.endswith(('?', '#')):
        raise ValueError('%s must not have a query or fragment (?... or #...); give credentials as '
                         'client_id/client_secret or access_token, got %s' % (option, _shown_url(parts)))
    if parts.scheme != 'https':
        raise ValueError('%s must use https, got %s' % (option, _shown_url(parts)))
    if not parts.hostname:
        raise ValueError('%s is not a valid URL or host name: %s' % (option, _shown_url(parts)))
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ValueError('%s has an invalid port on host %s: a port is a number from 1 to 65535 (the value is not '
                         'shown)' % (option, parts.hostname))
    if parts.path.strip('/'):
        raise ValueError('%s must be a host name or https://host[:port] without a path (Qlik\'s APIs are at the '
                         'root of each host), got %s' % (option, _shown_url(parts)))
    return 'https://%s' % parts.netloc.lower()


def check_credential(value, option):
    """Refuse a credential that cannot be sent in a header, naming ``option`` but never showing the value."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError('%s must be a string' % option)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError('%s contains whitespace or a control character (a line break from a file or vault?); '
                         'the value is not shown' % option)
    return value


class QlikAPIError(Exception):
    """A failed call to Qlik Cloud, with what a user needs to act on it.

    ``status`` is the HTTP status (None for transport failures), ``errors`` is Qlik's ``errors``
    list and ``trace_id`` its ``traceId`` (what Qlik support asks for). ``may_have_applied`` is True
    when a non-idempotent request may have reached the server although no answer came back, and
    ``in_flight`` when it may still be running there (no answer within the timeout, or a 504 from a
    gateway that gave up waiting).
    ``earlier_attempt_may_have_applied`` is True when this answer came to a retry of an idempotent
    call whose earlier attempt may have been applied (so a 404 on a DELETE may be our own doing).
    """

    def __init__(self, message, status=None, method=None, path=None, errors=None,
                 may_have_applied=False, body=None, trace_id=None, in_flight=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.errors = errors or []
        self.may_have_applied = may_have_applied
        self.in_flight = in_flight
        self.earlier_attempt_may_have_applied = False
        self.body = body
        self.trace_id = trace_id

    def codes(self):
        return [e.get('code') for e in self.errors if isinstance(e, dict)]

    def not_found(self, path):
        """True for a 404 answer to a call of ``path`` itself (not, say, to the token exchange before it)."""
        return self.status == 404 and self.path == path

    def to_result(self):
        """Keyword arguments for ``module.fail_json``."""
        result = dict(msg=self.message)
        if self.status is not None:
            result['status'] = self.status
        if self.method:
            result['request'] = dict(method=self.method, path=self.path)
        if self.errors:
            result['errors'] = self.errors
        if self.trace_id:
            result['trace_id'] = self.trace_id
        return result


class Response:
    """A decoded answer: ``status``, ``json`` (parsed body, the text when it is not JSON, or None),
    ``headers``, and ``uncertain`` when an earlier attempt of this idempotent call may have applied."""

    def __init__(self, status, body, headers, uncertain=False):
        self.status = status
        self.json = body
        self.headers = headers
        self.uncertain = uncertain

    @property
    def is_text(self):
        """True when the body was not JSON (a web page from a proxy, say)."""
        return isinstance(self.json, str)


def _parse_body(raw):
    if raw is None:
        return None
    try:
        text = raw.text
    except Exception:  # pylint: disable=broad-except
        return None
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _qlik_errors(body):
    """Qlik's ``errors[]`` list from an error body, tolerating OAuth-style bodies."""
    if isinstance(body, dict):
        errors = body.get('errors')
        if isinstance(errors, list):
            return [e for e in errors if isinstance(e, dict)]
        if 'error' in body:
            return [dict(code=str(body.get('error')), title=str(body.get('error_description') or body.get('error')))]
        if 'message' in body:
            return [dict(code='', title=str(body['message']))]
    return []


def describe_errors(errors):
    parts = []
    for error in errors:
        code = error.get('code') or ''
        title = error.get('title') or ''
        detail = error.get('detail') or ''
        text = ('[%s] ' % code if code else '') + title
        if detail and detail != title:
            text += (': ' if title else '') + detail
        if text.strip():
            parts.append(text.strip())
    return '; '.join(parts)


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# requests exceptions raised before anything is sent: retrying cannot help, and their text can
# hold a header value (a token), so it is never shown
_LOCAL_ERRORS = ('InvalidHeader', 'InvalidURL', 'MissingSchema', 'InvalidSchema', 'URLRequired',
                 'InvalidJSONError', 'InvalidProxyURL')


def _transport_failure(exc):
    """Classify an exception raised while sending: (kind, plain words).

    kinds: 'local' (refused before sending), 'dns', 'tls', 'proxy' (the proxy refused: 407 and the like),
    'connect' (nothing left this host: safe to retry), 'timeout' (sent, no answer within the timeout: it may
    still be running on the server), 'sent' (sent, connection lost: it may have applied).
    The words never quote the exception's text where it can hold a header, a URL with credentials or a body.
    """
    if requests is None or not isinstance(exc, requests.exceptions.RequestException):
        return 'local', 'the request could not be sent (%s)' % type(exc).__name__
    if type(exc).__name__ in _LOCAL_ERRORS:
        return 'local', 'the request could not be sent: a header or the URL is invalid (%s)' % type(exc).__name__
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        reason = re.search(r'(certificate verify failed[^\'"()]*|wrong version number|unknown protocol|'
                           r'handshake failure|hostname mismatch[^\'"()]*)', text, re.I)
        return 'tls', 'TLS verification failed (is the certificate trusted? see validate_certs and ca_path)%s' % (
            ': ' + reason.group(1).strip() if reason else '')
    if isinstance(exc, requests.exceptions.ProxyError):
        answer = re.search(r'\b([45]\d\d) ([A-Za-z][A-Za-z ]{2,40}[a-z])', text)
        if answer:
            return 'proxy', 'the proxy answered %s %s (check HTTPS_PROXY and the proxy\'s credentials)' % (
                answer.group(1), answer.group(2))
        return 'connect', 'the proxy could not be reached (check HTTPS_PROXY)'
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'connect', 'timed out while connecting'
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return 'timeout', 'no answer within the timeout'
    if isinstance(exc, requests.exceptions.ConnectionError):
        lowered = text.lower()
        if 'name or service not known' in lowered or 'nodename nor servname' in lowered \
                or 'name resolution' in lowered or 'getaddrinfo failed' in lowered \
                or 'no address associated' in lowered:
            return 'dns', 'the host name could not be resolved (DNS)'
        if 'newconnectionerror' in lowered or 'connection refused' in lowered \
                or 'failed to establish a new connection' in lowered:
            return 'connect', 'the connection was refused or could not be established'
        return 'sent', 'the connection was dropped before an answer arrived'
    return 'sent', 'the answer could not be read (%s)' % type(exc).__name__


def _short(text, limit=300):
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit] + '...'


def describe_text_body(response):
    """A short description of a body that is not JSON: its type, size and first words."""
    text = response.json if isinstance(response.json, str) else ''
    kind = ((response.headers or {}).get('Content-Type') or 'unknown type').split(';')[0]
    return '%s, %d bytes: %r' % (kind, len(text), _short(text, 120))


class QlikClient:
    """HTTP client for one Qlik Cloud host (a tenant, the registration host or the console).

    ``params`` is a dict with the connection options (a task's parameters); ``url_option`` names the
    one that holds the host. ``mask(value)`` is called with every secret the client obtains
    (tokens) so that the task masks it in its output. ``session``, ``sleep``, ``rand`` and
    ``clock`` can be replaced in unit tests.
    """

    def __init__(self, params, url_option='tenant_url', session=None, sleep=time.sleep, rand=random.random,
                 clock=time.time, mask=None):
        self.url_option = url_option
        self.base_url = normalize_url(params.get(url_option), url_option)
        self.host = urlsplit(self.base_url).netloc
        self.access_token = check_credential(params.get('access_token'), 'access_token')
        self.client_id = check_credential(params.get('client_id'), 'client_id')
        self.client_secret = check_credential(params.get('client_secret'), 'client_secret')
        timeout = params.get('timeout')
        self.timeout = 30.0 if timeout is None else timeout
        self.retries = params.get('retries')
        if self.retries is None:
            self.retries = 5
        if self.timeout <= 0:
            raise ValueError('timeout must be a positive number of seconds, got %r' % timeout)
        if self.retries < 0:
            raise ValueError('retries must be 0 or more, got %r' % params.get('retries'))
        ca_path = params.get('ca_path')
        # what to trust: ca_path, else (as requests does) REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else the
        # system's store; validate_certs=false trusts anything
        if not params.get('validate_certs', True):
            self.verify, trust_option = False, None
        else:
            trust_option, self.verify = next(
                ((name, value) for name, value in (('ca_path', ca_path),
                                                   ('REQUESTS_CA_BUNDLE', os.environ.get('REQUESTS_CA_BUNDLE')),
                                                   ('CURL_CA_BUNDLE', os.environ.get('CURL_CA_BUNDLE'))) if value),
                (None, True))
        if not self.access_token and not (self.client_id and self.client_secret):
            raise ValueError('no credentials: set access_token (QLIK_ACCESS_TOKEN) or client_id and '
                             'client_secret (QLIK_CLIENT_ID / QLIK_CLIENT_SECRET)')
        if session is None:
            session = requests.Session()
            # The environment is read once here, not on every request (requests scans all of it twice a
            # call): the proxy for this host and, above, the CA bundle.
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(self.base_url)
            if self.verify is not False:
                session.mount('https://', _SharedContextAdapter(
                    _ssl_context(None if self.verify is True else self.verify, trust_option)))
        self.session = session
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self._mask = mask
        self._token_exchanged = False
        self.token_expires_at = None
        self.requests_made = 0
        self._secrets = set(s for s in (self.access_token, self.client_secret) if s)

    # ------------------------------------------------------------------ secrets
    # Three mechanisms keep secrets out of sight: the client *redacts* them from its own errors; the task
    # *masks* them wherever they would appear in its output (``mask``, the task's callback); and a task that
    # returns a secret on purpose *censors* what Ansible shows of its result (``Task.censor``).
    def redact(self, value, mask=True):
        """Redact ``value`` from this client's errors from now on and, with ``mask``, have the task mask it in its
        output. A secret the task returns on purpose (a new client secret, an API key) is redacted, not masked:
        the task censors its result instead."""
        if value:
            self._secrets.add(value)
            if mask and self._mask is not None:
                self._mask(value)

    def redacted(self, text):
        """``text`` with every secret this client knows replaced."""
        if not isinstance(text, str):
            return text
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret and secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _redacted_obj(self, obj):
        if isinstance(obj, dict):
            return dict((k, self._redacted_obj(v)) for k, v in obj.items())
        if isinstance(obj, list):
            return [self._redacted_obj(v) for v in obj]
        return self.redacted(obj)

    # -------------------------------------------------------------------- auth
    def exchange_token(self):
        """Exchange client_id/client_secret for an access token at ``<host>/oauth/token``."""
        body = dict(client_id=self.client_id, client_secret=self.client_secret, grant_type='client_credentials')
        response = self._send('POST', '/oauth/token', body, idempotent=True, auth=False)
        if response.status != 200:
            raise self._error('POST', '/oauth/token', response)
        data = response.json if isinstance(response.json, dict) else {}
        token = data.get('access_token')
        if not token:
            raise QlikAPIError('POST /oauth/token on %s answered %s without an access_token%s' % (
                self.host, response.status, ' (%s)' % describe_text_body(response) if response.is_text else ''),
                status=response.status, method='POST', path='/oauth/token')
        self.redact(token)
        self.access_token = token
        self._token_exchanged = True
        self.token_expires_at = data.get('expires_at')
        if not self.token_expires_at and data.get('expires_in'):
            expires = self._clock() + float(data['expires_in'])
            self.token_expires_at = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expires))
        return dict(access_token=token, expires_at=self.token_expires_at,
                    expires_in=data.get('expires_in'), token_type=data.get('token_type', 'bearer'))

    def _authorization(self):
        if not self.access_token:
            self.exchange_token()
        return 'Bearer %s' % self.access_token

    # ----------------------------------------------------------------- requests
    def get(self, path, params=None, ok=(200,)):
        return self.request('GET', path, params=params, ok=ok)

    def get_record(self, path, what, params=None):
        """The JSON object at ``path``, or None when that call answers 404; a body that is not an object is an error
        naming ``what`` was expected."""
        try:
            response = self.get(path, params=params)
        except QlikAPIError as exc:
            if exc.not_found(path):
                return None
            raise
        record = self.json(response, 'GET', path, what)
        if not isinstance(record, dict):
            raise QlikAPIError('GET %s on %s answered with something that is not %s' % (path, self.host, what),
                               status=response.status, method='GET', path=path)
        return record

    def post(self, path, body=None, ok=(200, 201), idempotent=False, headers=None):
        return self.request('POST', path, body=body, ok=ok, idempotent=idempotent, headers=headers)

    def patch(self, path, body, ok=(200, 204)):
        return self.request('PATCH', path, body=body, ok=ok, idempotent=True)

    def put(self, path, body, ok=(200, 204), headers=None):
        """PUT ``body`` (a whole replacement): idempotent, so sent again after a lost answer or a 5xx."""
        return self.request('PUT', path, body=body, ok=ok, idempotent=True, headers=headers)

    def delete(self, path, ok=(200, 204)):
        return self.request('DELETE', path, ok=ok, idempotent=True)

    def remove(self, path):
        """DELETE ``path``: True when it is gone because of this call, False when someone else deleted it first.

        A 404 to our only attempt means "already gone"; a 404 to a retry whose earlier attempt may have
        applied is our own deletion (its answer was lost), so the run reports the change it made.
        """
        try:
            self.delete(path)
        except QlikAPIError as exc:
            if exc.not_found(path):
                return exc.earlier_attempt_may_have_applied
            raise
        return True

    def request(self, method, path, body=None, params=None, ok=(200,), idempotent=None, headers=None):
        """Send one API call and return a Response whose status is in ``ok``.

        Any other status raises QlikAPIError. A 401 to a token this client exchanged (it expired mid-run)
        leads to one fresh exchange and one retry; a handed ``access_token`` that is refused is an error.
        ``idempotent`` defaults to True for every method but POST.
        """
        if idempotent is None:
            idempotent = method != 'POST'
        response = self._send(method, path, body, params=params, idempotent=idempotent, headers=headers)
        if response.status == 401 and self._token_exchanged and self.client_id and self.client_secret:
            # a token this client exchanged expired (tokens live 6 hours): exchange the credentials again. A handed
            # access_token that is refused is never replaced by client credentials (perhaps from QLIK_CLIENT_ID /
            # QLIK_CLIENT_SECRET): the caller's identity would change without a word
            self.access_token = None
            self.exchange_token()
            response = self._send(method, path, body, params=params, idempotent=idempotent, headers=headers)
        if response.status not in ok:
            error = self._error(method, path, response)
            error.earlier_attempt_may_have_applied = response.uncertain
            raise error
        return response

    def json(self, response, method, path, what):
        """The JSON body of an answer that must have one; a body that is not JSON is an error that says so."""
        if response.is_text:
            raise QlikAPIError('%s %s on %s answered %s with a body that is not JSON where %s was expected (%s)' % (
                method, path, self.host, response.status, what, describe_text_body(response)),
                status=response.status, method=method, path=path)
        return response.json

    def get_all(self, path, what, params=None, page_size=100):
        """Every item of a paged list (``{"data": [...], "links": {"next": {"href": ...}}}``), ``page_size`` a page.

        The next page is the ``links.next.href`` the API gave, followed as it is (whatever its cursor is called:
        ``next`` on the OAuth clients and Organization APIs, ``startingAfter`` on the API keys API), on this host
        and path only, so that a token never goes anywhere else. An answer that is not such a page is an error,
        never an empty list; a link seen before, or more than MAX_PAGES pages, stops with an error instead of
        looping for ever.
        """
        target, query = path, dict(params or {}, limit=page_size)
        items, seen = [], set()
        for dummy in range(MAX_PAGES):
            response = self.get(target, params=query)
            body = self.json(response, 'GET', path, what)
            if not isinstance(body, dict) or not isinstance(body.get('data'), list):
                raise QlikAPIError('GET %s on %s answered with something that is not a list of %s' % (
                    path, self.host, what), status=response.status, method='GET', path=path)
            items.extend(body['data'])
            following = ((body.get('links') or {}).get('next') or {}).get('href')
            if not following or not body['data']:
                return items
            target, query = self._next_page(path, following, what), None
            if target in seen:
                raise QlikAPIError('GET %s on %s: the list of %s gave the same next page twice (%s); stopped instead of '
                                   'reading it for ever' % (path, self.host, what, _short(target, 200)),
                                   method='GET', path=path)
            seen.add(target)
        raise QlikAPIError('GET %s on %s: the list of %s has more than %d pages; stopped (a paging loop?)' % (
            path, self.host, what, MAX_PAGES), method='GET', path=path)

    def _next_page(self, path, href, what):
        """``path?query`` of a ``links.next.href``; a link to another host or path is refused, not followed."""
        parts = urlsplit(href)
        if (parts.netloc and parts.netloc.lower() != self.host) or (parts.scheme and parts.scheme != 'https') \
                or parts.path.rstrip('/') != path.rstrip('/'):
            raise QlikAPIError('GET %s on %s: the next page of %s is on %s, not on this host and path; it was not '
                               'followed' % (path, self.host, what, _shown_url(parts)), method='GET', path=path)
        return parts.path + ('?' + parts.query if parts.query else '')

    def write_once(self, write, recheck, what='the object'):
        """Run a non-idempotent ``write()`` (a POST) and never send it again blindly.

        When the write may have applied without an answer, ``recheck()`` reads state and returns the applied
        result, or None when it finds nothing. What happens then depends on the answer:

        * an error answer (500, 502, 503) or a connection lost after sending: the server is done with the call;
          one re-check, and when it finds nothing the write is sent again (within ``retries``);
        * no answer within the timeout, or a 504 from a gateway that gave up waiting: the call may still be
          running on the server and be applied late. The state is re-read for a while (as long as the timeout
          again, 2 to 120 s); when it still finds nothing, the write is NOT sent again: QlikAPIError says that
          ``what`` may still appear, and a re-run finds it.
        """
        attempt = 0
        while True:
            try:
                return write()
            except QlikAPIError as exc:
                if not exc.may_have_applied:
                    raise
                found = recheck()
                if found is None and exc.in_flight:
                    deadline = self._clock() + min(max(self.timeout, 2.0), 120.0)
                    delay = 0.5
                    while found is None and self._clock() < deadline:
                        self._sleep(min(delay, max(deadline - self._clock(), 0.0)))
                        delay = min(delay * 2, 10.0)
                        found = recheck()
                if found is not None:
                    return found
                if exc.in_flight:
                    exc.message += ('; %s may still be created by this call, which Qlik may apply late: it was not sent '
                                    'again (a re-run finds it)' % what)
                    raise exc
                if attempt >= self.retries:
                    raise
                self._sleep(self._backoff(attempt))
                attempt += 1

    def _backoff(self, attempt):
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
        return delay * (0.5 + self._rand() / 2.0)

    def _send(self, method, path, body=None, params=None, idempotent=True, auth=True, headers=None):
        url = self.base_url + path
        attempt = 0
        uncertain = False  # an earlier attempt of this call may have been applied
        while True:
            request_headers = {'Accept': 'application/json'}
            if headers:
                request_headers.update(headers)
            if body is not None:
                request_headers['Content-Type'] = 'application/json'
            if auth:
                request_headers['Authorization'] = self._authorization()
            self.requests_made += 1
            try:
                raw = self.session.request(
                    method, url, headers=request_headers, params=params,
                    data=None if body is None else json.dumps(body),
                    timeout=self.timeout, verify=self.verify is not False, allow_redirects=False)
            except Exception as exc:  # pylint: disable=broad-except
                kind, words = _transport_failure(exc)
                retryable = kind == 'connect' or (kind in ('timeout', 'sent') and idempotent)
                if retryable and attempt < self.retries:
                    uncertain = uncertain or kind in ('timeout', 'sent')
                    self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise QlikAPIError(
                    self.redacted('%s %s on %s failed: %s%s' % (
                        method, path, self.host, words,
                        ' (after %d attempts)' % (attempt + 1) if attempt else '')),
                    method=method, path=path,
                    may_have_applied=kind in ('timeout', 'sent') and not idempotent,
                    in_flight=kind == 'timeout' and not idempotent)
            status = raw.status_code
            if status == 429 and attempt < self.retries:
                wait = parse_retry_after(raw.headers.get('Retry-After'), self._clock())
                if wait is None:
                    wait = self._backoff(attempt)
                # a little jitter on top so that parallel forks do not return in lockstep
                self._sleep(wait + self._rand() * 0.25)
                attempt += 1
                continue
            if status in RETRIED_STATUS:
                if idempotent and attempt < self.retries:
                    uncertain = True
                    self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                if not idempotent:
                    error = self._error(method, path, Response(status, _parse_body(raw), raw.headers))
                    error.may_have_applied = True
                    error.in_flight = status == 504  # a gateway gave up waiting: the call may still be running
                    raise error
            return Response(status, _parse_body(raw), raw.headers, uncertain)

    def _error(self, method, path, response):
        errors = self._redacted_obj(_qlik_errors(response.json))
        described = describe_errors(errors)
        trace_id = response.json.get('traceId') if isinstance(response.json, dict) else None
        if response.status == 401:
            if path == '/oauth/token':
                lead = 'the client credentials (client_id/client_secret) were rejected by %s' % self.host
            elif self._token_exchanged:
                lead = 'the credentials were rejected by %s (a fresh token was also refused)' % self.host
            else:
                lead = ('the access token was rejected by %s: it may be invalid, expired (tokens live 6 hours) '
                        'or issued for another host' % self.host)
                if self.client_id and self.client_secret:
                    lead += ('; client_id/client_secret are set too (perhaps from QLIK_CLIENT_ID/QLIK_CLIENT_SECRET) '
                             'but are not used in place of a given access_token: give one or the other')
            message = '%s %s failed with HTTP 401: %s' % (method, path, lead)
        elif response.status == 429:
            message = '%s %s on %s failed with HTTP 429: rate limit still exceeded after %d retries' % (
                method, path, self.host, self.retries)
        elif response.status == 403 and 'TENANT-DISABLED' in [e.get('code') for e in errors]:
            message = ('the tenant at %s is deactivated; qlik_tenant with state=present reactivates it (%s %s '
                       'answered HTTP 403)' % (self.host, method, path))
        elif response.status in (404, 405) and path == '/oauth/token':
            message = ('POST /oauth/token on %s failed with HTTP %s: this host has no OAuth token endpoint; is %s '
                       'the right Qlik Cloud host?' % (self.host, response.status, self.url_option))
        else:
            message = '%s %s on %s failed with HTTP %s' % (method, path, self.host, response.status)
        if described:
            message += ' - ' + described
        elif response.is_text and response.json.strip():
            message += ' (%s)' % describe_text_body(response)
        if trace_id:
            message += ' (trace id %s)' % trace_id
        return QlikAPIError(self.redacted(message), status=response.status, method=method, path=path,
                            errors=errors, body=self._redacted_obj(response.json), trace_id=trace_id)
