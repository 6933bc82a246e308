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

from ansible_collections.qlikcloud.platform.plugins.module_utils import qlik_tenant as logic
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module


def main():
    run_module(logic)


if __name__ == '__main__':
    main()
