#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_automation_connection_info
short_description: List the Qlik Automate connections of a Qlik Cloud tenant, never a secret
version_added: 0.2.0
description:
  - Lists the tenant's automation connections (every page), optionally only those with O(id), O(name),
    O(space_id) or O(connector_id), with their connector, owner, space, dates and whether they connect
    (C(isConnected)).
  - With O(details=true), each connection is read in full (one call each) for its parameters' names, ids
    and types, and whether it uses interactive OAuth (C(interactiveOAuth), C(oauthAccountName)). A
    parameter's value is never returned.
  - Reads C(/api/workflows/automation-connections), or the legacy C(/api/v1/automation-connections) on a
    tenant that answers the first with 404.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: Only the connection with this id.
    type: str
  name:
    description: Only connections with this name.
    type: str
  space_id:
    description: Only connections in this space.
    type: str
  connector_id:
    description: Only connections of this connector.
    type: str
  details:
    description: Read each matching connection for its parameters (without values) and its OAuth account.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_automation_connection
'''

EXAMPLES = r'''
- name: Which Automate connections do not connect?
  qlikcloud.platform.qlik_automation_connection_info:
    tenant_url: acme.eu.qlikcloud.com
  register: found

- name: Name them
  ansible.builtin.debug:
    msg: "{{ found.automation_connections | rejectattr('isConnected') | map(attribute='name') | list }}"
'''

RETURN = r'''
automation_connections:
  description:
    - The matching connections as the API lists them. With O(details=true), also C(params) (names, ids and
      types, never values), C(interactiveOAuth) and, for those, C(oauthAccountName).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 66f1a2b3c4d5e6f708192a3b
      name: Company SMTP
      connectorId: 61a87510c7a7f3b3f1c8d5e2
      isConnected: true
      ownerId: 5f1e2d3c4b5a697887766554
      spaceId: null
      createdAt: '2026-03-01T09:00:00.000Z'
      updatedAt: '2026-09-14T12:30:00.000Z'
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import automation_connections
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(
    tenant_argument_spec(),
    id=dict(type='str'),
    name=dict(type='str'),
    space_id=dict(type='str'),
    connector_id=dict(type='str'),
    details=dict(type='bool', default=False),
))
FILTERS = dict(id='id', name='name', space_id='spaceId', connector_id='connectorId')
DETAIL_FIELDS = ('params', 'oauthAccountName', 'error')


def run(task):
    params = task.params
    api = automation_connections.AutomationConnections(task.client())
    wanted = dict((field, params[option]) for option, field in FILTERS.items() if params[option] is not None)
    selected = [c for c in api.list() if all(c.get(field) == value for field, value in wanted.items())]
    if params['details']:
        for record in selected:
            detail = api.get(record['id'])
            record.update((k, detail[k]) for k in DETAIL_FIELDS if k in detail)
            record['interactiveOAuth'] = automation_connections.interactive(detail)
    return dict(changed=False, automation_connections=selected)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
