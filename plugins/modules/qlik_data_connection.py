#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_data_connection
short_description: Ensure an analytics data connection of a Qlik Cloud tenant and its credentials
version_added: 0.2.0
description:
  - Creates, updates or deletes an analytics data connection (C(/api/v1/data-connections)), found by
    O(id), else by O(name) in O(space) (no O(space) is the personal space of the caller).
  - Sets the connection's credentials, the way to rotate them across tenants - O(username) and O(password)
    (the logon credential embedded in or linked to the connection) and O(connection_secret) (the
    connection-level secret).
  - Qlik never returns a user name, password or secret, so whether a given one differs from the stored one
    cannot be known. As for other write-only secrets in Ansible, O(update_secret) decides. With V(always)
    (the default) a run that is given a credential writes it and reports C(changed); with V(on_create) a
    credential is only written when the connection is created. The other settings (O(name), O(connection_string))
    are compared with the connection and only written when they differ.
  - An update is one C(PUT) of the whole connection, its identity and settings copied from the connection as
    read; credentials not given are not sent and Qlik keeps them.
  - A connection of an OAuth-based data source (one that uses interactive OAuth) is refused clearly. Qlik
    accepts a change to it only with an authorization code that an interactive user login produces, so it
    cannot be rotated unattended. Its owner re-authorises it in Qlik Cloud, or it is recreated.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: The connection's C(qID). The surest way to name an existing connection.
    type: str
  name:
    description:
      - The connection's name (C(qName)). Finds the connection in O(space) when O(id) is not given (a name held
        by two connections there is an error); with O(id), the connection is renamed to it.
    type: str
  space:
    description:
      - The id of the space that holds the connection (C(space)). Not given, the connection is looked for, and
        made, in the personal space of the caller (the OAuth client's user).
      - A connection cannot be moved to another space with this module.
    type: str
  connection_string:
    description:
      - The connection string (C(qConnectStatement)). Needed to create a connection; an existing one gets it when
        it differs. Left as it is when not given.
    type: str
  type:
    description:
      - The connector type (C(qType)), for example V(QvOdbcConnectorPackage.exe). Needed to create a connection;
        it cannot change afterwards.
    type: str
  datasource_id:
    description:
      - The data source (C(datasourceID)), for example V(postgres) or V(snowflake). Needed to create a
        connection; it cannot change afterwards.
    type: str
  username:
    description:
      - The logon user name of the connection's credential (C(qUsername)). Qlik does not return it, so it is
        written, as the secrets are, according to O(update_secret). Give it with O(password).
    type: str
  password:
    description:
      - The logon password of the connection's credential (C(qPassword)). Never logged or returned.
      - Written according to O(update_secret).
    type: str
  connection_secret:
    description:
      - The connection-level secret (C(qConnectionSecret)); V("") clears it. Never logged or returned.
      - Written according to O(update_secret).
    type: str
  update_secret:
    description:
      - When the credentials given (O(username), O(password), O(connection_secret)) are written.
      - V(always) writes them on every run and so reports C(changed) whenever one is given, even if it is the
        stored one (Qlik cannot tell).
      - V(on_create) writes them only when the connection is created; a run that changes nothing else then
        reports no change. Use it to create connections whose credentials are rotated elsewhere.
    type: str
    choices: [always, on_create]
    default: always
  state:
    description: V(present) creates or updates the connection; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; RV(requests) lists every write the run would send (secrets replaced).
      - Whether a connection is OAuth-based shows only when Qlik refuses the write, so check mode cannot tell.
  diff_mode:
    support: full
    details: Shows the connection's settings and whether credentials are set or written; never a credential.
notes:
  - The caller needs a role that lets it update the connection (its owner, a role in its space, or the tenant
    admin role). Personal connections of other users are not visible to it.
seealso:
  - module: qlikcloud.platform.qlik_data_connection_info
  - name: Update data connections
    description: Qlik's guide to updating data connections, and why interactive OAuth connections cannot be.
    link: https://qlik.dev/manage/data-connections/update-data-connections/
  - name: Data Connections API
    description: Qlik's reference.
    link: https://qlik.dev/apis/rest/data-connections
'''

EXAMPLES = r'''
- name: Rotate the warehouse password on every tenant
  qlikcloud.platform.qlik_data_connection:
    tenant_url: "{{ qlik_tenant_url }}"
    name: warehouse
    space: 62a1f0c4e5b7a1b2c3d4e5f6
    username: qlik_reader
    password: "{{ vault_warehouse_password }}"

- name: Create a connection whose password is rotated by another job
  qlikcloud.platform.qlik_data_connection:
    tenant_url: acme.eu.qlikcloud.com
    name: orders
    type: QvOdbcConnectorPackage.exe
    datasource_id: postgres
    connection_string: CUSTOM CONNECT TO "provider=QvOdbcConnectorPackage.exe;driver=postgres;host=db.example.com;port=5432;db=orders;"
    username: qlik_reader
    password: "{{ vault_orders_password }}"
    update_secret: on_create

- name: Delete it
  qlikcloud.platform.qlik_data_connection:
    tenant_url: acme.eu.qlikcloud.com
    name: orders
    state: absent
'''

RETURN = r'''
data_connection:
  description:
    - The connection as the API describes it, never a credential or C(qConnectionSecret); an empty dict when absent.
    - In check mode, the connection as it would be (a new one has no C(qID) yet).
  returned: always
  type: dict
  sample:
    qID: 2ec65703-1371-498c-9f48-a72fbf7ef2cc
    qName: warehouse
    qType: QvOdbcConnectorPackage.exe
    datasourceID: postgres
    qConnectStatement: CUSTOM CONNECT TO "provider=QvOdbcConnectorPackage.exe;driver=postgres;host=db.example.com;"
    qCredentialsID: be6910a6-0101-464f-8335-2c6099d222b6
    space: 62a1f0c4e5b7a1b2c3d4e5f6
    user: 6K9xjsItDexffolu5vg1oWYkY8x7f-0G
credentials_written:
  description: The credential options whose values were written (or would be in check mode); never a value.
  returned: when credentials were written
  type: list
  elements: str
  sample: [password, username]
requests:
  description:
    - Every write sent (in check mode, that would be sent), in order, with the secrets in bodies replaced by
      C(********).
  returned: when something changed
  type: list
  elements: dict
  sample:
    - method: PUT
      path: /api/v1/data-connections/2ec65703-1371-498c-9f48-a72fbf7ef2cc
      body: {qID: 2ec65703-1371-498c-9f48-a72fbf7ef2cc, qName: warehouse, qPassword: '********', qUsername: qlik_reader}
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import data_connections
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        space=dict(type='str'),
        connection_string=dict(type='str'),
        type=dict(type='str'),
        datasource_id=dict(type='str'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        connection_secret=dict(type='str', no_log=True),
        update_secret=dict(type='str', choices=['always', 'on_create'], default='always'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
    required_one_of=[('id', 'name')],
)
# options that cannot change on an existing connection -> API field
_FIXED = dict(type='qType', datasource_id='datasourceID')


def _check_input(params, current):
    """Refuse what cannot be done, before any write."""
    if params['state'] == 'absent':
        return
    if current is None:
        missing = [o for o in ('connection_string', 'type', 'datasource_id') if not params[o]]
        if missing:
            raise ValueError('creating data connection %r needs connection_string, type and datasource_id '
                             '(missing: %s)' % (params['name'], ', '.join(missing)))
        return
    for option, field in _FIXED.items():
        if params[option] and params[option] != current.get(field):
            raise ValueError('%s of data connection %r is %s and cannot change (asked for %s): create another '
                             'connection' % (option, current.get('qName'), current.get(field), params[option]))
    if params['space'] and params['space'] != (current.get('space') or None):
        raise ValueError('space: data connection %r is in %s, not in %s; this module does not move connections' % (
            current.get('qName'), current.get('space') or 'the personal space', params['space']))


def _oauth_failure(exc, current, params):
    what = 'data connection %r' % (current or {}).get('qName', params['name'])
    action = 'creating' if current is None else 'updating'
    return TaskFailure(
        '%s uses interactive OAuth (an OAuth-based data source): Qlik accepts %s it only with an authorization code '
        'from an interactive user login (the qlik-auth-code header), so it cannot be done unattended. Have its owner '
        're-authorise it in Qlik Cloud, or recreate it. Nothing was changed. (%s)' % (what, action, exc.message),
        dict(changed=False), **exc.to_result())


def _shown(request):
    if request.get('body') is None:
        return dict(method=request['method'], path=request['path'])
    return dict(request, body=data_connections.shown_body(request['body']))


def run(task):
    params = task.params
    api = data_connections.DataConnections(task.client())
    for option in ('id', 'name', 'space', 'connection_string', 'type', 'datasource_id'):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    current = api.find(params['id'], params['name'], params['space'])
    if current is None and params['id'] and params['state'] == 'present':
        raise ValueError('no data connection with id %s in this tenant (%s)' % (params['id'], api.client.host))
    _check_input(params, current)

    given = [o for o in data_connections.CREDENTIAL_FIELDS if params[o] is not None]
    written = sorted(given) if given and (current is None or params['update_secret'] == 'always') else []
    if given and not written and params['state'] == 'present' and not data_connections.has_credentials(current) \
            and (params['username'] is not None or params['password'] is not None):
        task.warn('data connection %r has no credential and update_secret=on_create writes username/password only '
                  'when creating it: run once with update_secret=always to set them' % current.get('qName'))
    desired = dict(qName=params['name'], qConnectStatement=params['connection_string'], qType=params['type'],
                   datasourceID=params['datasource_id'])
    desired.update((data_connections.CREDENTIAL_FIELDS[o], params[o]) for o in written)
    requests, made = [], {}

    def create_body(wanted):
        body = dict((k, v) for k, v in wanted.items() if v is not None)
        if params['space']:
            body['space'] = params['space']
        return body

    def create(wanted):
        body = create_body(wanted)
        requests.append(_shown(api.create_request(body)))
        made.update(api.create(body))
        return data_connections.settings(made)

    def update(dummy, changes):
        request = api.update_request(current, changes)
        requests.append(_shown(request))
        api.send(request)
        return requests

    def delete(dummy):
        request = api.delete_request(current)
        requests.append(_shown(request))
        return api.send(request)

    before = data_connections.settings(current)

    def view(record):
        """What --diff shows: the settings, and whether credentials are set or written; never a credential."""
        if not record:
            return dict(state='absent')
        out = dict((field, record.get(field)) for field in data_connections.SETTINGS)
        out['state'] = 'present'
        if record is before:
            out['credentials'] = 'set' if data_connections.has_credentials(current) else 'not set'
        else:
            out['credentials'] = 'written (%s)' % ', '.join(written) if written else (
                'set' if current is not None and data_connections.has_credentials(current) else 'not set')
        return out

    def apply(record, changes):
        return dict(record, **dict((k, v) for k, v in changes.items() if k in data_connections.SETTINGS))

    try:
        outcome = ensure(task, before, desired, create, update, delete, view, state=params['state'], apply=apply,
                         operations=lambda changes: [_shown(api.update_request(current, changes))])
    except QlikAPIError as exc:
        if data_connections.is_oauth_refusal(exc):
            raise _oauth_failure(exc, current, params)
        raise
    if task.check_mode and outcome['changed']:
        if params['state'] == 'absent':
            requests = [_shown(api.delete_request(current))]
        elif current is None:
            requests = [_shown(api.create_request(create_body(desired)))]
        else:
            requests = outcome['sent']
    result = dict(changed=outcome['changed'], data_connection={})
    if params['state'] == 'present':
        if made or current is None:
            # created, or in check mode what would be: the settings, never a credential
            result['data_connection'] = made or dict((k, v) for k, v in create_body(outcome['after']).items()
                                                     if k not in data_connections.CREDENTIAL_FIELDS.values())
        else:
            after = outcome['after']
            result['data_connection'] = dict(current, **dict((k, after[k]) for k in data_connections.SETTINGS
                                                             if after[k] != before[k]))
        if written and outcome['changed']:
            result['credentials_written'] = written
    if outcome['changed']:
        result['requests'] = requests
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
