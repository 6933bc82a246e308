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

from ansible_collections.qlikcloud.platform.plugins.module_utils import qlik_tenant_info as logic
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module


def main():
    run_module(logic)


if __name__ == '__main__':
    main()
