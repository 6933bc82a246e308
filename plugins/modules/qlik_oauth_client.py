#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_oauth_client
short_description: Ensure an OAuth client of a Qlik Cloud tenant
version_added: 0.1.0
description:
  - Creates, updates or deletes a tenant-level OAuth client (C(/api/v1/oauth-clients)), found by
    O(id) (its C(clientId)), else by O(name) (which must then be unique).
  - An existing client is converged with one PATCH of only the settings that differ; lists are
    compared as sets. A client's O(app_type) cannot change.
  - Creating a V(web) client returns its first secret, once, in RV(client_secret). The task's
    output is then censored as with C(no_log); the registered result keeps it for you to store.
    Rotate secrets with M(qlikcloud.platform.qlik_oauth_client_secret).
  - Region-level and organization-level clients (the kind that creates tenants) are managed in My
    Qlik, not here.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: The client's C(clientId). The surest way to name an existing client.
    type: str
  name:
    description: The client's name (C(clientName)); finds the client when O(id) is not given, and is set on it.
    type: str
  description:
    description: Description of the client. Left as it is when not given.
    type: str
  app_type:
    description: The kind of client; a machine-to-machine client is V(web). Cannot change once created.
    type: str
    choices: [web, native, spa, anonymous-embed]
    default: web
  grant_types:
    description:
      - Allowed grant types (C(allowedGrantTypes)), for V(web) clients. A new V(web) client gets
        V([client_credentials]) when not given; an existing one is left as it is.
    type: list
    elements: str
  scopes:
    description: Allowed scopes (C(allowedScopes)), for example V(user_default) or V(admin_classic). Left as they are when not given.
    type: list
    elements: str
  redirect_uris:
    description: Redirect URIs. Left as they are when not given.
    type: list
    elements: str
  allowed_origins:
    description: Allowed origins. Left as they are when not given.
    type: list
    elements: str
  state:
    description: V(present) creates or updates the client; V(absent) deletes it (and with it every secret).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Nothing is written; the returned client is what it would be (a new one has no C(clientId) yet).
  diff_mode:
    support: full
    details: Shows the client's settings and the hints of its secrets before and after, never a secret.
notes:
  - The credentials (O(client_id), O(client_secret) or O(access_token)) are those of a tenant admin;
    O(id) names the client that is managed.
seealso:
  - module: qlikcloud.platform.qlik_oauth_client_secret
  - module: qlikcloud.platform.qlik_oauth_client_info
  - name: OAuth clients API
    description: Qlik's reference.
    link: https://qlik.dev/apis/rest/oauth-clients
'''

EXAMPLES = r'''
- name: A machine-to-machine client for the reporting pipeline
  qlikcloud.platform.qlik_oauth_client:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
    description: Nightly exports
    scopes: [user_default]
  register: reporting_client

- name: Store its first secret (shown once)
  ansible.builtin.copy:
    content: "{{ reporting_client.client_secret }}"
    dest: /etc/reporting/qlik-secret
    mode: "0600"
  when: reporting_client.client_secret is defined
  no_log: true
'''

RETURN = r'''
oauth_client:
  description: The client as the API describes it (without any secret), or an empty dict when absent.
  returned: always
  type: dict
  sample:
    clientId: 6a4b2c9d0e1f42a3b4c5d6e7f8091a2b
    clientName: reporting-pipeline
    appType: web
    allowedGrantTypes: [client_credentials]
    allowedScopes: [user_default]
    clientSecrets: [{hint: 9f3a, createdAt: '2026-11-30T10:00:00.000Z', createdBy: bot-1234}]
client_secret:
  description: The first secret of a client this task created. Shown once; the task's output is censored.
  returned: when the task created a web client
  type: str
client_secret_hint:
  description: The hint of that secret.
  returned: when the task created a web client
  type: str
  sample: 9f3a
patch:
  description: The JSON-patch operations sent (or that would be sent in check mode).
  returned: when settings changed
  type: list
  elements: dict
  sample: [{op: replace, path: /description, value: Nightly exports}]
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

APP_TYPES = ['web', 'native', 'spa', 'anonymous-embed']
SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
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


def _public(record):
    """The client as the API describes it, without the secret that only its creation returns."""
    return dict((k, v) for k, v in (record or {}).items() if k not in ('clientSecret', 'raced'))


def run(task):
    params = task.params
    api = oauth_clients.OAuthClients(task.client())
    current = oauth_clients.find_client(task, api, required=params['state'] == 'present')
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
        return oauth_clients.settings(created)

    def view(record):
        """What --diff shows: the client's settings and the hints of its secrets, never a secret."""
        return dict(record, state='present', secrets=list(hints)) if record else dict(state='absent')

    outcome = ensure(task, oauth_clients.settings(current), desired, create,
                     lambda record, changes: api.patch(record['clientId'], oauth_clients.patch_ops(changes)),
                     lambda record: api.delete(record['clientId']), view, state=params['state'],
                     operations=oauth_clients.patch_ops)
    result = dict(changed=outcome['changed'], oauth_client={})
    if params['state'] == 'present':
        result['oauth_client'] = _public(created) if created else dict(_public(current), **dict(
            (k, v) for k, v in outcome['after'].items() if k in desired))
    if outcome.get('sent'):
        result['patch'] = outcome['sent']
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if created:
        _settle_created(task, api, created, result, hints)
    return result


def _settle_created(task, api, created, result, hints):
    """The first secret of a client this task created is returned once. Another run that made the same client at
    the same moment, and first, keeps it; a lost answer left a client whose first secret nobody received: a fresh
    secret is made for it (the unknown one is left for the owner or the next rotation to delete: another run may
    hold it)."""
    name = created.get('clientName')
    if created.get('raced'):
        result['changed'] = False
        task.warn('another run created OAuth client %r at the same moment, and first: this run deleted its own and '
                  'keeps that one (%s), whose first secret went to the other run' % (name, created.get('clientId')))
        return
    if created.get('appType', 'web') != 'web':
        return
    if created.get('clientSecret'):
        task.censor = True
        result.update(client_secret=created['clientSecret'], client_secret_hint=hints[0] if hints else None)
        return
    fresh = api.create_secret(created)
    unknown = ', '.join(hints) or 'none'
    task.censor = True
    result.update(client_secret=fresh['clientSecret'], client_secret_hint=fresh.get('hint'))
    result['oauth_client']['clientSecrets'] = [dict((k, fresh.get(k)) for k in ('hint', 'createdAt', 'createdBy'))] + \
        list(result['oauth_client'].get('clientSecrets') or [])
    task.warn('the answer to creating OAuth client %r was lost, so its first secret (hint %s) was never received: a '
              'new secret (hint %s) was made and is returned. Delete the unknown one once you are sure no other run got '
              'it (qlik_oauth_client_secret with state=absent and hint), or let the next rotation do it' % (
                  name, unknown, fresh.get('hint')))


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
