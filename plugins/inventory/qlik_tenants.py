# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: qlik_tenants
short_description: The tenants of a Qlik Cloud subscription as an inventory
version_added: 0.1.0
description:
  - Lists the tenants of a subscription through the Organization API on the console
    (C(/api/core/tenants), every page), one inventory host per tenant.
  - Host variables C(qlik_tenant_id), C(qlik_tenant_name), C(qlik_tenant_url) (C(https://) and the
    first host name), C(qlik_tenant_hostnames), C(qlik_tenant_status), C(qlik_tenant_region) and
    C(qlik_tenant_created); groups C(qlik_status_<status>) and C(qlik_region_<region>).
  - With O(encryption=true), each active tenant also gets C(qlik_key_provider) (its current key
    provider) and C(qlik_key_migration) (its last or ongoing key migration), read with a token for
    each tenant host, O(concurrency) tenants at a time. A tenant that cannot be read gets
    C(qlik_error) and a warning; the inventory is still built.
  - The role C(qlikcloud.platform.encrypted_tenant) works on these hosts as they are
    (C(encrypted_tenant_url) defaults to C(qlik_tenant_url)).
  - The configuration file's name ends in C(qlik_tenants.yml) or C(qlik_tenants.yaml).
  - Secrets (O(client_secret), O(encryption_client_secret), tokens) never appear in the inventory,
    its cache or its errors.
  - A wrong configuration (a missing O(subscription_id), an unknown O(filters) key, a URL that is not
    https) or a refusal of the Organization API (401, 403) is an error naming the option or the HTTP
    status and Qlik's error, raised before any host is added. ansible-core reports an inventory source
    that fails as a warning and goes on with an empty inventory; set E(ANSIBLE_INVENTORY_UNPARSED_FAILED=true)
    (or C(unparsed_is_failed) in C(ansible.cfg)) so that a pipeline stops instead.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection.plugin
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [qlikcloud.platform.qlik_tenants]
  organization_url:
    description: The console, where the Organization API is.
    type: str
    default: https://console.qlikcloud.com
    env:
      - name: QLIK_ORGANIZATION_URL
  subscription_id:
    description: The subscription whose tenants are listed (the Organization API requires it).
    type: str
    env:
      - name: QLIK_SUBSCRIPTION_ID
  client_id:
    description: An organization-level OAuth client with access to the Organization API.
    type: str
    env:
      - name: QLIK_CLIENT_ID
  client_secret:
    description: Its secret. Never shown.
    type: str
    env:
      - name: QLIK_CLIENT_SECRET
  access_token:
    description: A token for the console instead of O(client_id)/O(client_secret).
    type: str
    env:
      - name: QLIK_ORGANIZATION_ACCESS_TOKEN
  filters:
    description:
      - Only tenants that match every given filter, turned into one SCIM filter of the Organization API.
      - C(status) is one of V(active), V(disabled), V(deleted), V(user-access-disabled); C(region) a
        datacenter such as V(eu-west-1) (the API's C(regionCode)); C(name) a tenant name.
    type: dict
    default: {}
  hostname_from:
    description:
      - What names each inventory host. Host names are unique - a tenant without a name is named by its id,
        and tenants that share a name (Qlik allows it) are each named C(<name>-<tenant id>), with a warning.
    type: str
    choices: [name, hostname, id]
    default: name
  encryption:
    description: Add C(qlik_key_provider) and C(qlik_key_migration) for every active tenant.
    type: bool
    default: false
  encryption_client_id:
    description:
      - The OAuth client that gets a token on each tenant host for O(encryption) (a region-level
        client can get one for every tenant of its region). Defaults to O(client_id).
    type: str
    env:
      - name: QLIK_TENANT_CLIENT_ID
  encryption_client_secret:
    description: Its secret. Defaults to O(client_secret). Never shown.
    type: str
    env:
      - name: QLIK_TENANT_CLIENT_SECRET
  concurrency:
    description: How many tenants are read at a time with O(encryption).
    type: int
    default: 10
notes:
  - Requests per run, not cached - the pages of the tenant list (100 tenants a page) and one token
    exchange for the console; with O(encryption), per active tenant one token exchange, one list of
    key providers and one read of the migration details. A run served from the cache makes none.
seealso:
  - module: qlikcloud.platform.qlik_tenant_info
  - name: Organization API
    description: Qlik's Organization REST APIs.
    link: https://qlik.dev/apis/org-rest
'''

EXAMPLES = r'''
# fleet.qlik_tenants.yml: every active tenant of the subscription, grouped by region, with its key
plugin: qlikcloud.platform.qlik_tenants
subscription_id: 4f3c0e1a2b3c4d5e6f708192
filters:
  status: active
encryption: true
keyed_groups:
  - key: qlik_key_provider.arn | default('none')
    prefix: key
compose:
  kms_key_arn: "'arn:aws:kms:' ~ qlik_tenant_region ~ ':111122223333:key/mrk-4a1c0f1e2d3b4a5b6c7d8e9f0a1b2c3d'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/qlik_tenants
cache_timeout: 3600
'''

import collections
import concurrent.futures
import hashlib
import json
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.qlikcloud.platform.plugins.module_utils import client as client_mod
from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption as encryption_api
from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants as tenants_api
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, QlikClient

display = Display()

FILTER_KEYS = ('status', 'region', 'name')
CONNECTION = ('validate_certs', 'ca_path', 'timeout', 'retries')


def _group_name(prefix, value):
    return '%s_%s' % (prefix, re.sub(r'[^A-Za-z0-9_]', '_', str(value)).lower())


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'qlikcloud.platform.qlik_tenants'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('qlik_tenants.yml', 'qlik_tenants.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        options, organization = self._checked_options()
        cache_key = self._cache_key(path, options)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        tenants = None
        if use_cache:
            try:
                tenants = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if tenants is None:
            tenants = self._read(options, organization)
        if update_cache:
            self._cache[cache_key] = tenants
        self._populate(tenants)

    def _cache_key(self, path, options):
        """The cache key of this configuration file and of everything that selects or shapes the tenants (the
        console, the subscription, the filters and the client, also when they come from the environment): a changed
        subscription is never served another one's hosts. Secrets are not part of it."""
        selecting = dict((name, options[name]) for name in (
            'organization_url', 'subscription_id', 'filters', 'hostname_from', 'encryption', 'client_id',
            'encryption_client_id'))
        digest = hashlib.sha256(json.dumps(selecting, sort_keys=True, default=str).encode()).hexdigest()[:16]
        return '%s_%s' % (self.get_cache_key(path), digest)

    # ------------------------------------------------------------------ options
    def _checked_options(self):
        """Every check that needs no request (AnsibleParserError naming the option); the options and the
        Organization API client."""
        if client_mod.requests is None:
            raise AnsibleParserError("the qlik_tenants inventory needs the Python library 'requests' on the "
                                     "Ansible controller: pip install 'requests>=2.31'")
        options = dict((name, self.get_option(name)) for name in (
            'organization_url', 'subscription_id', 'client_id', 'client_secret', 'access_token', 'filters',
            'hostname_from', 'encryption', 'encryption_client_id', 'encryption_client_secret', 'concurrency')
            + CONNECTION)
        if not options['subscription_id']:
            raise AnsibleParserError('qlik_tenants: subscription_id is required (or QLIK_SUBSCRIPTION_ID)')
        filters = options['filters'] or {}
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if unknown:
            raise AnsibleParserError('qlik_tenants: unknown filters key(s) %s; use %s' % (
                ', '.join(unknown), ', '.join(FILTER_KEYS)))
        if filters.get('status') is not None and filters['status'] not in tenants_api.STATUSES:
            raise AnsibleParserError('qlik_tenants: filters.status must be one of %s, got %r' % (
                ', '.join(tenants_api.STATUSES), filters['status']))
        if filters.get('region') is not None:
            try:
                tenants_api.validate_datacenter(filters['region'], 'filters.region')
            except ValueError as exc:
                raise AnsibleParserError('qlik_tenants: %s' % exc)
        if filters.get('name') is not None and not str(filters['name']).strip():
            raise AnsibleParserError('qlik_tenants: filters.name must not be empty')
        if not options['concurrency'] or options['concurrency'] < 1:
            raise AnsibleParserError('qlik_tenants: concurrency must be 1 or more, got %r' % options['concurrency'])
        try:
            organization = self._organization_client(options)  # URL, credentials, timeout, retries; nothing sent
        except ValueError as exc:
            raise AnsibleParserError('qlik_tenants: %s' % exc)
        return options, organization

    @staticmethod
    def _client(options, url_option, **params):
        """A QlikClient with the TLS, timeout and retry options of the inventory and ``params``."""
        params.update((name, options[name]) for name in CONNECTION)
        return QlikClient(params, url_option=url_option)

    def _organization_client(self, options):
        token = options['access_token']
        return self._client(options, 'organization_url', organization_url=options['organization_url'],
                            access_token=token, client_id=None if token else options['client_id'],
                            client_secret=None if token else options['client_secret'])

    # --------------------------------------------------------------------- reads
    def _read(self, options, organization):
        """The tenants as the Organization API describes them, with their encryption state when asked."""
        api = tenants_api.Tenants(None, organization, options['subscription_id'])
        filters = options['filters'] or {}
        try:
            records = api.search(name=filters.get('name'), status=filters.get('status'), region=filters.get('region'))
        except QlikAPIError as exc:
            raise AnsibleParserError('qlik_tenants: listing the tenants of subscription %s failed: %s' % (
                options['subscription_id'], exc.message))
        tenants = [self._host_vars(record) for record in records]
        if options['encryption']:
            active = [t for t in tenants if t['qlik_tenant_status'] == 'active' and t['qlik_tenant_url']]
            with concurrent.futures.ThreadPoolExecutor(options['concurrency']) as pool:
                for tenant, found in zip(active, pool.map(lambda t: self._encryption(t, options), active)):
                    tenant.update(found)
        return tenants

    @staticmethod
    def _host_vars(record):
        hostnames = list(record.get('hostnames') or [])
        return dict(qlik_tenant_id=record.get('id'), qlik_tenant_name=record.get('name'),
                    qlik_tenant_url=tenants_api.tenant_url(record), qlik_tenant_hostnames=hostnames,
                    qlik_tenant_status=record.get('status'), qlik_tenant_region=record.get('regionCode'),
                    qlik_tenant_created=record.get('createdAt'))

    def _encryption(self, tenant, options):
        """qlik_key_provider and qlik_key_migration of one tenant, or qlik_error (never an exception)."""
        try:
            api = encryption_api.KeyProviders(self._client(
                options, 'tenant_url', tenant_url=tenant['qlik_tenant_url'], access_token=None,
                client_id=options['encryption_client_id'] or options['client_id'],
                client_secret=options['encryption_client_secret'] or options['client_secret']))
            current = encryption_api.current_provider(api.list(include_default=True))
            migration = api.migration() or {}
        except (QlikAPIError, ValueError) as exc:
            message = exc.message if isinstance(exc, QlikAPIError) else str(exc)
            display.warning('qlik_tenants: the encryption state of tenant %s (%s) could not be read: %s' % (
                tenant['qlik_tenant_name'], tenant['qlik_tenant_id'], message))
            return dict(qlik_error=message)
        provider = dict((k, current.get(k)) for k in ('name', 'arn', 'arnFingerPrint', 'keyprovider', 'drCompliant'))
        provider['fingerprint'] = provider.pop('arnFingerPrint')
        return dict(qlik_key_provider=provider, qlik_key_migration=dict(
            (k, migration.get(k)) for k in ('id', 'state', 'progress', 'migratingTo', 'migratingToFingerprint',
                                            'initiatedAt', 'completedAt') if k in migration))

    # ----------------------------------------------------------------- populate
    def _host_names(self, tenants):
        """One inventory host name per tenant, never the same for two: Qlik does not keep names unique (and a
        name is optional), so a tenant without a name is named by its id, and tenants that share a name are each
        named ``<name>-<id>``, with a warning."""
        how = self.get_option('hostname_from')
        names = []
        for tenant in tenants:
            if how == 'hostname':
                names.append((tenant['qlik_tenant_hostnames'] or [None])[0] or tenant['qlik_tenant_id'])
            elif how == 'name' and (tenant['qlik_tenant_name'] or '').strip():
                names.append(tenant['qlik_tenant_name'].strip())
            else:
                names.append(tenant['qlik_tenant_id'])
        counts = collections.Counter(names)
        for name in sorted(n for n, c in counts.items() if c > 1):
            display.warning('qlik_tenants: %d tenants are named %r: their hosts are named %s-<tenant id>' % (
                counts[name], name, name))
        return [('%s-%s' % (name, tenant['qlik_tenant_id']) if counts[name] > 1 else name)
                for name, tenant in zip(names, tenants)]

    def _populate(self, tenants):
        strict = self.get_option('strict')
        for host, tenant in zip(self._host_names(tenants), tenants):
            self.inventory.add_host(host)
            for name, value in tenant.items():
                self.inventory.set_variable(host, name, value)
            for prefix, value in (('qlik_status', tenant['qlik_tenant_status']),
                                  ('qlik_region', tenant['qlik_tenant_region'])):
                if value:
                    group = self.inventory.add_group(_group_name(prefix, value))
                    self.inventory.add_child(group, host)
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option('compose'), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, host, strict=strict)
