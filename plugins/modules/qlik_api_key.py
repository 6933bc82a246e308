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
  - Only the caller's own keys count (C(createdByUser) is the caller, from C(/api/v1/users/me)); another
    user's key with the same description is never kept, rotated or deleted.
  - A key's expiry is fixed at creation, so rotation is "create a new key, cut across, delete the old
    one". With O(rotate_before), a new key is created when the newest active key with O(description)
    expires within that window; delete the old one later with O(state=absent) and O(id).
  - A created key's C(token) is returned once in RV(token); the task's output is then censored as with
    C(no_log), while the registered result keeps it.
  - When concurrent runs each create a key with one description, every run keeps the one made first; a run
    whose key is not that one deletes its own, returns the first without a token and warns. A create whose
    answer is lost is never sent again; the task fails naming the key that appeared.
  - With O(state=absent), deletes the caller's key with O(id), or every active key of the caller with O(description).
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
    description: With O(state=absent), the id of the key to delete (one of the caller's keys).
    type: str
  expiry:
    description:
      - How long a new key lives, an ISO 8601 duration such as V(P30D). Defaults to the tenant's maximum.
      - Must be longer than O(rotate_before), or every run would make a new key.
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
    details: Nothing is written; C(changed) and C(plan) tell what would happen.
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
  description: The caller's newest active key with O(description) (the one created, when the task created one).
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
  description: The caller's active keys with O(description) (or O(id)) after the task, newest first, each with C(expires_in) seconds.
  returned: always
  type: list
  elements: dict
plan:
  description: What the task did or, in check mode, would do.
  returned: when something changed or would change
  type: list
  elements: str
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import api_keys, durations
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure
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
    mutually_exclusive=[('id', 'expiry'), ('id', 'rotate_before'), ('id', 'description')],
    required_if=[('state', 'present', ('description',))],
)


def _check(params):
    if params['description'] is not None and not params['description'].strip():
        raise ValueError('description must not be empty')
    if params['id'] is not None and not params['id'].strip():
        raise ValueError('id must not be empty')
    if params['rotate_before'] is not None:
        params['rotate_before'] = durations.seconds(params['rotate_before'], 'rotate_before')
    if params['expiry'] is not None:
        expiry = params['expiry'].strip().upper()
        if not expiry.startswith('P'):
            raise ValueError('expiry must be an ISO 8601 duration such as P30D, got %r' % params['expiry'])
        lifetime = durations.seconds(expiry, 'expiry')
        if lifetime <= 0:
            raise ValueError('expiry must be longer than nothing, got %r' % params['expiry'])
        if params['rotate_before'] is not None and lifetime <= params['rotate_before']:
            raise ValueError('expiry (%s) must be longer than rotate_before (%d s): every new key would be due for '
                             'rotation at once, and every run would make another' % (expiry, params['rotate_before']))
        params['expiry'] = expiry  # sent as checked


def _view(keys):
    return dict(keys=[k['id'] for k in (keys or {}).get('keys', [])])


# A key's expiry is fixed when it is made, so rotation is always "create a new key, cut across, delete the old
# one": rotate_before creates the new key when the newest active one expires within that window. ensure() works on
# the caller's keys with the description as the object: present when there is one, fresh when it is not due.
def run(task):
    params = task.params
    _check(params)
    api = api_keys.ApiKeys(task.client())
    if params['id']:
        matching = [k for k in api.list(status='active', mine=True) if k.get('id') == params['id']]
    else:
        matching = api.mine(params['description'])
    matching = [api_keys.with_expiry(k) for k in matching]
    result = dict(changed=False, api_keys=matching)
    newest = matching[0] if matching else None
    due = newest is not None and params['rotate_before'] is not None and newest['expires_in'] is not None \
        and newest['expires_in'] <= params['rotate_before']
    made = {}

    def create(wanted):
        made.update(api.create(params['description'], params['expiry'], known=[k['id'] for k in matching]))
        return dict(keys=[made], fresh=True)

    def rotate(current, changes):
        create(None)
        return ['create API key %r: the newest (%s) expires within rotate_before' % (params['description'], newest['id'])]

    def delete(current):
        deleted = [api.delete(k['id']) for k in current['keys']]  # every key: no short-circuit
        return any(deleted)

    current = dict(keys=matching, fresh=not due) if matching else None
    outcome = ensure(task, current, dict(fresh=True), create, rotate, delete, view=_view, state=params['state'],
                     apply=lambda state, changes: dict(state, keys=[dict(id='(new)')] + state['keys'], fresh=True),
                     operations=lambda changes: ['create API key %r: the newest (%s) expires within rotate_before' % (
                         params['description'], newest['id'])])
    result['changed'] = outcome['changed']
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if params['state'] == 'absent':
        result['api_keys'] = []
        if outcome['changed']:
            result['plan'] = ['delete API key %s' % k['id'] for k in matching]
        return result
    if outcome.get('sent'):
        result['plan'] = outcome['sent']
    elif outcome['changed'] and current is None:
        result['plan'] = ['create API key %r: the caller has none' % params['description']]
    result['api_key'] = newest
    if made:
        raced = made.pop('raced')
        token = made.pop('token', None)
        made = api_keys.with_expiry(made)
        if raced:
            result['changed'] = False
            task.warn('another run created an API key with description %r at the same moment, and first: this run '
                      'deleted its own and keeps that one (%s), whose token went to the other run' % (
                          params['description'], made['id']))
        else:
            task.censor = True
            result['token'] = token
        result.update(api_key=made, api_keys=[made] + [k for k in matching if k['id'] != made['id']])
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
