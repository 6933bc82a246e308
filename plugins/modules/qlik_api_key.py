#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_api_key
short_description: Ensure and rotate a Qlik Cloud API key of the calling user
version_added: 0.1.0
description:
  - Ensures the calling user (the OAuth client's bot, or the owner of O(access_token)) has an active
    API key with O(description); creates one, with O(expiry), when there is none.
  - A key's expiry is fixed at creation, so rotation is "create a new key, cut across, delete the old
    one". With O(rotate_before), a new key is created when the newest active key with O(description)
    expires within that window; delete the old one later with O(state=absent) and O(id).
  - A created key's C(token) is returned once in RV(token); the task's output is then censored as with
    C(no_log), while the registered result keeps it.
  - With O(state=absent), deletes the key with O(id), or every active key with O(description).
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  description:
    description: The key's description, which names it. Required with O(state=present).
    type: str
  id:
    description: With O(state=absent), the id of the key to delete.
    type: str
  expiry:
    description: How long a new key lives, an ISO 8601 duration such as V(P30D). Defaults to the tenant's maximum.
    type: str
  rotate_before:
    description:
      - Create a new key when the newest active one expires within this ISO 8601 duration (or seconds).
        Without it an existing key is kept until it expires.
    type: raw
  state:
    description: V(present) ensures a key; V(absent) deletes keys.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Nothing is written; C(changed) and C(msg) tell what would happen.
  diff_mode:
    support: full
    details: Shows the ids of the matching keys before and after (a new one as V((new))), never a token.
notes:
  - Qlik limits the number of active keys per user (the tenant's C(max_keys_per_user)); creating one
    more is refused.
seealso:
  - module: qlikcloud.platform.qlik_api_key_info
  - name: API keys API
    description: Qlik's reference.
    link: https://qlik.dev/apis/rest/api-keys
'''

EXAMPLES = r'''
- name: The monitoring app's key, renewed a week before it expires
  qlikcloud.platform.qlik_api_key:
    tenant_url: acme.eu.qlikcloud.com
    description: monitoring-apps
    expiry: P90D
    rotate_before: P7D
  register: monitoring_key

- name: Delete the key it replaces, once the apps use the new one
  qlikcloud.platform.qlik_api_key:
    tenant_url: acme.eu.qlikcloud.com
    id: "{{ monitoring_key.api_keys[1].id }}"
    state: absent
  when: monitoring_key.token is defined and monitoring_key.api_keys | length > 1
'''

RETURN = r'''
api_key:
  description: The newest active key with O(description) (the one created, when the task created one).
  returned: with O(state=present)
  type: dict
  sample:
    id: 64f1a2b3c4d5e6f708192a3b
    description: monitoring-apps
    status: active
    expiry: '2027-02-28T10:00:00.000Z'
    expires_in: 7776000
token:
  description: The token of the key this task created. Shown once; the task's output is censored.
  returned: when a key was created
  type: str
api_keys:
  description: The active keys with O(description) (or O(id)) after the task, newest first, each with C(expires_in) seconds.
  returned: always
  type: list
  elements: dict
msg:
  description: In check mode, what the real run would do.
  returned: in check mode when a key would be created
  type: str
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import api_keys, durations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        description=dict(type='str'),
        id=dict(type='str'),
        expiry=dict(type='str'),
        rotate_before=dict(type='raw'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
    required_one_of=[('description', 'id')],
    mutually_exclusive=[('id', 'expiry'), ('id', 'rotate_before')],
    required_if=[('state', 'present', ('description',))],
)


def _check(params):
    if params['description'] is not None and not params['description'].strip():
        raise ValueError('description must not be empty')
    if params['expiry'] is not None:
        durations.seconds(params['expiry'], 'expiry')  # sent as given: Qlik reads ISO 8601 durations
        if params['expiry'].strip().isdigit():
            raise ValueError('expiry must be an ISO 8601 duration such as P30D, got %r' % params['expiry'])
    if params['rotate_before'] is not None:
        params['rotate_before'] = durations.seconds(params['rotate_before'], 'rotate_before')


# A key's expiry is fixed when it is made, so rotation is always "create a new key, cut across, delete the old
# one": rotate_before creates the new key when the newest active one expires within that window.
def run(task):
    params = task.params
    _check(params)
    api = api_keys.ApiKeys(task.client())
    keys = [api_keys.with_expiry(k) for k in api.list() if k.get('status') == 'active']
    if params['id']:
        matching = [k for k in keys if k.get('id') == params['id']]
    else:
        matching = [k for k in keys if k.get('description') == params['description']]
    matching.sort(key=lambda k: durations.epoch(k.get('created')) or 0, reverse=True)
    result = dict(changed=False, api_keys=matching)
    if params['state'] == 'absent':
        if matching:
            result['changed'] = True
            if task.diff:
                result['diff'] = dict(before=dict(keys=[k['id'] for k in matching]), after=dict(keys=[]))
            if not task.check_mode:
                deleted = [api.delete(k['id']) for k in matching]  # every key, no short-circuit
                result['changed'] = any(deleted)
        result['api_keys'] = []
        return result
    newest = matching[0] if matching else None
    if newest is not None:
        result['api_key'] = newest
        due = params['rotate_before'] is not None and newest['expires_in'] is not None \
            and newest['expires_in'] <= params['rotate_before']
        if not due:
            return result
    result['changed'] = True
    if task.diff:
        result['diff'] = dict(before=dict(keys=[k['id'] for k in matching]),
                              after=dict(keys=['(new)'] + [k['id'] for k in matching]))
    if task.check_mode:
        result['msg'] = 'would create API key %r (check mode): %s' % (
            params['description'], 'the newest expires within rotate_before' if newest else 'there is none')
        return result
    made = api.create(params['description'], params['expiry'])
    task.censor = True
    token = made.pop('token')
    made = api_keys.with_expiry(made)
    result.update(api_key=made, token=token, api_keys=[made] + matching)
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
