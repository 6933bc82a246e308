"""The domain model of the Qlik Cloud emulator, independent of HTTP: tenants, tokens, key providers and
migrations (OAuth clients and API keys: credentials.py).

Everything here follows ``shared/api-docs`` (encryption API reference, the
tenant-encryption and create-a-tenant tutorials) and Qlik's public Tenants and
Organization APIs. Where the documents disagree with themselves, the emulator
can answer in each documented form (see ``EmulatorConfig``'s ``*_style`` knobs).

Locking: one rule (locking.py), every public method that touches the state is ``@locked``. Time: the
emulator's ``Clock`` (clock.py), never the system's.
"""

from __future__ import annotations

import collections
import dataclasses
import fnmatch
import re
import secrets
import string
import threading
import uuid

from .automations import Automations
from .clock import Clock, iso, iso_seconds
from .config import EmulatorConfig
from .credentials import Credentials
from .data_connections import DataConnections
from .errors import ApiError
from .kms import DR_REGIONS, Kms, KmsRefused, KmsUnavailable
from .locking import locked
from .roles import Roles
from .transports import EmailTransports

NEVER = '0001-01-01T00:00:00Z'
QLIK_ARN = '#QLIK_MANAGED_KEY_PROVIDER#'
DATACENTERS = ('ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2', 'eu-central-1',
               'eu-west-1', 'eu-west-2', 'us-east-1')
# The region code of each datacenter (the host name's region: acme.eu.qlikcloud.com).
REGION_OF_DATACENTER = {'ap-northeast-1': 'jp', 'ap-southeast-1': 'ap', 'ap-southeast-2': 'sg', 'eu-central-1': 'de',
                        'eu-west-1': 'eu', 'eu-west-2': 'uk', 'us-east-1': 'us'}
# What Qlik checks of an ARN's structure (417 when it does not hold).
ARN_STRUCTURE = re.compile(r'^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$')
AUTO_ASSIGN_FLAGS = ('autoAssignCreateSharedSpacesRoleToProfessionals',
                     'autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals',
                     'autoAssignDataServicesContributorRoleToProfessionals',
                     'enableAnalyticCreation', 'enableAppOpeningFeedback')


_UNDECLARED = ('Qlik Cloud cannot reach the key %s (the emulator knows no such key: declare it with '
               '--key ARN=ok, or give --kms-endpoint to look keys up in a KMS).')


def _forbidden(detail):
    return ApiError(403, 'Encryption-3', 'Unable to access the provided AWS-KMS key, access is forbidden', detail)


def _rand_id(n=32):
    alphabet = string.ascii_letters + string.digits + '-_'
    return ''.join(secrets.choice(alphabet) for dummy in range(n))


@dataclasses.dataclass
class Provider:
    arn: str
    name: str
    description: str
    fingerprint: str
    tenant_id: str
    created_at: str
    promoted_at: str = NEVER
    demoted_at: str = NEVER
    # what the KMS said of the key at the last create / test / migrate (--kms-endpoint), else None
    finding: object = None


@dataclasses.dataclass
class Migration:
    id: str
    tenant_id: str
    from_arn: str
    to_arn: str
    to_fingerprint: str
    to_prefix: str
    initiated_at: str
    started: float
    duration: float
    completed_at: str = NEVER
    done: bool = False


@dataclasses.dataclass
class Tenant:
    id: str
    name: str
    hostnames: list
    datacenter: str
    license_key: str
    subscription_id: str
    created: str
    last_updated: str
    api_key: str
    status: str = 'active'
    created_by_user: str = ''
    flags: dict = dataclasses.field(default_factory=lambda: {
        'autoAssignCreateSharedSpacesRoleToProfessionals': True,
        'autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals': True,
        'autoAssignDataServicesContributorRoleToProfessionals': True,
        'enableAnalyticCreation': False,
        'enableAppOpeningFeedback': True,
    })
    providers: dict = dataclasses.field(default_factory=collections.OrderedDict)
    current: str | None = None  # fingerprint of the current AWS-KMS provider; None = Qlik key
    qlik_promoted_at: str = ''
    qlik_demoted_at: str = NEVER
    migration: Migration | None = None
    purge_after_days: int | None = None
    purge_date: str | None = None  # estimatedPurgeDate, fixed when the tenant is deactivated
    status_updated_at: str = ''
    migration_seconds: float | None = None
    # the region whose registration host holds the tenant (None: the emulator's own region); the registration
    # host of one region answers 404 for the tenants of another, as Qlik's do
    region: str | None = None


def _confirm(tenant, confirm_hostname, what):
    """Deactivate and reactivate both ask for the tenant's host name in the qlik-confirm-hostname header."""
    if not confirm_hostname or confirm_hostname.lower() not in [h.lower() for h in tenant.hostnames]:
        raise ApiError(400, 'TENANTS-12', 'Hostname confirmation failed',
                       'The qlik-confirm-hostname header is %s: it must name the tenant being %s.' % (
                           'missing' if not confirm_hostname else 'wrong', what))


class Model:
    """The emulated region's state: tenants (with their key providers and migrations), tokens, credentials."""

    def __init__(self, config=None, clock=None):
        self.config = config or EmulatorConfig()
        self.config.validate()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.tenants = collections.OrderedDict()
        self.tokens = {}
        self.spawn_tenant_host = None  # set by the server: callable(tenant_id) -> "host:port"
        self.credentials = Credentials(self.lock, self.config, self.clock)
        self.roles = Roles(self.lock, self.config)  # who holds which role (TenantAdmin: roles.py)
        self.data_connections = DataConnections(self.lock, self.clock, self.roles, self.config.client_id)
        self.transports = EmailTransports(self.lock, self.clock, self.roles)
        self.automations = Automations(self.lock, self.clock)
        self._kms = None

    def _now_iso(self):
        return iso(self.clock.time())

    def _now_iso_seconds(self):
        return iso_seconds(self.clock.time())

    # ------------------------------------------------------------------ tenants
    @locked
    def create_tenant(self, license_key, datacenter=None, name=None, hostnames=None, created_by='',
                      migration_seconds=None, region=None):
        """A new tenant on a host of its own (``migration_seconds``: its migrations' length, else the config's), in
        ``region`` (the registration host's; None: the emulator's own), of the subscription of its license key."""
        cfg = self.config
        subscription = cfg.subscription_of(license_key)
        if subscription is None:
            raise ApiError(400, 'TENANTS-7', 'Invalid license key',
                           'The signed license key is not valid for this region.')
        region = region or cfg.region_codes()[0]
        if datacenter is None:
            datacenter = cfg.default_datacenter if region == cfg.region else next(
                (d for d, r in REGION_OF_DATACENTER.items() if r == region), cfg.default_datacenter)
        if datacenter not in DATACENTERS:
            raise ApiError(400, 'TENANTS-8', 'Invalid datacenter',
                           'Unsupported datacenter %r; supported: %s' % (datacenter, ', '.join(DATACENTERS)))
        home = REGION_OF_DATACENTER.get(datacenter)
        if home != region and home in cfg.region_codes():
            raise ApiError(400, 'TENANTS-8', 'Invalid datacenter',
                           'The datacenter %s is in region %s: create the tenant with the registration host of that '
                           'region, not %s.' % (datacenter, home, region))
        if hostnames is not None and (not isinstance(hostnames, list) or len(hostnames) > 1):
            raise ApiError(400, 'TENANTS-9', 'Invalid hostnames', 'Can only create with a single hostname entry.')
        if name is not None and (not isinstance(name, str) or not re.match(r'^[a-z0-9][a-z0-9-]{0,62}$', name)):
            raise ApiError(400, 'TENANTS-10', 'Invalid name',
                           'A tenant name is lowercase letters, digits and dashes.')
        if name and any(t.name == name for t in self.tenants.values()):
            raise ApiError(409, 'TENANTS-11', 'Tenant name already in use', name)
        tenant_id = _rand_id(32)
        host = self.spawn_tenant_host(tenant_id)
        stamp = self._now_iso()
        tenant = Tenant(
            id=tenant_id,
            name=name or ''.join(secrets.choice(string.ascii_lowercase + string.digits) for dummy in range(15)),
            hostnames=[host], datacenter=datacenter, license_key=license_key,
            subscription_id=subscription, created=stamp, last_updated=stamp,
            api_key='qlik-api-key-' + secrets.token_hex(16), created_by_user=created_by,
            qlik_promoted_at=self._now_iso_seconds(), migration_seconds=migration_seconds, region=region)
        self.tenants[tenant_id] = tenant
        return tenant

    @locked
    def list_tenants(self):
        return list(self.tenants.values())

    @locked
    def tenant(self, tenant_id):
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise ApiError(404, 'TENANTS-4', 'Tenant not found', 'No tenant with id %s' % tenant_id)
        return tenant

    @locked
    def registered_tenant(self, tenant_id, region=None):
        """The tenant as ``region``'s registration host sees it: one of another region is not found there."""
        tenant = self.tenant(tenant_id)
        region = region or self.config.region_codes()[0]
        if (tenant.region or self.config.region_codes()[0]) != region:
            raise ApiError(404, 'TENANTS-4', 'Tenant not found', 'No tenant with id %s' % tenant_id)
        return tenant

    @locked
    def render_tenant(self, tenant, base_url=None):
        out = dict(id=tenant.id, name=tenant.name, hostnames=list(tenant.hostnames),
                   createdByUser=tenant.created_by_user, datacenter=tenant.datacenter,
                   region=REGION_OF_DATACENTER.get(tenant.datacenter, self.config.region),
                   created=tenant.created, lastUpdated=tenant.last_updated, status=tenant.status)
        out.update(tenant.flags)
        out['statusLastUpdatedAt'] = tenant.status_updated_at or tenant.created
        if tenant.status == 'disabled' and tenant.purge_date:
            out['estimatedPurgeDate'] = tenant.purge_date
        out['links'] = dict(self=dict(href='%s/api/v1/tenants/%s' % (base_url or '', tenant.id)))
        return out

    @locked
    def check_active(self, tenant_id):
        """A deactivated tenant's host refuses every call the same way (403), its token endpoint included."""
        tenant = self.tenants.get(tenant_id)
        if tenant is not None and tenant.status != 'active':
            raise ApiError(403, 'TENANT-DISABLED', 'Forbidden',
                           'The tenant %s (%s) is deactivated.' % (tenant.name, tenant.id))

    @locked
    def org_tenants(self, base_url=''):
        """Every tenant as the Organization API lists them."""
        return [self.render_org_tenant(t, base_url) for t in self.tenants.values()]

    @locked
    def render_org_tenant(self, tenant, base_url=''):
        return dict(id=tenant.id, name=tenant.name, hostnames=list(tenant.hostnames),
                    status=tenant.status, subscriptionId=tenant.subscription_id,
                    regionCode=tenant.datacenter, createdAt=tenant.created, updatedAt=tenant.last_updated,
                    links=dict(self=dict(href='%s/api/core/tenants/%s' % (base_url, tenant.id))))

    @locked
    def patch_tenant(self, tenant, ops):
        allowed = {'/name', '/hostnames/1'} | {'/' + f for f in AUTO_ASSIGN_FLAGS}
        if not isinstance(ops, list) or not ops:
            raise ApiError(400, 'TENANTS-5', 'Invalid patch', 'Body must be a non-empty JSON patch list.')
        for op in ops:
            if not isinstance(op, dict) or op.get('op') != 'replace' or op.get('path') not in allowed \
                    or 'value' not in op:
                raise ApiError(400, 'TENANTS-5', 'Invalid patch operation', repr(op))
            flag = op['path'][1:]
            if flag in AUTO_ASSIGN_FLAGS and not isinstance(op['value'], bool):
                raise ApiError(400, 'TENANTS-5', 'Invalid patch value', '%s must be a boolean' % op['path'])
            if op['path'] in ('/name', '/hostnames/1') and (not isinstance(op['value'], str) or not op['value']):
                raise ApiError(400, 'TENANTS-5', 'Invalid patch value', '%s must be a string' % op['path'])
        for op in ops:
            if op['path'] == '/name':
                tenant.name = op['value']
            elif op['path'] == '/hostnames/1':
                tenant.hostnames[1:] = [op['value']]
            else:
                tenant.flags[op['path'][1:]] = op['value']
        tenant.last_updated = self._now_iso()

    @locked
    def deactivate_tenant(self, tenant, confirm_hostname, purge_after_days):
        _confirm(tenant, confirm_hostname, 'deactivated')
        if purge_after_days is None:
            purge_after_days = 30
        if not isinstance(purge_after_days, int) or isinstance(purge_after_days, bool) \
                or not 10 <= purge_after_days <= 90:
            raise ApiError(400, 'TENANTS-13', 'Invalid purgeAfterDays', 'purgeAfterDays must be 10 to 90.')
        stamp = self.clock.time()
        tenant.status = 'disabled'
        tenant.purge_after_days = purge_after_days
        tenant.purge_date = iso(stamp + purge_after_days * 86400)
        tenant.last_updated = tenant.status_updated_at = iso(stamp)
        return dict(id=tenant.id, status='disabled', estimatedPurgeDate=tenant.purge_date)

    @locked
    def reactivate_tenant(self, tenant, confirm_hostname):
        _confirm(tenant, confirm_hostname, 'reactivated')
        tenant.status = 'active'
        tenant.purge_after_days = None
        tenant.purge_date = None
        tenant.last_updated = tenant.status_updated_at = self._now_iso()
        return dict(id=tenant.id, status='active')

    # ------------------------------------------------------------------- tokens
    @locked
    def _region_client_fits(self, client_id, client_secret, tenant, region):
        """True when ``client_id``/``client_secret`` is a region-level client that may have a token here: on a
        registration host, that region's client only; on a tenant host, the client of the tenant's region (a
        tenant of a region that has no registration host here: the emulator's own region's); on the console, any."""
        cfg = self.config
        regions = cfg.region_codes()
        if tenant is not None:
            region = tenant.region if tenant.region in regions else regions[0]
        wanted = [region] if region else regions
        return any((client_id, client_secret) == cfg.region_client(r) for r in wanted)

    def issue_token(self, host, client_id, client_secret, tenant=None, region=None):
        """A token for ``host``: for a region's OAuth client (config; ``region``: the registration host's), or on a
        tenant host for one of the tenant's OAuth clients with any of its current secrets."""
        cfg = self.config
        known = self._region_client_fits(client_id, client_secret, tenant, region)
        named = self.roles.named_client(client_id)
        if named is not None and tenant is not None:  # a tenant-level client: on tenant hosts only
            known = secrets.compare_digest(named.secret, client_secret or '')
        if not known and not self.credentials.secret_matches(tenant, client_id, client_secret):
            raise ApiError(401, 'OAUTH-1', 'invalid_client', 'Client authentication failed.')
        token = 'qlik-emulator-token-' + secrets.token_urlsafe(24)
        expires = self.clock.time() + cfg.token_ttl
        self.tokens[token] = (host, client_id, expires)
        return dict(access_token=token, token_type='bearer', expires_at=iso(int(expires)),
                    expires_in=int(cfg.token_ttl))

    @locked
    def authenticate(self, host, authorization, tenant=None):
        if not authorization or not authorization.startswith('Bearer '):
            raise ApiError(401, 'HTTP-401', 'Unauthorized', 'Missing or malformed Authorization header.')
        token = authorization[len('Bearer '):].strip()
        if tenant is not None and token == tenant.api_key:
            return 'api-key'
        owner = self.credentials.api_key_user(tenant, token)
        if owner is not None:
            return owner
        entry = self.tokens.get(token)
        if entry is None or entry[0] != host:
            raise ApiError(401, 'HTTP-401', 'Unauthorized, invalid JWT',
                           'The token is unknown or was issued for another host.')
        if entry[2] < self.clock.time():
            raise ApiError(401, 'HTTP-401', 'Unauthorized, invalid JWT', 'The token has expired.')
        return entry[1]

    @locked
    def expire_tokens(self):
        """Make every issued token expired (for tests of mid-run expiry)."""
        for token, (host, client, dummy) in list(self.tokens.items()):
            self.tokens[token] = (host, client, 0.0)

    # ---------------------------------------------------------------- providers
    def behaviour(self, arn):
        """How the key ``arn`` behaves: as declared (``--key ARN=...``, exact, else the first matching
        ``fnmatch`` pattern), else 'kms' (looked up with ``--kms-endpoint``), else 'undeclared' (Qlik cannot use
        a key it cannot reach: refused)."""
        declared = self.config.key_behaviours
        if arn in declared:
            return declared[arn]
        for pattern, behaviour in declared.items():
            if any(c in pattern for c in '*?[') and fnmatch.fnmatchcase(arn, pattern):
                return behaviour
        return 'kms' if self.config.kms_endpoint else 'undeclared'

    def kms(self):
        wanted = (self.config.kms_endpoint, self.config.kms_timeout)
        if self._kms is None or (self._kms.endpoint, self._kms.timeout) != wanted:
            self._kms = Kms(*wanted)
        return self._kms

    def _inspect(self, tenant, arn, action):
        """The KMS's ``Finding`` for ``arn``; Qlik's answer of ``action`` (create, test, migrate) when the key
        cannot be used or the KMS does not answer."""
        try:
            return self.kms().inspect(arn, tenant.datacenter)
        except KmsUnavailable as exc:
            if action == 'migrate':
                raise ApiError(412, 'Encryption-12', 'Failed to initiate migration', str(exc)) from None
            raise ApiError(408, 'Encryption-8', 'Failed to return a response within the timeout window',
                           'The key provider (AWS-KMS) might be unavailable: %s' % exc) from None
        except KmsRefused as exc:
            if action == 'migrate':
                raise ApiError(412, 'Encryption-12', 'Failed to initiate migration', exc.detail) from None
            if exc.status == 406 and action == 'create':
                raise ApiError(406, 'Encryption-6', 'Failed to register the provided AWS-KMS key',
                               exc.detail) from None
            if exc.status == 406:
                raise ApiError(400, 'Encryption-88', 'Key validation failed', exc.detail) from None
            raise _forbidden(exc.detail) from None

    def _compliance(self, tenant, arn, provider=None):
        """(multiRegion, replicaKeys, drCompliant, complianceError-or-None) for a key."""
        finding = provider.finding if provider is not None else None
        if finding is not None:
            return finding.multi_region, finding.replicas, finding.compliant, finding.error
        parts = arn.split(':')
        key_region, account, key_id = parts[3], parts[4], parts[5].split('/', 1)[1]
        multi = key_id.startswith('mrk-')
        dr = DR_REGIONS.get(tenant.datacenter, 'eu-west-3')
        replicas = [dict(arn='arn:%s:kms:%s:%s:key/%s' % (parts[1], dr, account, key_id), region=dr)] if multi else []
        if self.behaviour(arn) == 'noncompliant':
            return multi, replicas, False, dict(
                code='Encryption-88', region=dr,
                message='The policy of the provided key does not allow the required action [%s] [GenerateDataKey].' % dr)
        if key_region != tenant.datacenter:
            return multi, replicas, False, dict(
                code='Encryption-87', region=key_region,
                message="The key %s is in %s, not in the tenant's region %s." % (key_id, key_region, tenant.datacenter))
        if not multi:
            return False, [], False, dict(
                code='Encryption-89', region=dr,
                message='The key %s in %s has no replica key in the DR region %s.' % (key_id, key_region, dr))
        return multi, replicas, True, None

    @locked
    def render_provider(self, tenant, provider):
        multi, replicas, compliant, error = self._compliance(tenant, provider.arn, provider)
        out = collections.OrderedDict()
        out['arn'] = provider.arn
        out['name'] = provider.name
        if tenant.current == provider.fingerprint:
            out['current'] = True
        out['tenantId'] = tenant.id
        out['createdAt'] = provider.created_at
        if provider.description:
            out['description'] = provider.description
        out['drCompliant'] = compliant
        out['keyprovider'] = 'AWS-KMS'
        out['multiRegion'] = multi
        out['replicaKeys'] = replicas
        out['arnFingerPrint'] = provider.fingerprint
        error = error or dict(code='', region='', message='')
        out['complianceError'] = [error] if self.config.compliance_style == 'array' else error
        out['promotedToCurrentAt'] = provider.promoted_at
        out['demotedFromCurrentAt'] = provider.demoted_at
        return out

    @locked
    def render_qlik_provider(self, tenant):
        out = collections.OrderedDict()
        out['arn'] = QLIK_ARN
        out['name'] = 'Qlik Internal Kms'
        if tenant.current is None:
            out['current'] = True
        out['tenantId'] = tenant.id
        out['createdAt'] = 'Qlik managed'
        out['description'] = 'Default key management service'
        out['keyprovider'] = 'Qlik'
        out['arnFingerPrint'] = tenant.id
        out['promotedToCurrentAt'] = tenant.qlik_promoted_at
        out['demotedFromCurrentAt'] = tenant.qlik_demoted_at
        return out

    @locked
    def list_providers(self, tenant, with_qlik=False):
        """The tenant's AWS-KMS key providers, after the Qlik-managed one when ``with_qlik``."""
        self.advance(tenant)
        items = [self.render_qlik_provider(tenant)] if with_qlik else []
        return items + [self.render_provider(tenant, p) for p in tenant.providers.values()]

    @locked
    def get_provider(self, tenant, fingerprint):
        self.advance(tenant)
        return self.render_provider(tenant, self.find_provider(tenant, fingerprint))

    def wrap_list(self, items):
        return dict(errors=items) if self.config.list_style == 'wrapped' else items

    @locked
    def find_provider(self, tenant, fingerprint):
        if len(fingerprint) > 128:
            raise ApiError(414, 'Encryption-14', 'Requested fingerprint length is too large')
        provider = tenant.providers.get(fingerprint)
        if provider is None:
            raise ApiError(404, 'Encryption-4', 'No entry match for the fingerprint was found',
                           'Unknown key provider fingerprint %s' % fingerprint)
        return provider

    @locked
    def create_provider(self, tenant, body):
        if not isinstance(body, dict):
            raise ApiError(400, 'Encryption-1', 'Bad Request', 'Body must be a JSON object.')
        arn, name = body.get('arn'), body.get('name')
        if not isinstance(arn, str) or not arn or not isinstance(name, str) or not name.strip():
            raise ApiError(400, 'Encryption-1', 'Bad Request', 'arn and name are required.')
        if body.get('keyprovider') != 'AWS-KMS':
            raise ApiError(400, 'Encryption-1', 'Bad Request', 'keyprovider must be "AWS-KMS".')
        description = body.get('description') or ''
        if not isinstance(description, str):
            raise ApiError(400, 'Encryption-1', 'Bad Request', 'description must be a string.')
        behaviour = self.behaviour(arn)
        if not ARN_STRUCTURE.match(arn) or behaviour == 'malformed':
            raise ApiError(417, 'Encryption-17', 'Failed to validate AWS-KMS ARN structure',
                           'The ARN %s is not a valid AWS-KMS key ARN.' % arn)
        if behaviour == 'forbidden':
            raise _forbidden('Check if the AWS key policy allows access from Qlik Cloud.')
        if behaviour == 'undeclared':
            raise _forbidden(_UNDECLARED % arn)
        if behaviour == 'unavailable':
            raise ApiError(408, 'Encryption-8', 'Failed to return a response within the timeout window',
                           'The key provider (AWS-KMS) might be unavailable.')
        if any(p.arn == arn for p in tenant.providers.values()):
            raise ApiError(409, 'Encryption-9', 'The provided key is already registered', arn)
        finding = self._inspect(tenant, arn, 'create') if behaviour == 'kms' else None
        fingerprint = secrets.token_hex(16)
        provider = Provider(arn=arn, name=name, description=description, fingerprint=fingerprint,
                            tenant_id=tenant.id, created_at=self._now_iso_seconds(), finding=finding)
        tenant.providers[fingerprint] = provider
        return provider

    @locked
    def patch_provider(self, tenant, fingerprint, ops):
        provider = self.find_provider(tenant, fingerprint)
        if not isinstance(ops, list) or not ops:
            raise ApiError(400, 'Encryption-2', 'Failed to decode key provider patch request payload')
        for op in ops:
            if not isinstance(op, dict) or op.get('op') != 'replace' \
                    or op.get('path') not in ('/name', '/description') or not isinstance(op.get('value'), str):
                raise ApiError(400, 'Encryption-2', 'Failed to decode key provider patch request payload', repr(op))
            if op['path'] == '/name' and not op['value'].strip():
                raise ApiError(400, 'Encryption-2', 'Failed to decode key provider patch request payload',
                               'name must not be empty')
        for op in ops:
            setattr(provider, op['path'][1:], op['value'])

    @locked
    def delete_provider(self, tenant, fingerprint):
        self.advance(tenant)
        if fingerprint == tenant.id and fingerprint not in tenant.providers:
            raise ApiError(400, 'Encryption-1', 'Bad Request',
                           'The default Qlik managed key provider cannot be deleted.')
        self.find_provider(tenant, fingerprint)
        migration = tenant.migration
        busy = migration and not migration.done and migration.to_fingerprint == fingerprint
        if tenant.current == fingerprint or busy:
            raise ApiError(424, 'Encryption-24', 'The requested key is being used and cannot be deleted')
        del tenant.providers[fingerprint]

    @locked
    def test_provider(self, tenant, fingerprint):
        provider = self.find_provider(tenant, fingerprint)
        behaviour = self.behaviour(provider.arn)
        if behaviour == 'unavailable':
            raise ApiError(408, 'Encryption-8', 'Failed to return a response within the timeout window',
                           'The key provider (AWS-KMS) might be unavailable.')
        if behaviour == 'undeclared':
            raise _forbidden(_UNDECLARED % provider.arn)
        if behaviour in ('invalid', 'forbidden'):
            raise ApiError(400, 'Encryption-88', 'Key validation failed',
                           'The policy of the provided key does not allow the required action [%s] [Decrypt].'
                           % provider.arn.split(':')[3])
        if behaviour == 'kms':
            provider.finding = self._inspect(tenant, provider.arn, 'test')
        return self.render_provider(tenant, provider)

    # --------------------------------------------------------------- migrations
    def _migration_duration(self, tenant):
        if tenant.migration_seconds is not None:
            return tenant.migration_seconds
        return self.config.migration_seconds

    @locked
    def advance(self, tenant, now=None):
        """Finish a migration whose time is up (lazily, on every read or write)."""
        migration = tenant.migration
        if migration is None or migration.done:
            return
        now = self.clock.monotonic() if now is None else now
        if now - migration.started < migration.duration:
            return
        stamp = self._now_iso_seconds()
        if tenant.current is None:
            tenant.qlik_demoted_at = stamp
        elif tenant.current in tenant.providers:
            tenant.providers[tenant.current].demoted_at = stamp
        target = migration.to_fingerprint if migration.to_fingerprint in tenant.providers else None
        if target is None:
            tenant.qlik_promoted_at = stamp
            tenant.qlik_demoted_at = NEVER
        else:
            tenant.providers[target].promoted_at = stamp
            tenant.providers[target].demoted_at = NEVER
        tenant.current = target
        migration.done = True
        migration.completed_at = stamp

    @locked
    def render_migration(self, tenant, style='reference'):
        migration = tenant.migration
        if migration.done:
            state, progress = 'Completed', 100
        else:
            elapsed = self.clock.monotonic() - migration.started
            fraction = elapsed / migration.duration if migration.duration else 1.0
            state = 'New' if elapsed < min(0.25, migration.duration * 0.1) else 'InProgress'
            progress = max(0, min(99, int(fraction * 100)))
        out = collections.OrderedDict()
        out['migrationId' if style == 'tutorial' else 'id'] = migration.id
        out['state'] = state
        out['progress'] = progress
        out['tenantId'] = migration.tenant_id
        out['completedAt'] = migration.completed_at
        out['initiatedAt'] = migration.initiated_at
        out['migratingTo'] = migration.to_arn
        out['migratingFrom'] = migration.from_arn
        out['migratingToPrefix'] = migration.to_prefix
        out['migratingToFingerPrint' if style == 'tutorial' else 'migratingToFingerprint'] = migration.to_fingerprint
        return out

    def _start_migration(self, tenant, to_arn, to_fingerprint, prefix):
        current = tenant.providers.get(tenant.current) if tenant.current else None
        tenant.migration = Migration(
            id=str(uuid.uuid4()), tenant_id=tenant.id,
            from_arn=current.arn if current else 'v1:%s:qlik-internal-kms' % tenant.id,
            to_arn=to_arn, to_fingerprint=to_fingerprint, to_prefix=prefix,
            initiated_at=self._now_iso(), started=self.clock.monotonic(), duration=self._migration_duration(tenant))
        self.advance(tenant)  # a zero-length migration completes at once

    @locked
    def migrate(self, tenant, fingerprint):
        self.advance(tenant)
        if fingerprint == tenant.id and fingerprint not in tenant.providers:
            raise ApiError(400, 'Encryption-1', 'Bad Request',
                           'Use /actions/reset-to-default-provider to move to the Qlik managed key.')
        provider = self.find_provider(tenant, fingerprint)
        if tenant.migration and not tenant.migration.done:
            raise ApiError(428, 'Encryption-28', 'There is already an ongoing migration for the tenant',
                           'Migration %s is in progress.' % tenant.migration.id)
        if tenant.current == fingerprint:
            raise ApiError(424, 'Encryption-25', 'Failed to prepare migration',
                           'The key provider is already the current one.')
        behaviour = self.behaviour(provider.arn)
        if behaviour in ('invalid', 'forbidden', 'unavailable', 'undeclared'):
            raise ApiError(412, 'Encryption-12', 'Failed to initiate migration',
                           'Qlik Cloud cannot use the key %s.' % provider.arn)
        if behaviour == 'kms':
            provider.finding = self._inspect(tenant, provider.arn, 'migrate')
        self._start_migration(tenant, provider.arn, fingerprint, '#BYOKv1#:%s' % fingerprint)
        return self.render_migration(tenant, self.config.migrate_style)

    @locked
    def reset_to_default(self, tenant):
        self.advance(tenant)
        if tenant.migration and not tenant.migration.done:
            raise ApiError(406, 'Encryption-26', 'There is already an ongoing migration in progress for this '
                           'tenant, this must complete before a new migration can be started')
        if tenant.current is None:
            if self.config.reset_when_default == 424:
                raise ApiError(424, 'Encryption-27', 'Tenant is already using Qlik Managed provider')
            return 200, dict(message='Tenant is already using Qlik KMS, no migration is required.')
        self._start_migration(tenant, QLIK_ARN, tenant.id, '#QLIK#')
        return 205, self.render_migration(tenant, 'reference') if self.config.reset_205_body else None

    @locked
    def migration_details(self, tenant):
        self.advance(tenant)
        if tenant.migration is None:
            raise ApiError(404, 'Encryption-40', 'There is no ongoing migration for this tenant')
        return self.render_migration(tenant, 'reference')

    @locked
    def snapshot(self):
        """The state as plain data (for tests and the admin endpoint); no secrets."""
        tenants = []
        for tenant in self.tenants.values():
            self.advance(tenant)
            tenants.append(dict(
                tenant=self.render_tenant(tenant),
                current_fingerprint=tenant.current,
                key_providers=[self.render_provider(tenant, p) for p in tenant.providers.values()],
                migration=self.render_migration(tenant) if tenant.migration else None,
            ))
        return dict(tenants=tenants)
