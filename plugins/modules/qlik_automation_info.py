#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_automation_info
short_description: List the automations of a Qlik Cloud tenant, their run modes and whether they have an execution token
version_added: 0.2.0
description:
  - Lists the tenant's Qlik Automate automations (every page), optionally only those with O(id), O(name),
    O(run_mode) or O(space_id), with their state, run mode, owner and space, and whether each has an
    execution token (C(hasExecutionToken)). Triggered automations carry C(triggerUrl), the URL their
    callers POST to.
  - The role C(qlikcloud.platform.rotate_automation_token) rotates the execution token of a triggered automation.
  - Execution tokens are secrets that never expire. They are returned only with O(return_tokens=true); the
    task's output is then censored as with C(no_log) and the registered result keeps them.
  - Reads C(/api/workflows/automations), or the legacy C(/api/v1/automations) on a tenant that answers the
    first with 404.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: Only the automation with this id.
    type: str
  name:
    description: Only automations with this name.
    type: str
  run_mode:
    description: Only automations with this run mode; V(triggered) ones are those called with an execution token.
    type: str
    choices: [manual, scheduled, triggered, webhook]
  space_id:
    description: Only automations in this space.
    type: str
  return_tokens:
    description: Add each matching automation's C(executionToken). The task's output is then censored.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: qlikcloud.platform.qlik_automation
'''

EXAMPLES = r'''
- name: Which automations can be called with an execution token?
  qlikcloud.platform.qlik_automation_info:
    tenant_url: acme.eu.qlikcloud.com
    run_mode: triggered
  register: triggered

- name: Show them, oldest first
  ansible.builtin.debug:
    msg: "{{ triggered.automations | sort(attribute='createdAt') | map(attribute='name') | list }}"
'''

RETURN = r'''
automations:
  description:
    - The matching automations as the API lists them, without the editor's workspace; C(hasExecutionToken)
      says whether one has a token, C(triggerUrl) is set on triggered ones, and C(executionToken) only with
      O(return_tokens=true).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 66f0c1d2e3f4a5b6c7d8e9f0
      name: Orders webhook
      state: available
      runMode: triggered
      ownerId: 5f1e2d3c4b5a697887766554
      spaceId: 6500a1b2c3d4e5f601234567
      createdAt: '2026-03-01T09:00:00.000Z'
      hasExecutionToken: true
      triggerUrl: https://acme.eu.qlikcloud.com/api/v1/automations/66f0c1d2e3f4a5b6c7d8e9f0/actions/execute
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import automations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=dict(
    tenant_argument_spec(),
    id=dict(type='str'),
    name=dict(type='str'),
    run_mode=dict(type='str', choices=['manual', 'scheduled', 'triggered', 'webhook']),
    space_id=dict(type='str'),
    return_tokens=dict(type='bool', default=False, no_log=False),
))
FILTERS = dict(id='id', name='name', run_mode='runMode', space_id='spaceId')


def run(task):
    params = task.params
    api = automations.Automations(task.client())
    wanted = dict((field, params[option]) for option, field in FILTERS.items() if params[option] is not None)
    selected = [a for a in api.list(tokens=params['return_tokens'])
                if all(a.get(field) == value for field, value in wanted.items())]
    api.mask_tokens(keep=[a['id'] for a in selected] if params['return_tokens'] else [])
    if params['return_tokens'] and any(a['executionToken'] for a in selected):
        task.censor = True
    return dict(changed=False, automations=selected)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
