#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_tenant_info
short_description: Find Qlik Cloud tenants by ID, name or host name
version_added: 0.1.0
description:
  - With O(id), reads that tenant from the region's registration host (Tenants API).
  - With O(tenant_url), reads that tenant from its own host (C(/api/v1/tenants/me)); a token
    or credentials for that tenant are needed, not region-level ones.
  - Otherwise lists the tenants of a subscription through the Organization API on the
    console, optionally filtered by O(name) and O(hostname).
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.organization
  - qlikcloud.platform.attributes
options:
  tenant_url:
    description:
      - A tenant to read, for example V(https://acme.eu.qlikcloud.com) or just its host name.
      - Unlike other modules, no environment variable is read for this option.
    type: str
  registration_url:
    description:
      - The region's registration host, for look-ups by O(id).
      - If not set, the value of the E(QLIK_REGISTRATION_URL) environment variable is used.
    type: str
  id:
    description: The tenant's ID.
    type: str
  name:
    description: Only tenants with this name (Organization API).
    type: str
  hostname:
    description: Only tenants with this host name, first or alias (Organization API).
    type: str
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_tenant
'''

EXAMPLES = r'''
- name: Find the tenant by name
  qlikcloud.platform.qlik_tenant_info:
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
    name: acme-prod
    organization:
      url: https://console.qlikcloud.com
      subscription_id: "{{ qlik_subscription_id }}"
  register: found

- name: Read one tenant by ID
  qlikcloud.platform.qlik_tenant_info:
    registration_url: https://register.eu.qlikcloud.com
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
    id: TZXk9rFMoKgp7sgAwvczdAlKSSWuaa3e
'''

RETURN = r'''
tenants:
  description:
    - The matching tenants. By O(id) as the Tenants API describes a tenant; through the
      Organization API as it describes one (C(regionCode), C(createdAt), C(subscriptionId), ...).
    - Each entry also has C(tenant_url), C(https://) and its first host name.
  returned: always
  type: list
  elements: dict
  sample:
    - id: TZXk9rFMoKgp7sgAwvczdAlKSSWuaa3e
      name: acme-prod
      hostnames: [acme-prod.eu.qlikcloud.com]
      status: active
      tenant_url: https://acme-prod.eu.qlikcloud.com
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants as tenants_api
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import credentials_argument_spec, env_fallback
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(
    argument_spec=dict(
        credentials_argument_spec(),
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


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
