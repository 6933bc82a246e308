# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_oauth_client_secret: the secrets of a tenant OAuth client.

``present`` makes sure the client has a secret younger than ``max_age`` (creating one when not);
``absent`` deletes the secret with ``hint``, or all but the ``keep_newest`` newest, or those older than
``older_than``. A client is never left without a secret unless ``allow_none``.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations, oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.qlik_oauth_client import find_client

SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        max_age=dict(type='raw'),
        hint=dict(type='str'),
        keep_newest=dict(type='int'),
        older_than=dict(type='raw'),
        allow_none=dict(type='bool', default=False),
    ),
    required_one_of=[('id', 'name')],
    mutually_exclusive=[('hint', 'keep_newest', 'older_than'), ('max_age', 'hint'), ('max_age', 'keep_newest'),
                        ('max_age', 'older_than')],
    required_if=[('state', 'absent', ('hint', 'keep_newest', 'older_than'), True)],
)


def _check(params):
    """Every check that needs no request; durations become seconds."""
    if params['max_age'] is not None:
        params['max_age'] = durations.seconds(params['max_age'], 'max_age')
        if params['state'] != 'present':
            raise ValueError('max_age goes with state=present')
    if params['older_than'] is not None:
        params['older_than'] = durations.seconds(params['older_than'], 'older_than')
    if params['keep_newest'] is not None:
        if params['keep_newest'] < 0:
            raise ValueError('keep_newest must be 0 or more, got %d' % params['keep_newest'])
        if params['keep_newest'] == 0 and not params['allow_none']:
            raise ValueError('keep_newest=0 would leave the client without a secret: set allow_none=true to mean it')
    if params['hint'] is not None and not params['hint'].strip():
        raise ValueError('hint must not be empty')


def _shown(secrets):
    return [dict((k, s.get(k)) for k in ('hint', 'createdAt', 'createdBy')) for s in secrets]


def run(task):
    params = task.params
    _check(params)
    api = oauth_clients.OAuthClients(task.client())
    record = find_client(task, api, required=False)
    if record is None:
        raise ValueError('no OAuth client %s in this tenant (%s)' % (
            'with id %s' % params['id'] if params['id'] else 'named %r' % params['name'], api.client.host))
    secrets = oauth_clients.newest_first(record)
    result = dict(changed=False, oauth_client_id=record['clientId'], secrets=_shown(secrets))
    if params['state'] == 'present':
        young = [s for s in secrets if params['max_age'] is None or (s['age'] is not None and s['age'] < params['max_age'])]
        if young and params['max_age'] != 0:
            return result
        result['changed'] = True
        if task.diff:
            result['diff'] = dict(before=dict(secrets=[s['hint'] for s in secrets]),
                                  after=dict(secrets=['(new)'] + [s['hint'] for s in secrets]))
        if task.check_mode:
            result['msg'] = 'would create a secret (check mode): %s' % (
                'max_age=0 makes one every run' if params['max_age'] == 0 else
                'the newest is older than max_age' if secrets else 'the client has none')
            return result
        made = api.create_secret(record)
        task.censor = True
        result.update(client_secret=made['clientSecret'], hint=made.get('hint'),
                      secrets=_shown([made]) + result['secrets'])
        return result

    if params['hint'] is not None:
        doomed = [s for s in secrets if s.get('hint') == params['hint']]
    elif params['keep_newest'] is not None:
        doomed = secrets[params['keep_newest']:]
    else:
        doomed = [s for s in secrets if s['age'] is not None and s['age'] > params['older_than']]
    kept = [s for s in secrets if s not in doomed]
    if doomed and not kept and not params['allow_none']:
        raise ValueError('deleting %s would leave OAuth client %s without a secret (nothing was deleted): set '
                         'allow_none=true to mean it' % (', '.join(s['hint'] for s in doomed), record.get('clientName')))
    result.update(deleted=[s['hint'] for s in doomed], secrets=_shown(kept))
    if task.diff:
        result['diff'] = dict(before=dict(secrets=[s['hint'] for s in secrets]),
                              after=dict(secrets=[s['hint'] for s in kept]))
    if not doomed:
        return result
    result['changed'] = True
    if not task.check_mode:
        result['deleted'] = [s['hint'] for s in doomed if api.delete_secret(record['clientId'], s['hint'])]
        result['changed'] = bool(result['deleted'])
    return result
