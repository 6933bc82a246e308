"""HTTPS listeners of the Qlik Cloud emulator.

Every emulated host (the region's registration host, the console, each tenant)
is its own HTTPS listener on loopback, so each has a distinct ``host:port``
that real clients reach with no emulator-only code path. A throwaway CA made
by ``trustme`` signs one certificate for 127.0.0.1/localhost; its PEM file is
what clients pass as ``ca_path``.

Faults, rate limits, latency and the request log are applied here, around the
Flask application, the way a gateway would.
"""

from __future__ import annotations

import io
import json
import os
import selectors
import socket
import ssl
import tempfile
import threading
import time
from collections import namedtuple

import trustme
from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from . import automations
from .app import create_app
from .model import EmulatorConfig, Model, error_body

HostInfo = namedtuple('HostInfo', 'kind netloc tenant_id')
SECRET_KEYS = frozenset(('licenseKey', 'client_secret', 'access_token', 'password', 'clientSecret'))
REDACTED = '<redacted>'


class _Dropped(ConnectionError):
    """Raised to abandon a connection without answering (werkzeug treats it as a dropped client)."""


class _QuietHandler(WSGIRequestHandler):
    # werkzeug closes every connection after one answer (it drains the socket after each request, which
    # would eat the next request line of a kept-alive connection), so every call pays a TLS handshake
    # that Qlik Cloud, which keeps connections alive, does not charge: client costs measured here are high.

    def log_request(self, *args, **kwargs):
        if getattr(self.server, 'verbose', False):
            super().log_request(*args, **kwargs)

    def log_error(self, *args, **kwargs):
        if getattr(self.server, 'verbose', False):
            super().log_error(*args, **kwargs)


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
    reasons = {200: 'OK', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
               503: 'Service Unavailable', 504: 'Gateway Timeout'}
    body = json.dumps(error_body(status if status != 200 else 500, code, title)).encode()
    start_response('%d %s' % (status, reasons.get(status, 'Error')),
                   [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))] + list(headers))
    return [body]


class _Gateway:
    """WSGI wrapper for one host: latency, rate limits, faults and the request log."""

    def __init__(self, model, app, info):
        self.model = model
        self.app = app
        self.info = info

    def __call__(self, environ, start_response):
        model, cfg = self.model, self.model.config
        environ['qlik.host'] = self.info
        method = environ['REQUEST_METHOD']
        path = environ.get('PATH_INFO', '')
        length = int(environ.get('CONTENT_LENGTH') or 0)
        raw = environ['wsgi.input'].read(length) if length > 0 else b''
        environ['wsgi.input'] = io.BytesIO(raw)
        entry = dict(time=time.time(), host=self.info.netloc, kind=self.info.kind, method=method, path=path,
                     query=environ.get('QUERY_STRING', ''), status=None, fault=None, body=None)
        environ['qlik.log_entry'] = entry  # for routes that keep secrets of their bodies out of the log
        if raw and path != '/oauth/token':
            try:
                entry['body'] = _redact(json.loads(raw))
            except ValueError:
                entry['body'] = '<%d bytes, not JSON>' % len(raw)
        if cfg.fault_latency:
            time.sleep(cfg.fault_latency)
        with model.lock:
            model.in_flight += 1
        try:
            retry_after = None if path == '/oauth/token' else model.rate_limit(self.info.netloc, method)
            if retry_after is not None:
                entry.update(status=429, fault='rate_limit')
                return _error_response(start_response, 429, 'HTTP-429', 'Too Many Requests',
                                       [('Retry-After', str(retry_after))])
            fault = model.pick_fault(method, path)
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
                time.sleep(cfg.fault_delay)
            captured = {}

            def capture(status, headers, exc_info=None):
                captured['status'] = int(status.split()[0])
                return start_response(status, headers, exc_info)

            if fault == 'drop_after':
                result = self.app(environ, lambda status, headers, exc_info=None: captured.update(
                    status=int(status.split()[0])))
                b''.join(result)
                entry['status'] = captured.get('status')
                self._record_and_drop(entry, environ)
            result = self.app(environ, capture)
            body = b''.join(result)
            entry['status'] = captured.get('status')
            return [body]
        finally:
            with model.lock:
                model.in_flight -= 1
            if 'seq' not in entry:
                model.record(entry)

    def _record_and_drop(self, entry, environ):
        # logged first, so that a test that saw the connection drop also sees the entry
        self.model.record(entry)
        _drop(environ)


def _tls_first(finish_request, context):
    """``finish_request`` that first makes the accepted connection TLS (in the connection's own thread)."""

    def wrapped(request, client_address):
        try:
            connection = context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # the client went away or did not speak TLS
        try:
            finish_request(connection, client_address)
        finally:
            connection.close()
    return wrapped


class _Acceptor(threading.Thread):
    """One thread that accepts connections for every listener (a region can hold a thousand tenant hosts);
    each connection is then served in a thread of its own (werkzeug's threaded server)."""

    def __init__(self):
        super().__init__(name='qlik-emulator-acceptor', daemon=True)
        self._selector = selectors.DefaultSelector()
        self._stopping = threading.Event()

    def add(self, server):
        self._selector.register(server.socket, selectors.EVENT_READ, server)

    def run(self):
        while not self._stopping.is_set():
            for key, dummy in self._selector.select(timeout=0.2):
                if not self._stopping.is_set():
                    key.data._handle_request_noblock()  # pylint: disable=protected-access

    def stop(self):
        self._stopping.set()
        if self.is_alive():
            self.join()
        self._selector.close()


class Emulator:
    """A running emulated Qlik Cloud region: registration host, console, tenants, admin API.

    >>> emulator = Emulator(EmulatorConfig(migration_seconds=1)).start()
    >>> emulator.registration_url, emulator.source_tenant_url, emulator.ca_path
    >>> emulator.stop()
    """

    def __init__(self, config=None, bind='127.0.0.1', ca=None, workdir=None, verbose=False,
                 registration_port=0):
        self.config = config or EmulatorConfig()
        self.model = Model(self.config)
        self.model.spawn_tenant_host = self._spawn_tenant_host
        self.bind = bind
        self.verbose = verbose
        self.registration_port = registration_port
        self.ca = ca or trustme.CA()
        self._cert = self.ca.issue_cert('127.0.0.1', 'localhost', '::1')
        self.workdir = workdir or tempfile.mkdtemp(prefix='qlik-emulator-')
        self.ca_path = os.path.join(self.workdir, 'emulator-ca.pem')
        self.ca.cert_pem.write_to_path(self.ca_path)
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(self._ssl)
        self._app = create_app(self.model)
        self._servers = []
        self._acceptor = _Acceptor()
        self._lock = threading.Lock()
        self.registration_url = self.console_url = self.admin_url = None
        self.seed_tenants = []

    # ---------------------------------------------------------------- hosts
    def _listen(self, kind, tenant_id=None, port=0, app=None):
        # a plain listening socket: the TLS handshake happens in each connection's own thread (see
        # _Acceptor), so that one slow client cannot hold up the others
        server = make_server(self.bind, port, None, threaded=True, request_handler=_QuietHandler)
        server.ssl_context = self._ssl  # what werkzeug reads to say https in the WSGI environ
        server.finish_request = _tls_first(server.finish_request, self._ssl)
        server.verbose = self.verbose
        netloc = '%s:%d' % (self.bind, server.server_port)
        info = HostInfo(kind, netloc, tenant_id)
        server.app = app if app is not None else _Gateway(self.model, self._app, info)
        with self._lock:
            self._servers.append(server)
        self._acceptor.add(server)
        return netloc

    def _spawn_tenant_host(self, tenant_id):
        return self._listen('tenant', tenant_id)

    def start(self):
        self._acceptor.start()
        self.registration_url = 'https://' + self._listen('registration', port=self.registration_port)
        self.console_url = 'https://' + self._listen('console')
        self.admin_url = 'https://' + self._listen('admin', app=self._admin_app())
        for dummy in range(self.config.seed_tenants):
            self.seed_tenants.append(self.add_tenant())
        return self

    def stop(self):
        self._acceptor.stop()
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -------------------------------------------------------------- helpers
    def add_tenant(self, name=None, datacenter=None, migration_seconds=None):
        """Create a tenant directly (no API call, nothing logged), as if made earlier."""
        tenant = self.model.create_tenant(self.config.license_key, datacenter, name)
        tenant.migration_seconds = migration_seconds
        return tenant

    def faults(self, **settings):
        """Set fault-injection settings (``fault_*`` of EmulatorConfig) and restart their counters.

        ``emulator.faults()`` turns faults off again.
        """
        values = dict(fault_rate=1.0 if settings else 0.0, fault_kinds=('500',), fault_methods=(), fault_paths=(),
                      fault_limit=0, fault_after=0)
        values.update(settings)
        with self.model.lock:
            self.config.update(values)
            self.model.faults_injected = 0
            self.model._fault_candidates = 0  # pylint: disable=protected-access
        return self

    @staticmethod
    def url(tenant):
        return 'https://' + tenant.hostnames[0]

    @property
    def source_tenant(self):
        return self.seed_tenants[0] if self.seed_tenants else None

    @property
    def source_tenant_url(self):
        return self.url(self.source_tenant) if self.source_tenant else None

    def requests(self, host=None, writes=False, since=0):
        """Entries of the request log, optionally for one host URL/netloc and only writes."""
        if host is not None:
            host = host.split('://', 1)[-1].rstrip('/')
        with self.model.lock:
            entries = list(self.model.log)
        return [e for e in entries
                if e['seq'] > since and (host is None or e['host'] == host)
                and (not writes or e['method'] not in ('GET', 'HEAD') and e['path'] != '/oauth/token')]

    def wait_idle(self, timeout=30.0):
        """Wait until no call is being processed (a slow call may outlive the client that sent it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.model.lock:
                if self.model.in_flight <= 0:
                    return True
            time.sleep(0.05)
        return False

    def last_seq(self):
        with self.model.lock:
            return self.model.log[-1]['seq'] if self.model.log else 0

    def env(self):
        """Environment variables a client needs (the OAuth client secret included: the emulator's own)."""
        return dict(
            QLIK_TENANT_URL=self.source_tenant_url or '', QLIK_REGISTRATION_URL=self.registration_url,
            QLIK_ORGANIZATION_URL=self.console_url, QLIK_SUBSCRIPTION_ID=self.config.subscription_id,
            QLIK_CLIENT_ID=self.config.client_id, QLIK_CLIENT_SECRET=self.config.client_secret,
            QLIK_CA_PATH=self.ca_path, QLIK_EMULATOR_ADMIN_URL=self.admin_url)

    def describe(self):
        return dict(
            registration_url=self.registration_url, console_url=self.console_url, admin_url=self.admin_url,
            ca_path=self.ca_path, client_id=self.config.client_id, subscription_id=self.config.subscription_id,
            license_key=self.config.license_key,
            tenants=[dict(id=t.id, name=t.name, url=self.url(t), api_key=t.api_key)
                     for t in self.model.tenants.values()])

    # ----------------------------------------------------------- admin API
    def _admin_app(self):
        admin = Flask('qlik_cloud_emulator_admin')
        admin.json.sort_keys = False
        emulator = self

        @admin.errorhandler(ValueError)
        def _bad(exc):
            return jsonify(dict(error=str(exc))), 400

        @admin.get('/_emulator/env')
        def env():
            return jsonify(emulator.describe())

        @admin.get('/_emulator/state')
        def state():
            return jsonify(emulator.model.snapshot())

        @admin.get('/_emulator/log')
        def log():
            return jsonify(emulator.requests(host=request.args.get('host'),
                                             writes=request.args.get('writes') == 'true',
                                             since=int(request.args.get('since', 0))))

        @admin.delete('/_emulator/log')
        def clear_log():
            with emulator.model.lock:
                emulator.model.log.clear()
            return '', 204

        @admin.get('/_emulator/config')
        def get_config():
            return jsonify(emulator.config.as_dict())

        @admin.patch('/_emulator/config')
        def patch_config():
            emulator.config.update(request.get_json(force=True) or {})
            return jsonify(emulator.config.as_dict())

        @admin.post('/_emulator/tenants')
        def add_tenants():
            data = request.get_json(silent=True) or {}
            made = [emulator.add_tenant(data.get('name') if data.get('count', 1) == 1 else None,
                                        data.get('datacenter'), data.get('migration_seconds'))
                    for dummy in range(int(data.get('count', 1)))]
            return jsonify([dict(id=t.id, name=t.name, url=emulator.url(t)) for t in made]), 201

        @admin.post('/_emulator/tokens/expire')
        def expire_tokens():
            emulator.model.expire_tokens()
            return '', 204

        automations.register_admin(admin, emulator.model)  # seeding Qlik Automate (tests/emulator/automations.py)
        return admin
