"""HTTPS listeners of the Qlik Cloud emulator, and ``Emulator``, the running region.

Every emulated host (the region's registration host, the console, each tenant)
is its own HTTPS listener on loopback, so each has a distinct ``host:port``
that real clients reach with no emulator-only code path. A throwaway CA made
by ``trustme`` signs one certificate for 127.0.0.1/localhost; its PEM file is
what clients pass as ``ca_path``.

Each Qlik host is its kind's Flask application (hosts/) behind the gateway (gateway.py: faults, rate
limits, latency, the request log); the admin host is not behind the gateway.
"""

from __future__ import annotations

import os
import selectors
import shutil
import ssl
import tempfile
import threading
import time

import trustme
from werkzeug.serving import WSGIRequestHandler, make_server

from .clock import Clock
from .config import EmulatorConfig
from .gateway import Gateway, HostInfo
from .hosts import admin, console, registration, tenant as tenant_host
from .model import REGION_OF_DATACENTER, Model
from .roles import env_name


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

    >>> emulator = Emulator(EmulatorConfig(migration_seconds=60)).start()
    >>> emulator.registration_url, emulator.source_tenant_url, emulator.ca_path
    >>> emulator.clock.advance(60)  # a minute later: a migration started now has completed
    >>> emulator.requests(writes=True)  # the request log
    >>> emulator.stop()  # also removes the temporary directory (the CA) it made, if no workdir was given
    """

    def __init__(self, config=None, bind='127.0.0.1', ca=None, workdir=None, verbose=False,
                 registration_port=0, clock=None):
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.model = Model(self.config, self.clock)
        self.model.spawn_tenant_host = self._spawn_tenant_host
        self.gateway = Gateway(self.config, self.clock)
        self.bind = bind
        self.verbose = verbose
        self.registration_port = registration_port
        self.ca = ca or trustme.CA()
        self._cert = self.ca.issue_cert('127.0.0.1', 'localhost', '::1')
        self._own_workdir = workdir is None  # a temporary directory of its own, removed by stop()
        self.workdir = workdir or tempfile.mkdtemp(prefix='qlik-emulator-')
        self.ca_path = os.path.join(self.workdir, 'emulator-ca.pem')
        self.ca.cert_pem.write_to_path(self.ca_path)
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(self._ssl)
        self._apps = dict(registration=registration.create_app(self.model), console=console.create_app(self.model),
                          tenant=tenant_host.create_app(self.model))
        self._servers = []
        self._acceptor = _Acceptor()
        self._lock = threading.Lock()
        self.registration_url = self.console_url = self.admin_url = None
        self.registration_urls = {}  # region code -> its registration host's URL
        self.seed_tenants = []

    # ---------------------------------------------------------------- hosts
    def _listen(self, kind, tenant_id=None, port=0, app=None, region=None):
        # a plain listening socket: the TLS handshake happens in each connection's own thread (see
        # _Acceptor), so that one slow client cannot hold up the others
        server = make_server(self.bind, port, None, threaded=True, request_handler=_QuietHandler)
        server.ssl_context = self._ssl  # what werkzeug reads to say https in the WSGI environ
        server.finish_request = _tls_first(server.finish_request, self._ssl)
        server.verbose = self.verbose
        netloc = '%s:%d' % (self.bind, server.server_port)
        info = HostInfo(kind, netloc, tenant_id, region)
        server.app = app if app is not None else self.gateway.wrap(self._apps[kind], info)
        with self._lock:
            self._servers.append(server)
        self._acceptor.add(server)
        return netloc

    def _spawn_tenant_host(self, tenant_id):
        return self._listen('tenant', tenant_id)

    def start(self):
        self._acceptor.start()
        for number, region in enumerate(self.config.region_codes()):
            self.registration_urls[region] = 'https://' + self._listen(
                'registration', port=self.registration_port if number == 0 else 0, region=region)
        self.registration_url = self.registration_urls[self.config.region_codes()[0]]
        self.console_url = 'https://' + self._listen('console')
        self.admin_url = 'https://' + self._listen('admin', app=admin.create_app(self))
        for dummy in range(self.config.seed_tenants):
            self.seed_tenants.append(self.add_tenant())
        return self

    def stop(self):
        self._acceptor.stop()
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.server_close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -------------------------------------------------------------- helpers
    def add_tenant(self, name=None, datacenter=None, migration_seconds=None, region=None):
        """Create a tenant directly (no API call, nothing logged), as if made earlier; ``region`` (a region
        code such as ``us``) puts it in that region (with ``--regions``: one whose registration host this emulator
        may not be)."""
        if region and datacenter is None:
            datacenter = next(d for d, r in REGION_OF_DATACENTER.items() if r == region)
        if region is None and REGION_OF_DATACENTER.get(datacenter) in self.config.region_codes():
            region = REGION_OF_DATACENTER[datacenter]  # the datacenter's region, when it has a registration host
        tenant = self.model.create_tenant(self.config.license_key, datacenter, name,
                                          migration_seconds=migration_seconds, region=region)
        return tenant

    def faults(self, **settings):
        """Set fault-injection settings (``fault_*`` of EmulatorConfig) and restart their counters.

        ``emulator.faults()`` turns faults off again.
        """
        values = dict(fault_rate=1.0 if settings else 0.0, fault_kinds=('500',), fault_methods=(), fault_paths=(),
                      fault_limit=0, fault_after=0)
        values.update(settings)
        self.gateway.reset_faults(values)
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
        return [e for e in self.gateway.entries(since)
                if (host is None or e['host'] == host)
                and (not writes or e['method'] not in ('GET', 'HEAD') and e['path'] != '/oauth/token')]

    def migrations_started(self, tenant):
        """How many migrate / reset calls to ``tenant`` actually started a migration (from the request log)."""
        return self.gateway.migrations_started(tenant.hostnames[0])

    def snapshot(self):
        """The state as plain data (the admin API's /_emulator/state); no secrets."""
        state = self.model.snapshot()
        for entry in state['tenants']:
            entry['migrations_started'] = self.gateway.migrations_started(entry['tenant']['hostnames'][0])
        return state

    def wait_idle(self, timeout=30.0):
        """Wait until no call is being processed (a slow call may outlive the client that sent it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gateway.busy() <= 0:
                return True
            time.sleep(0.05)
        return False

    def last_seq(self):
        return self.gateway.last_seq()

    def env(self):
        """Environment variables a client needs (the OAuth client secret included: the emulator's own)."""
        return dict(
            QLIK_TENANT_URL=self.source_tenant_url or '', QLIK_SOURCE_TENANT_URL=self.source_tenant_url or '',
            QLIK_REGISTRATION_URL=self.registration_url,
            QLIK_ORGANIZATION_URL=self.console_url, QLIK_SUBSCRIPTION_ID=self.config.subscription_id,
            QLIK_CLIENT_ID=self.config.client_id, QLIK_CLIENT_SECRET=self.config.client_secret,
            QLIK_CA_PATH=self.ca_path, QLIK_EMULATOR_ADMIN_URL=self.admin_url, **self._client_env())

    def _client_env(self):
        out = {}
        regions = self.config.region_codes()
        for region in regions if len(regions) > 1 else ():
            client_id, secret = self.config.region_client(region)
            out['QLIK_EMULATOR_REGION_%s_REGISTRATION_URL' % env_name(region)] = self.registration_urls[region]
            out['QLIK_EMULATOR_REGION_%s_CLIENT_ID' % env_name(region)] = client_id
            out['QLIK_EMULATOR_REGION_%s_CLIENT_SECRET' % env_name(region)] = secret
        for client in self.model.roles.named.values():
            out['QLIK_EMULATOR_CLIENT_%s_ID' % env_name(client.name)] = client.client_id
            out['QLIK_EMULATOR_CLIENT_%s_SECRET' % env_name(client.name)] = client.secret
        return out

    def describe(self):
        return dict(
            registration_url=self.registration_url, console_url=self.console_url, admin_url=self.admin_url,
            ca_path=self.ca_path, client_id=self.config.client_id, subscription_id=self.config.subscription_id,
            license_key=self.config.license_key,
            clients=[c.describe() for c in self.model.roles.named.values()],
            regions=[dict(region=r, registration_url=self.registration_urls[r], client_id=self.config.region_client(r)[0])
                     for r in self.config.region_codes()],
            tenants=[dict(id=t.id, name=t.name, url=self.url(t), api_key=t.api_key)
                     for t in self.model.list_tenants()])
