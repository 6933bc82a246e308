#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_key_provider_info
short_description: List the key providers of a Qlik Cloud tenant
version_added: 0.1.0
description:
  - Lists every key provider of a tenant, the default Qlik-managed provider included
    (one call to C(/api/v1/encryption/keyproviders/actions/list)), optionally filtered.
  - Tells which provider is the tenant's current (active) key.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  arn:
    description: Only the provider with this key ARN.
    type: str
  fingerprint:
    description: Only the provider with this C(arnFingerPrint).
    type: str
  name:
    description: Only providers with this display name.
    type: str
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_key_provider
  - module: qlikcloud.platform.qlik_key_migration_info
'''

EXAMPLES = r'''
- name: Which key encrypts the tenant?
  qlikcloud.platform.qlik_key_provider_info:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
  register: providers

- name: Show the current key
  ansible.builtin.debug:
    msg: "{{ providers.current_key_provider.name }} ({{ providers.current_key_provider.arn }})"

- name: Fail when a registered key is not DR-compliant
  ansible.builtin.assert:
    that: item.drCompliant | default(true)
    fail_msg: "{{ item.name }}: {{ item.complianceError }}"
  loop: "{{ providers.key_providers | selectattr('keyprovider', 'equalto', 'AWS-KMS') }}"
'''

RETURN = r'''
key_providers:
  description:
    - The matching providers as the API describes them (API field names kept, for example
      C(multiRegion), C(replicaKeys), C(drCompliant) and C(complianceError), which Qlik gives
      as an object or as a list), with C(current) an explicit boolean on every entry.
    - The default Qlik-managed provider has C(keyprovider=Qlik) and C(arn=#QLIK_MANAGED_KEY_PROVIDER#).
    - Timestamps of V(0001-01-01T00:00:00Z) mean "never".
  returned: always
  type: list
  elements: dict
  sample:
    - arn: '#QLIK_MANAGED_KEY_PROVIDER#'
      name: Qlik Internal Kms
      keyprovider: Qlik
      current: false
      arnFingerPrint: ImTRa-bkJTD-NZRYjNBa_rDhwSVA6Qo8
    - arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
      name: CMK 2026
      keyprovider: AWS-KMS
      current: true
      arnFingerPrint: 9f352c5a9c1618485051892cb57467e4
      drCompliant: true
      multiRegion: true
tenant_url:
  description: The normalized URL of the tenant.
  returned: always
  type: str
  sample: https://acme.eu.qlikcloud.com
current_key_provider:
  description: The provider in use (from the whole list, whatever the filters), or an empty dict if none is marked current.
  returned: always
  type: dict
  sample:
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    name: CMK 2026
    current: true
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(tenant_argument_spec(), arn=dict(type='str'), fingerprint=dict(type='str'),
                               name=dict(type='str')))


def run(task):
    params = task.params
    encryption.check_target(params, allow_qlik_arn=True)
    client = task.client()
    providers = encryption.KeyProviders(client).list(include_default=True)
    current = encryption.current_provider(providers)
    selected = [p for p in providers
                if (params['arn'] is None or p.get('arn') == params['arn'])
                and (params['fingerprint'] is None or p.get('arnFingerPrint') == params['fingerprint'])
                and (params['name'] is None or p.get('name') == params['name'])]
    return dict(changed=False, key_providers=selected, current_key_provider=current, tenant_url=client.base_url)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
