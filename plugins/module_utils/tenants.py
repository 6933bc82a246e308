# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Qlik Cloud tenants: the Tenants API on the region's registration host and the
Organization API on the console, which is the only way to find a tenant by name or host name.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

TENANTS = '/api/v1/tenants'
# the key of the console's URL in organization_params(), named as messages name the option
ORGANIZATION_URL = 'organization.url'
ORG_TENANTS = '/api/core/tenants'
STATUSES = ('active', 'disabled', 'deleted', 'user-access-disabled')
DATACENTERS = ('ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2', 'eu-central-1', 'eu-west-1', 'eu-west-2',
               'us-east-1')
# module option -> API field (each a JSON-patch "replace" path of its own)
FLAGS = {
    'auto_assign_create_shared_spaces_role_to_professionals': 'autoAssignCreateSharedSpacesRoleToProfessionals',
    'auto_assign_private_analytics_content_creator_role_to_professionals':
        'autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals',
    'auto_assign_data_services_contributor_role_to_professionals':
        'autoAssignDataServicesContributorRoleToProfessionals',
    'enable_analytic_creation': 'enableAnalyticCreation',
    'enable_app_opening_feedback': 'enableAppOpeningFeedback',
}
HOSTNAME = re.compile(r'^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}'
                      r'[A-Za-z0-9])?)*$')


def organization_argument_spec():
    return dict(
        type='dict',
        options=dict(
            url=dict(type='str', fallback=(env_fallback, ['QLIK_ORGANIZATION_URL'])),
            subscription_id=dict(type='str', fallback=(env_fallback, ['QLIK_SUBSCRIPTION_ID'])),
            client_id=dict(type='str'),
            client_secret=dict(type='str', no_log=True),
            access_token=dict(type='str', no_log=True),
        ),
    )


def organization_params(params):
    """Connection parameters for the console from the ``organization`` option (None when not given).

    Its client_id/client_secret default to the module's own; an access_token replaces both.
    """
    organization = params.get('organization')
    if organization is None:
        return None
    if not (organization.get('url') and organization.get('subscription_id')):
        raise ValueError('organization needs url and subscription_id (or QLIK_ORGANIZATION_URL and '
                         'QLIK_SUBSCRIPTION_ID)')
    out = dict(params, access_token=organization.get('access_token'),
               client_id=organization.get('client_id') or params.get('client_id'),
               client_secret=organization.get('client_secret') or params.get('client_secret'))
    out[ORGANIZATION_URL] = organization['url']
    if out['access_token']:
        out.update(client_id=None, client_secret=None)
    return out


def validate_hostname(value, option='hostname'):
    if not isinstance(value, str) or not HOSTNAME.match(value):
        raise ValueError('%s must be a DNS host name like analytics.example.com, got %r' % (option, value))
    return value.lower()


def validate_datacenter(value, option='datacenter'):
    if value not in DATACENTERS:
        raise ValueError('%s must be one of %s, got %r' % (option, ', '.join(DATACENTERS), value))
    return value


def tenant_url(tenant):
    hostnames = (tenant or {}).get('hostnames') or []
    return 'https://' + hostnames[0] if hostnames else None


def with_alias(tenant):
    """The tenant with ``alias`` (hostnames[1]) as a field of its own, for comparing and diffs."""
    if not tenant:
        return None
    out = dict(tenant)
    hostnames = tenant.get('hostnames') or []
    out['alias'] = hostnames[1] if len(hostnames) > 1 else None
    return out


def apply_changes(tenant, changes):
    """The tenant as it is after ``changes`` (an ``alias`` change replaces ``hostnames[1]``)."""
    after = dict(tenant, **changes)
    if 'alias' in changes:
        after['hostnames'] = list(tenant.get('hostnames') or [])[:1] + [changes['alias']]
    return after


def diff_view(tenant):
    if not tenant:
        return dict(state='absent')
    view = dict(state='present', id=tenant.get('id'), name=tenant.get('name'),
                hostnames=list(tenant.get('hostnames') or []), datacenter=tenant.get('datacenter'),
                status=tenant.get('status'))
    for field in FLAGS.values():
        if field in tenant:
            view[field] = tenant[field]
    return view


def patch_ops(changes):
    """JSON-patch ``replace`` operations for the changed fields (alias is ``/hostnames/1``)."""
    ops = []
    for field in sorted(changes):
        if field in ('status',):
            continue
        path = '/hostnames/1' if field == 'alias' else '/' + field
        ops.append(dict(op='replace', path=path, value=changes[field]))
    return sorted(ops, key=lambda op: op['path'])


def _scim_string(value):
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


class Tenants:
    """Tenant calls: ``registration`` is a QlikClient for the registration host, ``organization``
    an optional QlikClient for the console (with ``subscription_id``) for look-ups by name or host name."""

    def __init__(self, registration, organization=None, subscription_id=None):
        self.registration = registration
        self.organization = organization
        self.subscription_id = subscription_id

    @property
    def can_look_up(self):
        return self.organization is not None and bool(self.subscription_id)

    def get(self, tenant_id):
        """The tenant with ``tenant_id``, or None when the registration host answers 404 for it."""
        path = '%s/%s' % (TENANTS, tenant_id)
        try:
            response = self.registration.get(path)
        except QlikAPIError as exc:
            if exc.not_found(path):
                return None
            raise
        tenant = self.registration.json(response, 'GET', path, 'a tenant')
        if not isinstance(tenant, dict) or not tenant.get('id'):
            raise QlikAPIError('GET %s on %s answered with something that is not a tenant' % (
                path, self.registration.host), status=response.status, method='GET', path=path)
        return tenant

    def search(self, name=None, hostname=None, status=None, region=None):
        """Organization records matching every given filter (all pages), as one SCIM filter."""
        terms = ['subscriptionId eq %s' % _scim_string(self.subscription_id)]
        for attribute, value in (('name', name), ('hostnames', hostname), ('status', status), ('regionCode', region)):
            if value:
                terms.append('%s eq %s' % (attribute, _scim_string(value)))
        return self.organization.get_all(ORG_TENANTS, 'tenants', params=dict(filter=' and '.join(terms)))

    def find(self, name=None, hostname=None):
        """The one tenant with ``name`` (else ``hostname``), as the Tenants API describes it, or None."""
        for field, value in (('name', name), ('hostname', hostname)):
            if not value:
                continue
            matches = self.search(**{field: value})
            if len(matches) > 1:
                raise ValueError('%s %r matches %d tenants (%s); give id instead' % (
                    field, value, len(matches), ', '.join(m.get('id', '?') for m in matches)))
            if matches:
                return self._registered(matches[0], '%s %r' % (field, value))
        return None

    def _registered(self, record, found_by):
        """The Tenants API's view of the tenant the Organization API found; a registration host that does not
        know it serves another region, and nothing this task would do there can be right."""
        tenant = self.get(record['id'])
        if tenant is None:
            raise ValueError('the tenant found by %s, %s, is in region %s (Organization API), but the registration '
                             'host %s does not know it (404): it is the registration host of another region. Give '
                             "registration_url of the tenant's region (https://register.<region>.qlikcloud.com)" % (
                                 found_by, describe(record), record.get('regionCode') or 'unknown',
                                 self.registration.host))
        return tenant

    def create(self, license_key, datacenter=None, name=None):
        """POST a new tenant. A lost answer is settled by looking the tenant up by name, never by re-posting blind."""
        body = dict(licenseKey=license_key)
        if datacenter:
            body['datacenter'] = datacenter
        if name:
            body['name'] = name

        def recheck():
            if not (self.can_look_up and name):
                missing = ' and '.join(m for m, given in (('organization', self.can_look_up), ('name', name))
                                       if not given)
                raise QlikAPIError('POST %s may have created a tenant but no answer came back, and without %s '
                                   'the tenant cannot be looked up: check in the console before running again, then '
                                   'pass its id' % (TENANTS, missing), method='POST', path=TENANTS)
            return self.find(name=name)

        return self.registration.write_once(lambda: self.registration.post(TENANTS, body, ok=(200, 201)).json,
                                            recheck)

    def patch(self, tenant_id, ops):
        if ops:
            self.registration.patch('%s/%s' % (TENANTS, tenant_id), ops, ok=(200, 204))

    def deactivate(self, tenant, purge_after_days):
        """Deactivate; Qlik asks for the tenant's host name in ``qlik-confirm-hostname``."""
        return self.registration.post('%s/%s/actions/deactivate' % (TENANTS, tenant['id']),
                                      dict(purgeAfterDays=purge_after_days), ok=(200, 201, 204),
                                      idempotent=True, headers=_confirm(tenant)).json

    def reactivate(self, tenant):
        """Reactivate; Qlik asks for ``qlik-confirm-hostname`` here as well (changelog "New tenant deletion API")."""
        return self.registration.post('%s/%s/actions/reactivate' % (TENANTS, tenant['id']), ok=(200, 201, 204),
                                      idempotent=True, headers=_confirm(tenant)).json


def _confirm(tenant):
    return {'qlik-confirm-hostname': tenant['hostnames'][0]}


def describe(tenant):
    """``name (id)`` of a tenant, for messages."""
    return '%s (%s)' % (tenant.get('name'), tenant.get('id'))


def deactivated_message(tenant):
    return ('tenant %s is deactivated%s; qlik_tenant with state=present reactivates it' % (
        describe(tenant), ' (purge planned %s)' % tenant['estimatedPurgeDate']
        if tenant.get('estimatedPurgeDate') else ''))


def license_key_from(source_client):
    """The signed entitlement key of a tenant (``/api/v1/licenses/overview``)."""
    path = '/api/v1/licenses/overview'
    overview = source_client.json(source_client.get(path), 'GET', path, 'the license overview')
    key = overview.get('licenseKey') if isinstance(overview, dict) else None
    if not key:
        raise QlikAPIError('%s has no licenseKey in %s' % (source_client.host, path))
    source_client.redact(key)
    return key
