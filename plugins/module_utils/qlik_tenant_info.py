# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_tenant_info: find tenants by id, URL, name or host name."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants as tenants_api
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec, env_fallback

SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(url_option=None),
        tenant_url=dict(type='str'),
        registration_url=dict(type='str', fallback=(env_fallback, ['QLIK_REGISTRATION_URL'])),
        id=dict(type='str'),
        name=dict(type='str'),
        hostname=dict(type='str'),
        organization=tenants_api.organization_argument_spec(),
    ),
    required_one_of=[('id', 'organization', 'tenant_url')],
    mutually_exclusive=[('id', 'name', 'tenant_url'), ('id', 'hostname', 'tenant_url')],
)


def run(task):
    params = task.params
    if params['tenant_url'] is not None:
        client = task.client()
        tenants = [client.json(client.get('/api/v1/tenants/me'), 'GET', '/api/v1/tenants/me', 'a tenant')]
    elif params['id'] is not None:
        if not params['id'].strip():
            raise ValueError('id must not be empty')
        if not params['registration_url']:
            raise ValueError('registration_url (or QLIK_REGISTRATION_URL) is required to read a tenant by id')
        found = tenants_api.Tenants(task.client(url_option='registration_url')).get(params['id'])
        tenants = [found] if found else []
    else:
        org_params = tenants_api.organization_params(params)
        if params['hostname'] is not None:
            tenants_api.validate_hostname(params['hostname'])
        api = tenants_api.Tenants(None, task.client(org_params, url_option=tenants_api.ORGANIZATION_URL),
                                  org_params['organization']['subscription_id'])
        tenants = api.search(name=params['name'], hostname=params['hostname'])
    return dict(changed=False, tenants=[dict(t, tenant_url=tenants_api.tenant_url(t)) for t in tenants])
