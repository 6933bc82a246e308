#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_automation
short_description: Enable, disable, copy, rename or delete a Qlik Automate automation
version_added: 0.2.0
description:
  - Converges one automation of a tenant, found by O(id), else by O(name) (which must then be unique) -
    enabled or disabled, its space, name and description - or deletes it (O(state=absent)).
  - With O(copy_of), an automation named O(name) that does not exist yet is made as a copy of another
    (C(actions/copy)). A copy has a new id and a new execution token, which is how Qlik rotates the token
    of a triggered automation (see the role C(qlikcloud.platform.rotate_automation_token)). A copy whose
    answer was lost is found by its name, never made twice; give it a name no other automation holds.
  - Where a copy starts (enabled or not, in which space) is not documented; say what you want with
    O(enabled) and O(space_id).
  - The execution token is returned only with O(return_token=true); the task's output is then censored as
    with C(no_log) and the registered result keeps it.
  - Qlik serves automations at C(/api/workflows/automations) (its preferred API) and at the legacy
    C(/api/v1/automations). The first is used; a tenant that answers it with 404 gets the legacy path. On
    the legacy path only an automation's owner may copy it.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: The automation's id. The surest way to name an existing automation.
    type: str
  name:
    description:
      - The automation's name; finds the automation when O(id) is not given (a name held by two
        automations is refused), and is set on it (a rename) when O(id) is given.
      - With O(copy_of), the name of the copy.
    type: str
  copy_of:
    description:
      - The id, or the unique name, of the automation to copy when no automation is named O(name).
        Ignored once the copy exists.
    type: str
  description:
    description: The automation's description. Left as it is when not given.
    type: str
  space_id:
    description: The space the automation should be in (C(actions/change-space)). Left as it is when not given.
    type: str
  enabled:
    description: V(true) enables the automation, V(false) disables it. Left as it is when not given.
    type: bool
  return_token:
    description:
      - Return the automation's execution token in RV(execution_token). The task's output is then censored;
        the registered result keeps the token.
    type: bool
    default: false
  state:
    description:
      - V(present) converges the automation; V(absent) disables it (when enabled) and deletes it, the order
        Qlik's guidance gives. Deleting an automation invalidates its execution token and its URL.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; RV(sent) lists the writes a real run would send. For a copy, whose starting state
        is not documented, it lists the change of space and the enabling that may be needed.
  diff_mode:
    support: full
    details: Shows name, description, space, enabled, run mode and whether it has a token; never the token.
notes:
  - Needs the automation's owner, a C(TenantAdmin) or C(AnalyticsAdmin), or a token with the scope
    C(admin.automations), C(automations.private) or C(automations.shared).
  - A copy does not keep what Qlik does not carry over (its run history; whether linked connections and
    schedules are kept is not documented). Check a copy before you delete its original.
seealso:
  - module: qlikcloud.platform.qlik_automation_info
  - name: Automations API
    description: Qlik's reference (preferred path).
    link: https://qlik.dev/apis/rest/workflows/automations
  - name: Secret management
    description: Qlik's guidance on rotating execution tokens.
    link: https://qlik.dev/manage/oem/privacy-security/secrets-encryption/
'''

EXAMPLES = r'''
- name: Disable an automation during maintenance
  qlikcloud.platform.qlik_automation:
    tenant_url: acme.eu.qlikcloud.com
    name: Orders webhook
    enabled: false

- name: A copy of it, enabled, in the same space, with its new token
  qlikcloud.platform.qlik_automation:
    tenant_url: acme.eu.qlikcloud.com
    name: Orders webhook (new)
    copy_of: Orders webhook
    space_id: 6500a1b2c3d4e5f601234567
    enabled: true
    return_token: true
  register: copied

- name: Store the new URL and token (shown nowhere)
  ansible.builtin.copy:
    content: "{{ copied.trigger_url }} {{ copied.execution_token }}"
    dest: /etc/orders/qlik-trigger
    mode: "0600"
  no_log: true

- name: Delete the original (its token stops working)
  qlikcloud.platform.qlik_automation:
    tenant_url: acme.eu.qlikcloud.com
    id: "{{ original_id }}"
    state: absent
'''

RETURN = r'''
automation:
  description:
    - The automation as the API lists it, after the task (as it would be, in check mode), without its
      editor workspace and its token; C(hasExecutionToken) says whether it has one and C(triggerUrl) is
      the URL of a triggered one. An empty dict when absent.
  returned: always
  type: dict
  sample:
    id: 66f0c1d2e3f4a5b6c7d8e9f0
    name: Orders webhook
    state: available
    runMode: triggered
    spaceId: 6500a1b2c3d4e5f601234567
    ownerId: 5f1e2d3c4b5a697887766554
    hasExecutionToken: true
    triggerUrl: https://acme.eu.qlikcloud.com/api/v1/automations/66f0c1d2e3f4a5b6c7d8e9f0/actions/execute
execution_token:
  description: The automation's execution token (send it in the C(X-Execution-Token) header). The output is censored.
  returned: with O(return_token=true) when the automation exists and has one
  type: str
trigger_url:
  description: The URL callers POST to when the automation is triggered (C(/api/v1/automations/{id}/actions/execute)).
  returned: when the automation exists (in check mode, not for a copy still to be made)
  type: str
copied_from:
  description: The id of the automation this task copied (or would copy, in check mode).
  returned: when a copy was made
  type: str
sent:
  description:
    - The writes sent (in check mode, that would be sent), in order, as C(method), C(path) and C(body). A PUT
      is shown with the fields that change; it carries the automation's other fields as read.
  returned: always
  type: list
  elements: dict
  sample: [{method: POST, path: /api/workflows/automations/66f0c1d2e3f4a5b6c7d8e9f0/actions/enable}]
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import automations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        copy_of=dict(type='str'),
        description=dict(type='str'),
        space_id=dict(type='str'),
        enabled=dict(type='bool'),
        return_token=dict(type='bool', default=False, no_log=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
    required_one_of=[('id', 'name')],
    mutually_exclusive=[('id', 'copy_of')],
)
ONLY_PRESENT = ('copy_of', 'description', 'space_id', 'enabled')


def _check(params):
    for option in ('id', 'name', 'copy_of', 'space_id'):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    if params['state'] == 'absent':
        given = [o for o in ONLY_PRESENT if params[o] is not None] + (['return_token'] if params['return_token'] else [])
        if given:
            raise ValueError('%s can only be given with state=present' % ', '.join(given))


def _source(api, copy_of):
    """The automation to copy: the one with id ``copy_of``, else the one named so."""
    found = api.find(automation_id=copy_of) or api.find(name=copy_of)
    if found is None:
        raise ValueError('copy_of: no automation with id or name %r in this tenant (%s)' % (copy_of, api.client.host))
    return found


def run(task):
    params = task.params
    _check(params)
    api = automations.Automations(task.client())
    current = api.find(automation_id=params['id'], name=None if params['id'] else params['name'])
    if current is None and params['id'] and params['state'] == 'present':
        raise ValueError('no automation with id %s in this tenant (%s)' % (params['id'], api.client.host))
    source = None
    if current is None and params['state'] == 'present':
        if not params['copy_of']:
            raise ValueError('no automation named %r in this tenant (%s): give copy_of to make it as a copy of '
                             'another' % (params['name'], api.client.host))
        source = _source(api, params['copy_of'])
    desired = dict(name=params['name'], description=params['description'], spaceId=params['space_id'],
                   enabled=params['enabled'])
    sent = []
    made = {}

    def create(wanted):
        copy_id = api.copy(source['id'], wanted['name'])
        sent.append(dict(method='POST', path=api.path(source['id'], 'actions', 'copy'), body=dict(name=wanted['name'])))
        made.update(api.find(automation_id=copy_id) or api.get(copy_id))
        changes = changes_between(automations.settings(made), wanted)
        sent.extend(api.converge(copy_id, changes))
        made.update(automations.lay_over(made, changes))
        return automations.settings(made)

    def update(record, changes):
        sent.extend(api.converge(record['id'], changes))
        return sent

    def delete(dummy):
        sent.extend(api.removal(current))
        return api.delete(current)

    def view(record):
        return dict(record, state='present') if record else dict(state='absent')

    outcome = ensure(task, automations.settings(current), desired, create, update, delete, view,
                     state=params['state'], operations=lambda changes: api.operations(current['id'], changes))
    planned = dict((k, v) for k, v in desired.items() if v is not None)
    if task.check_mode:
        sent[:] = outcome.get('sent') or []
        if source is not None:
            sent.append(dict(method='POST', path=api.path(source['id'], 'actions', 'copy'), body=dict(name=params['name'])))
            sent.extend(api.operations('(new id)', dict((k, v) for k, v in planned.items() if k != 'name')))
        elif current is not None and params['state'] == 'absent':
            sent.extend(api.removal(current))
    result = dict(changed=outcome['changed'], sent=sent, automation={})
    target = None
    if params['state'] == 'present':
        target = made or (automations.lay_over(current, changes_between(automations.settings(current), desired))
                          if current else None)
    if target is not None:
        result['automation'] = automations.public(target, api.client.base_url)
        result['trigger_url'] = automations.trigger_url(api.client.base_url, target['id'])
        if params['return_token'] and target.get('executionToken'):
            task.censor = True
            result['execution_token'] = target['executionToken']
    elif source is not None:  # a copy still to be made (check mode)
        result['automation'] = automations.lay_over({}, planned)
    if source is not None:
        result['copied_from'] = source['id']
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    api.mask_tokens(keep=[target['id']] if target is not None and params['return_token'] else [])
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
