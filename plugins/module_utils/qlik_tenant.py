# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_tenant: create, update, deactivate and reactivate a tenant."""

from __future__ import annotations

import datetime

from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants as tenants_api
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import (
    connection_argument_spec, env_fallback, normalize_url)
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure

SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(url_option=None),
        registration_url=dict(type='str', required=True, fallback=(env_fallback, ['QLIK_REGISTRATION_URL'])),
        id=dict(type='str'),
        name=dict(type='str'),
        hostname=dict(type='str'),
        datacenter=dict(type='str', choices=list(tenants_api.DATACENTERS)),
        license_key=dict(type='str', no_log=True),
        source_tenant_url=dict(type='str'),
        organization=tenants_api.organization_argument_spec(),
        state=dict(type='str', choices=['present', 'deactivated'], default='present'),
        reactivate=dict(type='bool', default=True),
        purge_after_days=dict(type='int'),
        **dict((option, dict(type='bool')) for option in tenants_api.FLAGS)
    ),
    mutually_exclusive=[('license_key', 'source_tenant_url')],
)


def _check_input(params):
    if params['name'] is not None and not params['name'].strip():
        raise ValueError('name must not be empty')
    if params['hostname'] is not None:
        params['hostname'] = tenants_api.validate_hostname(params['hostname'])
    if params['datacenter'] is not None:
        tenants_api.validate_datacenter(params['datacenter'])
    if params['state'] == 'deactivated' and params['purge_after_days'] is not None \
            and not 10 <= params['purge_after_days'] <= 90:
        raise ValueError('purge_after_days must be 10 to 90, got %d' % params['purge_after_days'])
    if params['license_key'] is not None and not params['license_key'].strip():
        raise ValueError('license_key must not be empty')
    if params['id'] is not None and not params['id'].strip():
        raise ValueError('id must not be empty')
    if params['source_tenant_url'] is not None:
        normalize_url(params['source_tenant_url'], 'source_tenant_url')


def _timestamp(value):
    try:
        return datetime.datetime.strptime(value[:19], '%Y-%m-%dT%H:%M:%S')
    except (TypeError, ValueError):
        return None


def purge_days(tenant):
    """Days between the deactivation and the purge date Qlik reports, or None when it cannot tell."""
    start, end = _timestamp(tenant.get('statusLastUpdatedAt')), _timestamp(tenant.get('estimatedPurgeDate'))
    return int(round((end - start).total_seconds() / 86400.0)) if start and end else None


def _find(task, api):
    """The tenant the parameters name (as the Tenants API describes it), or None."""
    params = task.params
    deactivating = params['state'] == 'deactivated'
    if params['id']:
        current = api.get(params['id'])
        if current is None:
            raise ValueError('no tenant with id %s in this region (%s): %s; is registration_url the region\'s '
                             'registration host (register.<region>.qlikcloud.com)?' % (
                                 params['id'], api.registration.host,
                                 'nothing to deactivate' if deactivating else 'a tenant cannot be created with a '
                                 'given id'))
        return current
    if api.can_look_up and (params['name'] or params['hostname']):
        current = api.find(name=params['name'], hostname=params['hostname'])
        if current is None and deactivating:
            raise ValueError('no tenant %s in subscription %s: nothing to deactivate' % (
                'named %r' % params['name'] if params['name'] else 'with host name %r' % params['hostname'],
                api.subscription_id))
        return current
    if deactivating:
        raise ValueError('state=deactivated needs id, or name or hostname with organization, to find the tenant')
    return None


def _desired(task, api, current):
    params = task.params
    if params['state'] == 'deactivated':
        if current['status'] == 'disabled' and params['purge_after_days'] is not None \
                and purge_days(current) != params['purge_after_days']:
            task.warn('tenant %s is already deactivated and Qlik purges it on %s; purge_after_days=%d cannot move it '
                      '(Qlik has no call for that): to restart the count, reactivate the tenant and deactivate it '
                      'again' % (tenants_api.describe(current), current.get('estimatedPurgeDate', 'an unknown date'),
                                 params['purge_after_days']))
        return dict(status='disabled')
    if current is not None and current.get('status') == 'disabled' and not params['reactivate']:
        raise ValueError('tenant %s is deactivated%s; it is left as it is because reactivate=false (in the role '
                         'encrypted_tenant: encrypted_tenant_reactivate=false): set it to true to reactivate the '
                         'tenant' % (tenants_api.describe(current), ' (purge planned %s)' % current['estimatedPurgeDate']
                                     if current.get('estimatedPurgeDate') else ''))
    if current is None and not params['license_key'] and not params['source_tenant_url']:
        raise ValueError('no tenant found to update; to create one, give license_key or source_tenant_url')
    if current is None and not params['id'] and not api.can_look_up:
        task.warn('qlik_tenant cannot find a tenant again without id or organization: a re-run would create another '
                  'tenant. Keep the returned tenant.id and pass it as id next time.')
    desired = dict(name=params['name'], alias=params['hostname'], status='active')
    for option, field in tenants_api.FLAGS.items():
        desired[field] = params[option]
    return desired


def run(task):
    params = task.params
    _check_input(params)
    org_params = tenants_api.organization_params(params)
    api = tenants_api.Tenants(task.client(url_option='registration_url'),
                              task.client(org_params, url_option=tenants_api.ORGANIZATION_URL) if org_params else None,
                              (params['organization'] or {}).get('subscription_id'))
    current = tenants_api.comparable(_find(task, api))
    desired = _desired(task, api, current)
    sent_on_create = []

    def create(wanted):
        if params['license_key']:
            license_key = params['license_key']
        else:
            source = task.client(dict(params, access_token=None) if params['client_id'] else params,
                                 url_option='source_tenant_url')
            license_key = tenants_api.license_key_from(source)
        created = tenants_api.comparable(api.create(license_key, params['datacenter'], params['name']))
        changes = changes_between(created, dict(wanted, status=None))
        sent_on_create.extend(update(created, changes))
        return tenants_api.apply_changes(created, changes)

    def update(tenant, changes):
        """Reactivate, PATCH, deactivate: what differs, in that order; returns the patch operations sent."""
        if changes.get('status') == 'active':
            api.reactivate(tenant)
        ops = tenants_api.patch_ops(changes)
        api.patch(tenant['id'], ops)
        if changes.get('status') == 'disabled':
            answer = api.deactivate(tenant, params['purge_after_days'] or 30)
            if isinstance(answer, dict) and answer.get('estimatedPurgeDate'):
                tenant['estimatedPurgeDate'] = answer['estimatedPurgeDate']
        return ops

    outcome = ensure(task, current, desired, create, update, view=tenants_api.diff_view,
                     apply=tenants_api.apply_changes, operations=tenants_api.patch_ops)
    after = dict(outcome['after'])
    after.pop('alias', None)
    result = dict(changed=outcome['changed'], tenant=after, tenant_url=tenants_api.tenant_url(after))
    sent = outcome.get('sent') or sent_on_create
    if sent:
        result['patch'] = sent
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    return result
