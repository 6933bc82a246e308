# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_oauth_client: ensure a tenant OAuth client."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure

APP_TYPES = ['web', 'native', 'spa', 'anonymous-embed']
SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        description=dict(type='str'),
        app_type=dict(type='str', choices=APP_TYPES, default='web'),
        grant_types=dict(type='list', elements='str'),
        scopes=dict(type='list', elements='str'),
        redirect_uris=dict(type='list', elements='str'),
        allowed_origins=dict(type='list', elements='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
    required_one_of=[('id', 'name')],
)


def find_client(task, api, required=True):
    """The client the task names by ``id`` (else ``name``), or None; a missing ``id`` is an error when ``required``."""
    params = task.params
    for option in ('id', 'name'):
        if params.get(option) is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    found = api.find(client_id=params.get('id'), name=params.get('name'))
    if found is None and params.get('id') and required:
        raise ValueError('no OAuth client with id %s in this tenant (%s)' % (params['id'], api.client.host))
    return found


def public(record):
    """The client as the API describes it, without the secret that only its creation returns."""
    return dict((k, v) for k, v in (record or {}).items() if k != 'clientSecret')


def run(task):
    params = task.params
    api = oauth_clients.OAuthClients(task.client())
    current = find_client(task, api, required=params['state'] == 'present')
    if current is not None and params['state'] == 'present' and current.get('appType') != params['app_type']:
        raise ValueError('app_type of OAuth client %s is %s and cannot change (asked for %s): create another client' % (
            current.get('clientName'), current.get('appType'), params['app_type']))
    if current is None and params['state'] == 'present' and not params['name']:
        raise ValueError('name is required to create an OAuth client')
    grant_types = params['grant_types']
    if grant_types is None and current is None and params['app_type'] == 'web':
        grant_types = ['client_credentials']
    desired = {}
    for option, field in oauth_clients.CLIENT_FIELDS.items():
        value = grant_types if option == 'grant_types' else params[option]
        desired[field] = sorted(value) if value is not None and field in oauth_clients.LIST_FIELDS else value
    created = {}
    hints = [s.get('hint') for s in (current or {}).get('clientSecrets') or []]

    def create(wanted):
        body = dict((k, v) for k, v in wanted.items() if v is not None)
        body['appType'] = params['app_type']
        created.update(api.create(body))
        hints[:] = [s.get('hint') for s in created.get('clientSecrets') or []]
        return oauth_clients.comparable(created)

    def view(record):
        """What --diff shows: the client's settings and the hints of its secrets, never a secret."""
        return dict(record, state='present', secrets=list(hints)) if record else dict(state='absent')

    outcome = ensure(task, oauth_clients.comparable(current), desired, create,
                     lambda record, changes: api.patch(record['clientId'], oauth_clients.patch_ops(changes)),
                     lambda record: api.delete(record['clientId']), view, state=params['state'],
                     operations=oauth_clients.patch_ops)
    result = dict(changed=outcome['changed'], oauth_client={})
    if params['state'] == 'present':
        result['oauth_client'] = public(created) if created else dict(public(current), **dict(
            (k, v) for k, v in outcome['after'].items() if k in desired))
    if outcome.get('sent'):
        result['patch'] = outcome['sent']
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if created.get('clientSecret'):
        task.censor = True
        result.update(client_secret=created['clientSecret'], client_secret_hint=hints[0] if hints else None)
    return result
