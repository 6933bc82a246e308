"""What a run of the emulator can be configured with (``EmulatorConfig``), and the values it checks against."""

from __future__ import annotations

import dataclasses

# What fault injection can do to one call (the gateway applies it; see gateway.py).
FAULT_KINDS = {
    '429': 'answer 429 Too Many Requests with Retry-After: 1',
    '500': 'answer 500 Internal Server Error',
    '502': 'answer 502 Bad Gateway',
    '503': 'answer 503 Service Unavailable',
    '504': 'answer 504 Gateway Timeout',
    'drop': 'drop the connection before the call is applied',
    'drop_after': 'apply the call, then drop the connection without an answer',
    'slow': 'apply and answer the call only after a delay (fault_delay, 3 s by default)',
    '404': 'answer 404 Not Found',
    '200_errors': 'answer 200 with a body of Qlik error objects',
    '200_text': 'answer 200 with an HTML page instead of JSON',
}
# The region codes of Qlik Cloud's host names (acme.eu.qlikcloud.com), as model.REGION_OF_DATACENTER maps them.
REGION_CODES = ('ap', 'de', 'eu', 'jp', 'sg', 'uk', 'us')
# How a key (by ARN) behaves toward Qlik Cloud: see Model.create_provider, test_provider and migrate.
KEY_BEHAVIOURS = ('ok', 'forbidden', 'invalid', 'unavailable', 'noncompliant', 'malformed')
TUPLE_SETTINGS = ('fault_kinds', 'fault_methods', 'fault_paths', 'organization_clients', 'regions')


@dataclasses.dataclass
class EmulatorConfig:
    """Everything a run of the emulator can be configured with."""

    client_id: str = 'emulator-client'
    client_secret: str = 'emulator-client-secret'
    license_key: str = 'eyJlbXVsYXRvciI6InNpZ25lZC1lbnRpdGxlbWVudCJ9.emulator-license'
    subscription_id: str = 'sub-emulator-0001'
    region: str = 'eu'
    # the regions with a registration host each (--regions eu,us; empty: just ``region``); the first is
    # ``region``'s and its OAuth client is client_id/client_secret, another region R's is client_id-R/client_secret-R
    regions: tuple = ()
    # license keys -> the subscription each belongs to (license_key -> subscription_id is always one)
    licenses: dict = dataclasses.field(default_factory=dict)
    default_datacenter: str = 'eu-west-1'
    token_ttl: float = 21600.0
    migration_seconds: float = 2.0
    # documented alternatives: 'array' | 'wrapped' ({"errors": [...]})
    list_style: str = 'array'
    # migrate response: 'reference' (id, migratingToFingerprint) | 'tutorial' (migrationId, migratingToFingerPrint)
    migrate_style: str = 'reference'
    # complianceError: 'object' | 'array'
    compliance_style: str = 'object'
    # reset-to-default on a tenant already on the Qlik key: 200 or 424
    reset_when_default: int = 200
    # reset-to-default's 205 ("migration started"): no body (RFC 9110; what fetch-based clients see) or
    # the migration record the reference lists
    reset_205_body: bool = False
    rate_limits: bool = True
    tier1_per_minute: int = 1000
    tier2_per_minute: int = 100
    rate_window: float = 60.0
    fault_rate: float = 0.0
    fault_kinds: tuple = ('429', '500', '503', 'drop')
    fault_latency: float = 0.0
    # 'slow' faults: the call waits this long before it is applied and answered (an answer after the
    # client's timeout, while the call is still in flight)
    fault_delay: float = 3.0
    fault_seed: int | None = None
    # narrow faults to some calls: methods (e.g. ['POST']), path prefixes, and a total count (0 = no limit)
    fault_methods: tuple = ()
    fault_paths: tuple = ()
    fault_limit: int = 0
    # let this many matching calls through untouched before injecting faults (to hit, say, the second read)
    fault_after: int = 0
    # the keys the emulator knows (ARN, or an fnmatch pattern such as arn:aws:kms:eu-west-1:111122223333:key/*,
    # -> one of KEY_BEHAVIOURS); any other key is refused as Qlik refuses a key it cannot reach (403), unless
    # kms_endpoint names a KMS API (AWS-compatible, e.g. a moto server) to look it up in (kms.py)
    key_behaviours: dict = dataclasses.field(default_factory=dict)
    kms_endpoint: str | None = None
    kms_timeout: float = 10.0  # seconds to connect to / read from the KMS (then: 408, as Qlik answers)
    seed_tenants: int = 1
    # Organization API paging: the largest page the console returns whatever ``limit`` asks, and the
    # cursor in links.next: 'id' (a tenant id) or 'opaque' (base64 with padding, so that it needs URL encoding)
    org_max_page: int = 100
    org_cursor: str = 'id'
    # OAuth clients allowed to call the Organization API (empty: every client); others get 403
    organization_clients: tuple = ()
    # API keys: the tenant's settings (GET /api/v1/api-keys/configs/{tenantId})
    max_keys_per_user: int = 5
    max_api_key_expiry: str = 'P365D'
    # tenant-level M2M OAuth clients on every tenant: name -> the roles they hold ([]: none), --client NAME:ROLE
    # (the default client, client_id, is a TenantAdmin); their ids are client_id + '-' + name
    clients: dict = dataclasses.field(default_factory=dict)
    # PATCH of an OAuth client that adds client_secret to allowedAuthMethods: generate a secret and answer 202
    # {clientSecret} (the typings' documented answer) -- or, False, answer 204 and generate none
    oauth_patch_secret: bool = True

    def update(self, values):
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError('unknown emulator setting(s): %s' % ', '.join(sorted(unknown)))
        for name, value in values.items():
            if name in TUPLE_SETTINGS:
                value = tuple(value)
            setattr(self, name, value)
        self.validate()

    def validate(self):
        checks = [
            (self.list_style in ('array', 'wrapped'), 'list_style'),
            (self.migrate_style in ('reference', 'tutorial'), 'migrate_style'),
            (self.compliance_style in ('object', 'array'), 'compliance_style'),
            (self.reset_when_default in (200, 424), 'reset_when_default'),
            (0.0 <= self.fault_rate <= 1.0, 'fault_rate'),
            (set(self.fault_kinds) <= set(FAULT_KINDS), 'fault_kinds'),
            (self.fault_delay >= 0, 'fault_delay'),
            (1 <= self.org_max_page <= 100, 'org_max_page'),
            (self.org_cursor in ('id', 'opaque'), 'org_cursor'),
            (all(v in KEY_BEHAVIOURS for v in self.key_behaviours.values()), 'key_behaviours'),
            (self.migration_seconds >= 0, 'migration_seconds'),
            (len(set(self.region_codes())) == len(self.region_codes())
             and all(r in REGION_CODES for r in self.region_codes()), 'regions'),
            (all(isinstance(v, (list, tuple)) for v in self.clients.values()), 'clients'),
            (self.kms_endpoint is None or self.kms_endpoint.startswith(('http://', 'https://')), 'kms_endpoint'),
        ]
        for ok, name in checks:
            if not ok:
                raise ValueError('invalid emulator setting %s=%r' % (name, getattr(self, name)))

    def region_codes(self):
        """The regions that have a registration host, the emulator's own first."""
        return tuple(self.regions) or (self.region,)

    def region_client(self, region):
        """(client id, secret) of ``region``'s region-level OAuth client."""
        if region == self.region_codes()[0]:
            return self.client_id, self.client_secret
        return '%s-%s' % (self.client_id, region), '%s-%s' % (self.client_secret, region)

    def subscription_of(self, license_key):
        """The subscription a license key belongs to (None: no such key)."""
        if license_key == self.license_key:
            return self.subscription_id
        return self.licenses.get(license_key)

    def as_dict(self):
        return dataclasses.asdict(self)
