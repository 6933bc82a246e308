#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_api_key_info
short_description: List the API keys of a Qlik Cloud tenant with their status and expiry
version_added: 0.1.0
description:
  - Lists the API keys the caller can see (every page of C(/api/v1/api-keys)), optionally by
    O(description) and O(status), each with C(expires_in), seconds until it expires.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  description:
    description: Only keys with this description.
    type: str
  status:
    description: Only keys with this status.
    type: str
    choices: [active, expired, revoked]
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_api_key
'''

EXAMPLES = r'''
- name: Keys that expire within 30 days
  qlikcloud.platform.qlik_api_key_info:
    tenant_url: acme.eu.qlikcloud.com
    status: active
  register: keys

- name: Name them
  ansible.builtin.debug:
    msg: "{{ keys.api_keys | selectattr('expires_in', 'lt', 2592000) | map(attribute='description') | list }}"
'''

RETURN = r'''
api_keys:
  description: The keys as the API describes them (never a token), each with C(expires_in) seconds.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 64f1a2b3c4d5e6f708192a3b
      description: monitoring-apps
      status: active
      expiry: '2027-02-28T10:00:00.000Z'
      expires_in: 7776000
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import api_keys
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(tenant_argument_spec(), description=dict(type='str'),
                               status=dict(type='str', choices=['active', 'expired', 'revoked'])))


def run(task):
    params = task.params
    keys = api_keys.ApiKeys(task.client()).list(status=params['status'])
    return dict(changed=False, api_keys=[api_keys.with_expiry(k) for k in keys
                                         if params['description'] is None or k.get('description') == params['description']])


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
