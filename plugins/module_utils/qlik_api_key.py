# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_api_key: an API key of the calling user, by description.

A key's expiry is fixed when it is made, so rotation is always "create a new key, cut across, delete the
old one": ``rotate_before`` creates the new key when the newest active one expires within that window.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations, oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec

SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(),
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


def with_expiry(key):
    """The key with ``expires_in``: seconds until its expiry (None when Qlik gives no readable expiry)."""
    expiry = durations.epoch(key.get('expiry'))
    return dict(key, expires_in=None if expiry is None else round(expiry - durations.now()))


def _check(params):
    if params['description'] is not None and not params['description'].strip():
        raise ValueError('description must not be empty')
    if params['expiry'] is not None:
        durations.seconds(params['expiry'], 'expiry')  # sent as given: Qlik reads ISO 8601 durations
        if params['expiry'].strip().isdigit():
            raise ValueError('expiry must be an ISO 8601 duration such as P30D, got %r' % params['expiry'])
    if params['rotate_before'] is not None:
        params['rotate_before'] = durations.seconds(params['rotate_before'], 'rotate_before')


def run(task):
    params = task.params
    _check(params)
    api = oauth_clients.ApiKeys(task.client())
    keys = [with_expiry(k) for k in api.list() if k.get('status') == 'active']
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
    made = with_expiry(made)
    result.update(api_key=made, token=token, api_keys=[made] + matching)
    return result
