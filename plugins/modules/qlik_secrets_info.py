#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_secrets_info
short_description: Audit every secret a Qlik Cloud tenant holds, for rotation and offboarding
version_added: 0.2.0
description:
  - One read-only report per tenant of every secret-bearing object that Qlik's secrets overview names - OAuth
    client secrets and their ages, API keys and their expiry, data connections that hold credentials, the
    tenant's email configuration, triggered automations (whose execution token never expires) and automation
    connections.
  - Each item says whether it is due - a secret older than O(max_age), an API key that expires within
    O(expires_within) - and RV(rows) holds the whole report as flat rows, so that a fleet run can write one CSV
    on the controller (see C(examples/secrets_audit.yml)).
  - Never returns a secret, a token or a password; only hints, names, ids and times.
  - A part that cannot be read (an API the caller may not use, say) is reported in RV(errors) and as a warning;
    the rest of the report is still made.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  include:
    description: The kinds of secret to report.
    type: list
    elements: str
    choices: [oauth_clients, api_keys, data_connections, email_transport, automations, automation_connections]
    default: [oauth_clients, api_keys, data_connections, email_transport, automations, automation_connections]
  max_age:
    description:
      - A secret older than this ISO 8601 duration (or seconds) is due for rotation - OAuth client secrets, and
        the execution tokens of triggered automations (their age is the automation's). Qlik shows no age for
        the credentials of data connections, the email configuration and automation connections; their last
        change is reported where Qlik gives one.
    type: raw
    default: P90D
  expires_within:
    description: An active API key that expires within this ISO 8601 duration (or seconds) is due for rotation.
    type: raw
    default: P30D
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
notes:
  - The credentials are those of a tenant admin; a caller without the role sees less (Qlik lists only what it may
    see), and the parts it may not read at all are in RV(errors).
seealso:
  - module: qlikcloud.platform.qlik_oauth_client_info
  - module: qlikcloud.platform.qlik_api_key_info
  - module: qlikcloud.platform.qlik_data_connection_info
  - module: qlikcloud.platform.qlik_email_transport_info
  - module: qlikcloud.platform.qlik_automation_info
  - module: qlikcloud.platform.qlik_automation_connection_info
  - name: Secret management
    description: Qlik's table of the secrets a platform team rotates and offboards.
    link: https://qlik.dev/manage/oem/privacy-security/secrets-encryption/
'''

EXAMPLES = r'''
- name: What is due for rotation in this tenant
  qlikcloud.platform.qlik_secrets_info:
    tenant_url: acme.eu.qlikcloud.com
    max_age: P90D
    expires_within: P30D
  register: audit

- name: Say it
  ansible.builtin.debug:
    msg: "{{ audit.rows | selectattr('due') | map(attribute='name') | list }}"
'''

RETURN = r'''
report:
  description: Per kind, the items found (never a secret).
  returned: always
  type: dict
  contains:
    oauth_clients:
      description: Each client with its secrets (C(hint), C(createdAt), C(age_days), C(due)).
      type: list
      elements: dict
    api_keys:
      description: The active keys (every user's, for a tenant admin) with C(expires_in_days) and C(due).
      type: list
      elements: dict
    data_connections:
      description: The connections that hold a credential (C(qCredentialsID) set), with their owner and space.
      type: list
      elements: dict
    email_transport:
      description: The email configuration's summary (provider, sender, whether a secret is stored, validity).
      type: dict
    automations:
      description: The triggered automations, whose execution token does not expire, with C(age_days) and C(due).
      type: list
      elements: dict
    automation_connections:
      description: The automation connections (connector, space, whether it connects), never a parameter value.
      type: list
      elements: dict
rows:
  description:
    - The report as flat rows for a CSV - C(kind), C(id), C(name), C(detail), C(created), C(age_days),
      C(expires_in_days), C(due), C(tenant_url).
  returned: always
  type: list
  elements: dict
due:
  description: How many rows are due for rotation.
  returned: always
  type: int
errors:
  description: Per kind that could not be read, why.
  returned: always
  type: dict
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import (
    api_keys, automation_connections, automations, data_connections, durations, email_transport, oauth_clients)
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

KINDS = ['oauth_clients', 'api_keys', 'data_connections', 'email_transport', 'automations', 'automation_connections']
SPEC = dict(argument_spec=dict(
    tenant_argument_spec(),
    include=dict(type='list', elements='str', choices=KINDS, default=list(KINDS)),
    max_age=dict(type='raw', default='P90D'),
    expires_within=dict(type='raw', default='P30D'),
))
DAY = 86400.0


def _days(seconds):
    return None if seconds is None else round(seconds / DAY, 1)


def _age(timestamp):
    created = durations.epoch(timestamp)
    return None if created is None else max(0.0, durations.now() - created)


def _row(kind, item_id, name, detail='', created=None, age=None, expires_in=None, due=False):
    return dict(kind=kind, id=item_id, name=name, detail=detail, created=created, age_days=_days(age),
                expires_in_days=_days(expires_in), due=bool(due))


def _oauth_clients(client, limits):
    found, rows = [], []
    for record in oauth_clients.OAuthClients(client).list():
        secrets = []
        for secret in oauth_clients.newest_first(record):
            due = secret['age'] is not None and secret['age'] >= limits['max_age']
            secrets.append(dict(hint=secret.get('hint'), createdAt=secret.get('createdAt'),
                                createdBy=secret.get('createdBy'), age_days=_days(secret['age']), due=due))
            rows.append(_row('oauth_client_secret', '%s/%s' % (record.get('clientId'), secret.get('hint')),
                             record.get('clientName'), 'secret %s' % secret.get('hint'), secret.get('createdAt'),
                             secret['age'], due=due))
        found.append(dict(clientId=record.get('clientId'), clientName=record.get('clientName'),
                          appType=record.get('appType'), secrets=secrets))
    return found, rows


def _api_keys(client, limits):
    found, rows = [], []
    for key in api_keys.ApiKeys(client).list(status='active'):
        key = api_keys.with_expiry(key)
        due = key['expires_in'] is not None and key['expires_in'] <= limits['expires_within']
        found.append(dict((k, key.get(k)) for k in ('id', 'description', 'createdByUser', 'sub', 'subType', 'created',
                                                    'expiry', 'status')))
        found[-1].update(expires_in_days=_days(key['expires_in']), due=due)
        rows.append(_row('api_key', key.get('id'), key.get('description'), 'owner %s' % key.get('createdByUser'),
                         key.get('created'), _age(key.get('created')), key['expires_in'], due))
    return found, rows


def _data_connections(client, limits):
    found, rows = [], []
    for record in data_connections.DataConnections(client).list():
        if not data_connections.has_credentials(record):
            continue
        found.append(dict((k, record.get(k)) for k in ('qID', 'qName', 'qType', 'datasourceID', 'space', 'owner',
                                                       'updated', 'createdAt')))
        rows.append(_row('data_connection', record.get('qID'), record.get('qName'),
                         '%s, %s' % (record.get('datasourceID') or record.get('qType'),
                                     'space %s' % record['space'] if record.get('space') else 'personal'),
                         record.get('createdAt'), _age(record.get('createdAt'))))
    return found, rows


def _email_transport(client, limits):
    summary = email_transport.summary(email_transport.EmailTransport(client).get())
    rows = []
    if summary['configured']:
        rows.append(_row('email_transport', 'email-config', summary.get('email_address'),
                         '%s, %s, secret %s' % (summary.get('service_provider'), summary.get('login'),
                                                'stored' if summary.get('secret_stored') else 'none'),
                         summary.get('modified'), _age(summary.get('modified'))))
    return summary, rows


def _automations(client, limits):
    api = automations.Automations(client)
    found, rows = [], []
    for record in api.list():
        if record.get('runMode') != 'triggered':
            continue
        age = _age(record.get('createdAt') or record.get('created'))
        due = age is not None and age >= limits['max_age']
        found.append(dict((k, record.get(k)) for k in ('id', 'name', 'state', 'spaceId', 'ownerId', 'hasExecutionToken',
                                                       'triggerUrl', 'createdAt', 'updatedAt')))
        found[-1].update(age_days=_days(age), due=due)
        rows.append(_row('automation_token', record.get('id'), record.get('name'),
                         'triggered, %s' % record.get('state'), record.get('createdAt'), age, due=due))
    api.mask_tokens()
    return found, rows


def _automation_connections(client, limits):
    found, rows = [], []
    for record in automation_connections.AutomationConnections(client).list():
        found.append(dict((k, record.get(k)) for k in ('id', 'name', 'connectorId', 'spaceId', 'ownerId', 'isConnected',
                                                       'createdAt', 'updatedAt')))
        rows.append(_row('automation_connection', record.get('id'), record.get('name'),
                         'connector %s' % record.get('connectorId'), record.get('createdAt'),
                         _age(record.get('createdAt'))))
    return found, rows


READERS = dict(oauth_clients=_oauth_clients, api_keys=_api_keys, data_connections=_data_connections,
               email_transport=_email_transport, automations=_automations,
               automation_connections=_automation_connections)


def run(task):
    params = task.params
    limits = dict(max_age=durations.seconds(params['max_age'], 'max_age'),
                  expires_within=durations.seconds(params['expires_within'], 'expires_within'))
    client = task.client()
    report, rows, errors = {}, [], {}
    for kind in KINDS:
        if kind not in params['include']:
            continue
        try:
            report[kind], found = READERS[kind](client, limits)
        except QlikAPIError as exc:
            if exc.status == 401:  # wrong credentials: nothing of the report would be right
                raise
            errors[kind] = exc.message
            task.warn('%s could not be read: %s' % (kind.replace('_', ' '), exc.message))
            continue
        rows.extend(dict(row, tenant_url=client.base_url) for row in found)
    return dict(changed=False, report=report, rows=rows, due=sum(1 for r in rows if r['due']), errors=errors,
                tenant_url=client.base_url)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
