#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_data_connection_info
short_description: List the analytics data connections of a Qlik Cloud tenant and whether they hold credentials
version_added: 0.2.0
description:
  - Lists the data connections the caller can see (every page of C(/api/v1/data-connections)), optionally only
    the one with O(id), those in O(space) or those named O(name), each with its type, space, owner and whether a
    credential is set. Never a user name, password or secret (Qlik returns none but C(qConnectionSecret) on a
    read of one connection, which is dropped).
  - Personal connections of other users are not listed (Qlik shows them to their owner only).
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: Only the connection with this C(qID).
    type: str
  name:
    description: Only connections with this name (C(qName)).
    type: str
  space:
    description: Only connections in the space with this id.
    type: str
  include_datafiles:
    description: Also list the DataFiles connections Qlik keeps for each space (they hold no credentials).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_data_connection
'''

EXAMPLES = r'''
- name: Which connections of the tenant hold a credential?
  qlikcloud.platform.qlik_data_connection_info:
    tenant_url: acme.eu.qlikcloud.com
  register: connections

- name: Show them
  ansible.builtin.debug:
    msg: "{{ connections.data_connections | selectattr('has_credentials') | map(attribute='qName') | list }}"
'''

RETURN = r'''
data_connections:
  description:
    - The matching connections as the API describes them (C(qType) the connector, C(space) the space id, absent
      for a personal connection, C(user) the owner), each with C(has_credentials), whether a user name/password
      credential is embedded in or linked to it (C(qCredentialsID)). Never a credential or C(qConnectionSecret).
  returned: always
  type: list
  elements: dict
  sample:
    - qID: 2ec65703-1371-498c-9f48-a72fbf7ef2cc
      qName: warehouse
      qType: QvOdbcConnectorPackage.exe
      datasourceID: postgres
      space: 62a1f0c4e5b7a1b2c3d4e5f6
      user: 6K9xjsItDexffolu5vg1oWYkY8x7f-0G
      qCredentialsID: be6910a6-0101-464f-8335-2c6099d222b6
      qSeparateCredentials: false
      createdAt: '2026-11-30T10:00:00.000Z'
      updated: '2026-11-30T10:00:00.000Z'
      has_credentials: true
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import data_connections
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(tenant_argument_spec(), id=dict(type='str'), name=dict(type='str'),
                               space=dict(type='str'), include_datafiles=dict(type='bool', default=False)))


def run(task):
    params = task.params
    for option in ('id', 'name', 'space'):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    api = data_connections.DataConnections(task.client())
    if params['id']:
        found = api.get(params['id'])
        records = [found] if found and (not params['space'] or found.get('space') == params['space']) else []
    else:
        records = api.list(space=params['space'], include_datafiles=params['include_datafiles'])
    selected = [dict(r, has_credentials=data_connections.has_credentials(r)) for r in records
                if params['name'] is None or r.get('qName') == params['name']]
    return dict(changed=False, data_connections=selected)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
