#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_token
short_description: Get one OAuth access token for a Qlik Cloud host
version_added: 0.1.0
description:
  - Exchanges OAuth client credentials (grant type C(client_credentials)) for an access
    token at C(<host>/oauth/token). The host can be a tenant, the region's registration
    host (C(register.<region>.qlikcloud.com)) or the console (C(console.qlikcloud.com)).
  - Tokens are scoped to one host and live six hours. Fetch one per host at the start of a
    play and pass it to later tasks (for example with C(module_defaults)) instead of letting
    every task exchange the credentials again.
  - Always reports C(changed=false); runs in check mode too, so that later read-only tasks get a token.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
attributes:
  check_mode:
    support: full
    details: Exchanging credentials changes nothing, so it is done in check mode as well.
  diff_mode:
    support: none
notes:
  - The returned token is a secret. Set C(no_log) on the task that registers it, as the examples do.
  - O(access_token) is not used by this module; O(client_id) and O(client_secret) are required.
seealso:
  - name: Qlik Cloud authentication
    description: OAuth machine-to-machine clients.
    link: https://qlik.dev/authenticate
'''

EXAMPLES = r'''
- name: One token for the tenant, used by every later task
  qlikcloud.platform.qlik_token:
    tenant_url: acme.eu.qlikcloud.com
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
  register: tenant_token
  no_log: true

- name: Key providers of the tenant, with that token
  qlikcloud.platform.qlik_key_provider_info:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ tenant_token.access_token }}"

- name: A token for the registration host (creating tenants)
  qlikcloud.platform.qlik_token:
    tenant_url: register.eu.qlikcloud.com
    client_id: "{{ vault_qlik_client_id }}"
    client_secret: "{{ vault_qlik_client_secret }}"
  register: registration_token
  no_log: true
'''

RETURN = r'''
access_token:
  description: The bearer token for O(tenant_url). A secret; keep it out of logs.
  returned: success
  type: str
  sample: eyJhbGciOiJFUzM4NCIsImtpZCI6...
expires_at:
  description: When the token expires (UTC, as Qlik reports it).
  returned: success
  type: str
  sample: '2026-06-03T20:52:08.000Z'
expires_in:
  description: Seconds the token is valid for.
  returned: success
  type: int
  sample: 21600
token_type:
  description: Always C(bearer).
  returned: success
  type: str
  sample: bearer
tenant_url:
  description: The normalized URL of the host the token is for.
  returned: success
  type: str
  sample: https://acme.eu.qlikcloud.com
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=tenant_argument_spec(), required_together=[('client_id', 'client_secret')])


def run(task):
    params = task.params
    if not (params['client_id'] and params['client_secret']):
        raise ValueError('client_id and client_secret (or QLIK_CLIENT_ID / QLIK_CLIENT_SECRET) are required')
    client = task.client(dict(params, access_token=None), mask_tokens=False)
    token = client.exchange_token()
    # the result is a secret as a whole: the action door censors what Ansible shows of it (as no_log does),
    # while the registered result keeps the token for later tasks
    task.censor = True
    return dict(changed=False, tenant_url=client.base_url, **token)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
