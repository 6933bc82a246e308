"""The gateway in front of every emulated host: latency, rate limits, fault injection and the request log.

It wraps each host's WSGI application the way Qlik's edge does, and knows nothing of tenants or keys. Its
state (the log, the rate-limit windows, the fault counters) is its own, apart from the domain model, under
its own lock, which only its public methods take.
"""

from __future__ import annotations

import collections
import io
import json
import random
import socket
import threading
import time
from collections import namedtuple

from .errors import error_body

# What a request arrived on: kind is 'registration', 'console', 'tenant' or 'admin'; netloc is host:port.
HostInfo = namedtuple('HostInfo', 'kind netloc tenant_id region', defaults=(None,))
SECRET_KEYS = frozenset(('licenseKey', 'client_secret', 'access_token', 'password', 'clientSecret', 'qPassword',
                         'qConnectionSecret', 'emailPassword'))
REDACTED = '<redacted>'
REASONS = {200: 'OK', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
           503: 'Service Unavailable', 504: 'Gateway Timeout'}


class _Dropped(ConnectionError):
    """Raised to abandon a connection without answering (werkzeug treats it as a dropped client)."""


def _redact(value):
    if isinstance(value, dict):
        return {k: (REDACTED if k in SECRET_KEYS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _drop(environ):
    sock = environ.get('werkzeug.socket')
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise _Dropped('dropped by fault injection')


def _error_response(start_response, status, code, title, headers=()):
    body = json.dumps(error_body(status if status != 200 else 500, code, title)).encode()
    start_response('%d %s' % (status, REASONS.get(status, 'Error')),
                   [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))] + list(headers))
    return [body]


class RateLimiter:
    """Sliding windows per (host, tier)."""

    def __init__(self):
        self._hits = collections.defaultdict(collections.deque)

    def check(self, key, limit, window, now):
        """Record a hit; return None when allowed, else seconds until a slot frees."""
        hits = self._hits[key]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, int(hits[0] + window - now + 0.999))
        hits.append(now)
        return None


class Gateway:
    """What every host's calls pass through: ``wrap(app, info)`` gives the WSGI application of one host.

    ``log`` holds one entry per call (time, host, kind, method, path, query, status, fault, redacted body,
    seq); ``faults_injected`` counts the faults injected since the last ``reset_faults()``.
    """

    def __init__(self, config, clock):
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self.log = []
        self._seq = 0
        self.in_flight = 0  # calls being processed now
        self.faults_injected = 0
        self._fault_candidates = 0
        self._fault_random = random.Random(config.fault_seed)
        self._rate_limiter = RateLimiter()

    def wrap(self, app, info):
        """The WSGI application of the host ``info`` (a HostInfo): ``app`` behind this gateway."""
        return lambda environ, start_response: self._serve(app, info, environ, start_response)

    # ------------------------------------------------------------ the request log
    def record(self, entry):
        with self._lock:
            self._seq += 1
            entry['seq'] = self._seq
            self.log.append(entry)

    def entries(self, since=0):
        """A copy of the log's entries after ``seq`` ``since``."""
        with self._lock:
            return [e for e in self.log if e['seq'] > since]

    def last_seq(self):
        with self._lock:
            return self.log[-1]['seq'] if self.log else 0

    def clear(self):
        with self._lock:
            self.log.clear()

    def busy(self):
        """How many calls are being processed now."""
        with self._lock:
            return self.in_flight

    def migrations_started(self, netloc):
        """How many migrate / reset calls to the host ``netloc`` actually started a migration."""
        with self._lock:
            return sum(1 for e in self.log if e.get('host') == netloc and e['method'] == 'POST'
                       and ((e['path'].endswith('/actions/migrate') and e['status'] == 200)
                            or (e['path'].endswith('/reset-to-default-provider') and e['status'] == 205)))

    # ---------------------------------------------------------- limits and faults
    def rate_limit(self, host, method):
        """None when the call is within its tier's limit, else the seconds for Retry-After."""
        cfg = self.config
        if not cfg.rate_limits:
            return None
        tier, limit = ('tier1', cfg.tier1_per_minute) if method in ('GET', 'HEAD') else ('tier2', cfg.tier2_per_minute)
        with self._lock:
            return self._rate_limiter.check((host, tier), limit, cfg.rate_window, self.clock.monotonic())

    def pick_fault(self, method, path):
        """The fault to inject into this request, or None."""
        cfg = self.config
        if cfg.fault_rate <= 0 or not cfg.fault_kinds:
            return None
        if cfg.fault_methods and method not in cfg.fault_methods:
            return None
        if cfg.fault_paths and not any(path.startswith(prefix) for prefix in cfg.fault_paths):
            return None
        with self._lock:
            if self._fault_candidates < cfg.fault_after:
                self._fault_candidates += 1
                return None
            if cfg.fault_limit and self.faults_injected >= cfg.fault_limit:
                return None
            if self._fault_random.random() >= cfg.fault_rate:
                return None
            self.faults_injected += 1
            return self._fault_random.choice(list(cfg.fault_kinds))

    def reset_faults(self, settings):
        """Apply fault settings (``fault_*`` of EmulatorConfig) and restart the fault counters; a ``fault_seed``
        among them restarts the fault sequence from that seed (the same faults on every run)."""
        with self._lock:
            self.config.update(settings)
            if settings.get('fault_seed') is not None:
                self._fault_random = random.Random(settings['fault_seed'])
            self.faults_injected = 0
            self._fault_candidates = 0

    # ------------------------------------------------------------------- serving
    def _serve(self, app, info, environ, start_response):
        cfg = self.config
        environ['qlik.host'] = info
        method = environ['REQUEST_METHOD']
        path = environ.get('PATH_INFO', '')
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = -1
        if length < 0:
            # as a gateway answers a request it cannot read: Qlik's error body, never a web page
            return _error_response(start_response, 400, 'HTTP-400', 'Bad Request: Content-Length must be a number of bytes')
        raw = environ['wsgi.input'].read(length) if length > 0 else b''
        environ['wsgi.input'] = io.BytesIO(raw)
        entry = dict(time=self.clock.time(), host=info.netloc, kind=info.kind, method=method, path=path,
                     query=environ.get('QUERY_STRING', ''), status=None, fault=None, body=None)
        environ['qlik.log_entry'] = entry  # for routes that keep secrets of their bodies out of the log
        if raw and path != '/oauth/token':
            try:
                entry['body'] = _redact(json.loads(raw))
            except ValueError:
                entry['body'] = '<%d bytes, not JSON>' % len(raw)
        if cfg.fault_latency:
            time.sleep(cfg.fault_latency)  # real time: it is there to outlast a client's real timeout
        with self._lock:
            self.in_flight += 1
        try:
            # the token endpoint and static resources (product-info.json) count against no tier
            exempt = path == '/oauth/token' or path.startswith('/resources/')
            retry_after = None if exempt else self.rate_limit(info.netloc, method)
            if retry_after is not None:
                entry.update(status=429, fault='rate_limit')
                return _error_response(start_response, 429, 'HTTP-429', 'Too Many Requests',
                                       [('Retry-After', str(retry_after))])
            fault = self.pick_fault(method, path)
            entry['fault'] = fault
            if fault == 'drop':
                entry['status'] = 0
                self._record_and_drop(entry, environ)
            if fault == '429':
                entry['status'] = 429
                return _error_response(start_response, 429, 'HTTP-429', 'Too Many Requests', [('Retry-After', '1')])
            if fault in ('500', '502', '503', '504', '404'):
                entry['status'] = int(fault)
                return _error_response(start_response, int(fault), 'HTTP-%s' % fault, 'Injected fault')
            if fault == '200_errors':
                entry['status'] = 200
                return _error_response(start_response, 200, 'HTTP-500', 'Internal Server Error')
            if fault == '200_text':
                entry['status'] = 200
                page = ('<html><head><title>Service notice</title></head><body>' + 'maintenance ' * 400
                        + '</body></html>').encode()
                start_response('200 OK', [('Content-Type', 'text/html'), ('Content-Length', str(len(page)))])
                return [page]
            if fault == 'slow':
                time.sleep(cfg.fault_delay)  # real time, as fault_latency
            captured = {}

            def capture(status, headers, exc_info=None):
                captured['status'] = int(status.split()[0])
                return start_response(status, headers, exc_info)

            if fault == 'drop_after':
                result = app(environ, lambda status, headers, exc_info=None: captured.update(
                    status=int(status.split()[0])))
                b''.join(result)
                entry['status'] = captured.get('status')
                self._record_and_drop(entry, environ)
            result = app(environ, capture)
            body = b''.join(result)
            entry['status'] = captured.get('status')
            return [body]
        finally:
            with self._lock:
                self.in_flight -= 1
            if 'seq' not in entry:
                self.record(entry)

    def _record_and_drop(self, entry, environ):
        # logged first, so that a test that saw the connection drop also sees the entry
        self.record(entry)
        _drop(environ)
