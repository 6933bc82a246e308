#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_oauth_client_info
short_description: List the OAuth clients of a Qlik Cloud tenant and the hints of their secrets
version_added: 0.1.0
description:
  - Lists the tenant's OAuth clients (every page of C(/api/v1/oauth-clients)), optionally only the
    one with O(id) or O(name), with their secrets' hints, creation times and ages, newest first.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: Only the client with this C(clientId).
    type: str
  name:
    description: Only clients with this name.
    type: str
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_oauth_client
  - module: qlikcloud.platform.qlik_oauth_client_secret
'''

EXAMPLES = r'''
- name: How old is the newest secret of the pipeline's client?
  qlikcloud.platform.qlik_oauth_client_info:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
  register: clients

- name: Show it
  ansible.builtin.debug:
    msg: "{{ clients.oauth_clients[0].clientSecrets[0].age | int // 86400 }} days"
'''

RETURN = r'''
oauth_clients:
  description:
    - The matching clients as the API describes them; C(clientSecrets) are sorted newest first and
      each has C(age), seconds since its C(createdAt). Never a secret.
  returned: always
  type: list
  elements: dict
  sample:
    - clientId: 6a4b2c9d0e1f42a3b4c5d6e7f8091a2b
      clientName: reporting-pipeline
      appType: web
      clientSecrets: [{hint: 9f3a, createdAt: '2026-11-30T10:00:00.000Z', createdBy: bot-1234, age: 3600}]
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(tenant_argument_spec(), id=dict(type='str'), name=dict(type='str')),
            mutually_exclusive=[('id', 'name')])


def run(task):
    params = task.params
    clients = oauth_clients.OAuthClients(task.client()).list()
    selected = [c for c in clients if (params['id'] is None or c.get('clientId') == params['id'])
                and (params['name'] is None or c.get('clientName') == params['name'])]
    for client in selected:
        client['clientSecrets'] = [dict((k, v) for k, v in s.items() if k != 'age' or v is not None)
                                   for s in oauth_clients.newest_first(client)]
    return dict(changed=False, oauth_clients=selected)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
