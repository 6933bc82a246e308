#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_tenant
short_description: Create, update, deactivate and reactivate a Qlik Cloud tenant
version_added: 0.1.0
description:
  - Ensures a tenant exists (created on the region's registration host with a signed license
    key) with the wanted name, host name alias and settings, or that it is deactivated.
  - The tenant is found by O(id), else through the Organization API (O(organization)) by
    O(name), then by O(hostname). Found tenants are converged with one PATCH of only what
    differs; a deactivated tenant with O(state=present) is reactivated.
  - A deactivated tenant is reported plainly (C(tenant.status) V(disabled) and its
    C(estimatedPurgeDate)).
  - Without O(id) and without O(organization) a tenant cannot be found again, so every run
    would create one. The module still creates it, and warns that a re-run needs the returned C(id).
  - A create call whose answer is lost (timeout, dropped connection, 5xx after sending) is
    never re-sent blindly; with O(organization) and O(name) the module looks the tenant up first.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.organization
  - qlikcloud.platform.attributes
options:
  registration_url:
    description:
      - The region's registration host, for example V(https://register.eu.qlikcloud.com).
        The credentials must belong to a region-level OAuth client.
      - If not set, the value of the E(QLIK_REGISTRATION_URL) environment variable is used.
    type: str
    required: true
  id:
    description: The tenant's ID. The surest way to name an existing tenant.
    type: str
  name:
    description:
      - The tenant's display name. Used to find the tenant through O(organization), and set on
        the tenant (at creation and by PATCH).
    type: str
  hostname:
    description:
      - An alias host name of the tenant (C(hostnames[1])), for example V(analytics.acme.example).
        Used to find the tenant through O(organization) when O(name) finds none.
    type: str
  datacenter:
    description: Where a new tenant is created. Ignored for existing tenants.
    type: str
    choices: [ap-northeast-1, ap-southeast-1, ap-southeast-2, eu-central-1, eu-west-1, eu-west-2, us-east-1]
  license_key:
    description:
      - The signed entitlement (license) key a new tenant is linked to. A secret, never logged.
      - Mutually exclusive with O(source_tenant_url).
    type: str
  source_tenant_url:
    description:
      - Read the signed license key from this existing tenant (C(/api/v1/licenses/overview)),
        authenticating with O(client_id)/O(client_secret). Only read when a tenant must be created.
    type: str
  auto_assign_create_shared_spaces_role_to_professionals:
    description: Tenant setting C(autoAssignCreateSharedSpacesRoleToProfessionals). Left as it is when not given.
    type: bool
  auto_assign_private_analytics_content_creator_role_to_professionals:
    description: Tenant setting C(autoAssignPrivateAnalyticsContentCreatorRoleToProfessionals). Left as it is when not given.
    type: bool
  auto_assign_data_services_contributor_role_to_professionals:
    description: Tenant setting C(autoAssignDataServicesContributorRoleToProfessionals). Left as it is when not given.
    type: bool
  enable_analytic_creation:
    description: Tenant setting C(enableAnalyticCreation) (deprecated by Qlik). Left as it is when not given.
    type: bool
  enable_app_opening_feedback:
    description: Tenant setting C(enableAppOpeningFeedback). Left as it is when not given.
    type: bool
  state:
    description:
      - V(present) creates or updates the tenant (and reactivates a deactivated one unless O(reactivate=false)).
      - V(deactivated) deactivates it; Qlik deletes it after O(purge_after_days). A tenant that
        cannot be found is an error.
    type: str
    choices: [present, deactivated]
    default: present
  reactivate:
    description:
      - With O(state=present), reactivate a deactivated tenant (which cancels its purge).
      - V(false) leaves a deactivated tenant as it is and fails, saying so; the role
        C(qlikcloud.platform.encrypted_tenant) uses this so that it never undoes an operator's deactivation.
    type: bool
    default: true
  purge_after_days:
    description:
      - With O(state=deactivated), days (10 to 90) after which Qlik deletes the tenant. Qlik's default is 30.
      - The purge date is set when the tenant is deactivated; Qlik has no call to move it, so a
        different value for a tenant that is already deactivated changes nothing and is reported
        in a warning.
    type: int
attributes:
  check_mode:
    support: full
    details: Nothing is written; the returned tenant is what it would be (a new tenant has no C(id) yet).
  diff_mode:
    support: full
    details: Shows name, host names, datacenter, status and settings before and after (never the license key).
seealso:
  - module: qlikcloud.platform.qlik_tenant_info
  - module: qlikcloud.platform.qlik_token
  - name: Create a tenant
    description: Qlik's tutorial.
    link: https://qlik.dev/manage/platform-operations/create-a-tenant/
'''

EXAMPLES = r'''
- name: Create (or find) the customer's tenant
  qlikcloud.platform.qlik_tenant:
    registration_url: https://register.eu.qlikcloud.com
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
    name: acme-prod
    hostname: analytics.acme.example
    datacenter: eu-west-1
    source_tenant_url: https://oem-source.eu.qlikcloud.com
    enable_analytic_creation: true
    organization:
      url: https://console.qlikcloud.com
      subscription_id: "{{ qlik_subscription_id }}"
  register: tenant

- name: Its URL
  ansible.builtin.debug:
    msg: "{{ tenant.tenant_url }}"

- name: Deactivate a tenant (purged after 30 days)
  qlikcloud.platform.qlik_tenant:
    registration_url: https://register.eu.qlikcloud.com
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
    id: TZXk9rFMoKgp7sgAwvczdAlKSSWuaa3e
    state: deactivated
'''

RETURN = r'''
tenant:
  description: The tenant as the Tenants API describes it (API field names kept), or an empty dict when there is none.
  returned: always
  type: dict
  sample:
    id: TZXk9rFMoKgp7sgAwvczdAlKSSWuaa3e
    name: acme-prod
    hostnames: [acme-prod.eu.qlikcloud.com, analytics.acme.example]
    datacenter: eu-west-1
    status: active
    region: eu
    created: '2026-06-02T13:51:58.503Z'
    statusLastUpdatedAt: '2026-06-02T13:51:58.503Z'
    enableAnalyticCreation: true
    enableAppOpeningFeedback: true
    autoAssignCreateSharedSpacesRoleToProfessionals: true
tenant_url:
  description: C(https://) and the tenant's first host name.
  returned: when a tenant exists (or would be created, in which case it is unknown and null)
  type: str
  sample: https://acme-prod.eu.qlikcloud.com
patch:
  description: The JSON-patch operations sent (or that would be sent in check mode).
  returned: when settings changed
  type: list
  elements: dict
  sample: [{op: replace, path: /hostnames/1, value: analytics.acme.example}]
'''

import datetime

from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants as tenants_api
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import (
    credentials_argument_spec, env_fallback, normalize_url)
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(
    argument_spec=dict(
        credentials_argument_spec(),
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


def _purge_days(tenant):
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
                and _purge_days(current) != params['purge_after_days']:
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
    current = tenants_api.with_alias(_find(task, api))
    desired = _desired(task, api, current)
    sent_on_create = []

    def create(wanted):
        if params['license_key']:
            license_key = params['license_key']
        else:
            source = task.client(dict(params, access_token=None) if params['client_id'] else params,
                                 url_option='source_tenant_url')
            license_key = tenants_api.license_key_from(source)
        created = tenants_api.with_alias(api.create(license_key, params['datacenter'], params['name']))
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


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
