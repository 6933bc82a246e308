#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_automation_connection
short_description: Update the parameters of a Qlik Automate connection, its credentials among them, and check it
version_added: 0.2.0
description:
  - Converges the parameters of an automation connection (the credentials that Qlik Automate blocks use,
    the SMTP server of its mail blocks among them), found by O(id), else by O(name) (in O(space_id) when
    given). Parameters are named as the connection names them; Qlik addresses them by the ids that the
    connection's C(GET) gives, which the module looks up. A name that is not one of the connection's
    parameters is refused before any write, with the names it has.
  - When no connection has that name and O(connector_id) is given, it is created with every parameter.
  - O(params) are parameters that are not secret (a host, a port, a user name). They are compared with
    what Qlik holds and only those that differ are sent, so a re-run with the same values changes nothing.
  - O(secret_params) are the secret ones (passwords, client secrets, API keys). Qlik does not give them
    back, so they cannot be compared. They follow the Ansible convention for write-only secrets
    (O(update_secret)) - V(always), the default, sends them on every run, which then reports C(changed);
    V(on_create) sends them only when the task creates the connection.
  - O(verify=true) runs Qlik's connection check (C(actions/check)) after any update and fails when the
    connection does not connect.
  - A connection that uses interactive OAuth (C(oauthAccountName), C(redirect)) is re-authorised by a user
    signing in to Qlik Automate, not by new parameter values; O(secret_params) for one is refused.
  - Uses C(/api/workflows/automation-connections), or the legacy C(/api/v1/automation-connections) on a
    tenant that answers the first with 404.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: The connection's id.
    type: str
  name:
    description: The connection's name, which finds it when O(id) is not given; the name of a connection the task creates.
    type: str
  space_id:
    description: The space of the connection; narrows the search by O(name) and is where a new connection goes.
    type: str
  connector_id:
    description:
      - The connector (C(connectorId)) of a connection to create when none has O(name). An existing
        connection's connector cannot change.
    type: str
  params:
    description:
      - Parameters that are not secret, by name, with their values (strings; numbers and booleans are sent
        as strings). Compared with what Qlik holds.
    type: dict
  secret_params:
    description:
      - Secret parameters, by name, with their values. Never shown, never compared (Qlik does not return
        them); sent as O(update_secret) says.
    type: dict
  update_secret:
    description:
      - V(always) sends O(secret_params) on every run (the run reports C(changed)); V(on_create) only when the
        task creates the connection, leaving an existing connection's secrets as they are.
    type: str
    choices: [always, on_create]
    default: always
  verify:
    description:
      - Run Qlik's connection check after any update and fail when the connection does not connect. Not run
        in check mode.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Nothing is written and the check is not run; RV(sent) lists the writes a real run would send.
  diff_mode:
    support: full
    details: Shows the values of O(params) and the names of the secret parameters written, never a secret value.
notes:
  - Needs the connection's owner or a tenant admin.
seealso:
  - module: qlikcloud.platform.qlik_automation_connection_info
  - name: Automation Connections API
    description: Qlik's reference.
    link: https://qlik.dev/apis/rest/automation-connections
'''

EXAMPLES = r'''
- name: Rotate the SMTP password of the Automate mail blocks, and prove it works
  qlikcloud.platform.qlik_automation_connection:
    tenant_url: acme.eu.qlikcloud.com
    name: Company SMTP
    params:
      host: smtp.acme.example
      port: 587
      username: automate@acme.example
    secret_params:
      password: "{{ vault_smtp_password }}"
    verify: true

- name: Converge the host only; set the password when the connection is created, never afterwards
  qlikcloud.platform.qlik_automation_connection:
    tenant_url: acme.eu.qlikcloud.com
    name: Company SMTP
    connector_id: 61a87510c7a7f3b3f1c8d5e2
    params:
      host: smtp.acme.example
    secret_params:
      password: "{{ vault_smtp_password }}"
    update_secret: on_create
'''

RETURN = r'''
automation_connection:
  description:
    - The connection after the task (as it would be, in check mode), with its parameters' names, ids and
      types; a parameter's value only for those in O(params).
  returned: always
  type: dict
  sample:
    id: 66f1a2b3c4d5e6f708192a3b
    name: Company SMTP
    connectorId: 61a87510c7a7f3b3f1c8d5e2
    isConnected: true
    params: [{id: 66f1a2b3c4d5e6f708192a3c, name: host, fieldType: string, value: smtp.acme.example},
             {id: 66f1a2b3c4d5e6f708192a3d, name: password, fieldType: password}]
updated_params:
  description: The names of the parameters written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [host, password]
connected:
  description: What Qlik's connection check answered.
  returned: with O(verify=true), not in check mode
  type: bool
sent:
  description: The writes sent (in check mode, that would be sent) as C(method), C(path) and C(body); secret values are replaced.
  returned: always
  type: list
  elements: dict
  sample: [{method: PUT, path: /api/workflows/automation-connections/66f1a2b3c4d5e6f708192a3b,
            body: {params: [{id: 66f1a2b3c4d5e6f708192a3d, value: '********'}]}}]
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import automation_connections
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import REDACTED, tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        space_id=dict(type='str'),
        connector_id=dict(type='str'),
        params=dict(type='dict'),
        secret_params=dict(type='dict', no_log=True),
        update_secret=dict(type='str', choices=['always', 'on_create'], default='always', no_log=False),
        verify=dict(type='bool', default=False),
    ),
    required_one_of=[('id', 'name')],
    mutually_exclusive=[('id', 'connector_id')],
)


def _values(given, option):
    """``{parameter: value as a string}``; a value that is not a string, number or boolean is refused."""
    out = {}
    for name, value in (given or {}).items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError('%s: a parameter name must not be empty' % option)
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            raise ValueError('%s.%s must be a string, a number or a boolean' % (option, name))
        out[name] = value
    return out


def _check(params):
    for option in ('id', 'name', 'space_id', 'connector_id'):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    plain, secret = _values(params['params'], 'params'), _values(params['secret_params'], 'secret_params')
    both = sorted(set(plain) & set(secret))
    if both:
        raise ValueError('parameter(s) %s are in both params and secret_params: give each once' % ', '.join(both))
    return plain, secret


def _settings(detail, plain):
    """What is compared: the connection and the values of the parameters in ``params``."""
    if detail is None:
        return None
    values = dict((p.get('name'), p.get('value')) for p in detail.get('params') or [])
    return dict(id=detail.get('id'), name=detail.get('name'), connectorId=detail.get('connectorId'),
                spaceId=detail.get('spaceId'), params=dict((n, values.get(n)) for n in plain), secrets=None)


def run(task):
    params = task.params
    plain, secret = _check(params)
    api = automation_connections.AutomationConnections(task.client())
    for value in secret.values():
        api.client.redact(value)
    found = api.find(params['id'], None if params['id'] else params['name'], params['space_id'])
    if found is None and params['id']:
        raise ValueError('no automation connection with id %s in this tenant (%s)' % (params['id'], api.client.host))
    if found is None and not params['connector_id']:
        raise ValueError('no automation connection named %r in this tenant (%s)%s: give connector_id to create it' % (
            params['name'], api.client.host, ' in space %s' % params['space_id'] if params['space_id'] else ''))
    if found is not None and params['connector_id'] and params['connector_id'] != found.get('connectorId'):
        raise ValueError('the connector of automation connection %r is %s and cannot change (asked for %s)' % (
            found.get('name'), found.get('connectorId'), params['connector_id']))
    detail = api.get(found['id'], values=list(plain)) if found else None
    ids = dict((p.get('name'), p.get('id')) for p in (detail or {}).get('params') or [])
    if detail is not None:
        if secret and params['update_secret'] == 'always' and automation_connections.interactive(detail):
            raise ValueError('automation connection %r uses interactive OAuth (account %s): a user re-authorises it '
                             'by signing in to Qlik Automate, new parameter values cannot; nothing was changed' % (
                                 detail.get('name'), detail.get('oauthAccountName') or 'unknown'))
        unknown = sorted((set(plain) | set(secret)) - set(ids))
        if unknown:
            raise ValueError('automation connection %r has no parameter %s (its parameters: %s); nothing was '
                             'changed' % (detail.get('name'), ', '.join(unknown), ', '.join(sorted(ids)) or 'none'))
    send_secrets = bool(secret) and (detail is None or params['update_secret'] == 'always')
    desired = dict(params=plain or None, secrets=sorted(secret) if send_secrets else None)
    current = _settings(detail, plain)
    every = dict(plain, **secret)
    written = []
    created = {}

    def put(changes, hide):
        """The PUT of the changed parameters (and the secret ones), with secret values replaced if ``hide``."""
        changed = [n for n in plain if current['params'].get(n) != plain[n]] if 'params' in changes else []
        names = changed + (sorted(secret) if changes.get('secrets') else [])
        written[:] = names
        body = dict(params=[dict(id=ids[n], value=REDACTED if hide and n in secret else every[n]) for n in names])
        return dict(method='PUT', path=api.path(current['id']), body=body)

    def post(hide):
        """The POST that creates the connection with every parameter, with secret values replaced if ``hide``."""
        written[:] = sorted(every)
        body = dict(connectorId=params['connector_id'], name=params['name'],
                    params=[dict(name=n, value=REDACTED if hide and n in secret else every[n]) for n in sorted(every)])
        if params['space_id']:
            body['spaceId'] = params['space_id']
        return dict(method='POST', path=api.path(), body=body)

    def create(wanted):
        created.update(api.create(post(hide=False)['body'], values=list(plain)))
        return dict(_settings(created, plain), secrets=wanted['secrets'])

    def update(dummy, changes):
        api.update(current['id'], put(changes, hide=False)['body'])
        return [put(changes, hide=True)]

    def view(record):
        if not record:
            return dict(state='absent')
        return dict(state='present', name=record.get('name', params['name']),
                    connectorId=record.get('connectorId', params['connector_id']),
                    spaceId=record.get('spaceId', params['space_id']), params=record.get('params') or {},
                    secret_params_written=record.get('secrets') or [])

    outcome = ensure(task, current, desired, create, update, view=view,
                     operations=lambda changes: [put(changes, hide=True)])
    sent = [post(hide=True)] if detail is None else outcome.get('sent') or []
    record = created or detail or dict(name=params['name'], connectorId=params['connector_id'],
                                       spaceId=params['space_id'])
    shown = automation_connections.public(record, values=list(plain))
    if shown.get('params') and not created:
        shown['params'] = [dict(p, value=plain[p['name']]) if p.get('name') in plain else p for p in shown['params']]
    result = dict(changed=outcome['changed'], automation_connection=shown, updated_params=list(written), sent=sent)
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if params['verify'] and not task.check_mode:
        result['connected'] = api.check(shown['id'])
        if not result['connected']:
            raise TaskFailure('automation connection %r does not connect: Qlik\'s check (actions/check) answered '
                              'connected=false%s' % (shown.get('name'), ' after its parameters were updated'
                                                     if outcome['changed'] else ''), result, changed=outcome['changed'])
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
