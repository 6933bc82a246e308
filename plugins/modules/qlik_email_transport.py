#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_email_transport
short_description: Ensure the email configuration (SMTP or Microsoft 365) of a Qlik Cloud tenant
version_added: 0.2.0
description:
  - Sets, checks or deletes the tenant-wide mail channel that Qlik Cloud uses for notifications, data alerts
    and subscriptions (Transports API, C(/api/v1/transports/email-config)). A tenant has one; Qlik Automate
    workflows use their own SMTP settings, not this one.
  - The configuration is written as Qlik wants it, with one C(PUT) that creates or replaces it as a whole;
    the settings not given are copied from the configuration as read.
  - Its secret (O(password) or O(m365_client_secret)) cannot be read back. As for other write-only secrets in
    Ansible, O(update_secret) decides. With V(always) (the default) a run that is given the secret writes it and
    reports C(changed); with V(on_create) it is written when the configuration is created (or its provider
    changes). The other settings are compared with the configuration and only written when they differ.
  - Because a C(PUT) replaces everything, a change of another setting sends the given secret along (also with
    V(on_create)); a change without the secret, which would remove the stored one, is refused before any write.
  - O(verify=true) runs Qlik's connection check (a handshake with the mail server, no mail sent) and fails the
    task when it does not succeed, for example for a wrong password; O(test_recipient) sends a test mail.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  service_provider:
    description:
      - The kind of mail service (C(serviceProvider)). Not given, it follows from the options given (the
        Microsoft 365 ones, else SMTP), else it stays as configured.
    type: str
    choices: [BasicAuth, Microsoft365]
  server_address:
    description: SMTP server host name or IP address (C(serverAddress)).
    type: str
  server_port:
    description: SMTP server port (C(serverPort)), for example V(587).
    type: int
  security_type:
    description: How the SMTP connection is secured (C(securityType)).
    type: str
    choices: [none, StartTLS, SSL/TLS]
  username:
    description: SMTP login (C(username)). Give O(password) with it.
    type: str
  password:
    description:
      - SMTP password (C(emailPassword)). Never logged or returned; written according to O(update_secret).
    type: str
  email_address:
    description: The sender's address (C(emailAddress)); for Microsoft 365, the mailbox that sends.
    type: str
  sender_name:
    description: The sender's display name (C(senderName)); SMTP only.
    type: str
  provider_tenant_id:
    description: Microsoft 365 - the Microsoft Entra tenant id (C(providerTenantId)).
    type: str
  m365_client_id:
    description:
      - Microsoft 365 - the application (client) id of the Entra app that sends mail (C(clientId)). Not
        O(client_id), which is this task's own credential for Qlik Cloud.
    type: str
  m365_client_secret:
    description:
      - Microsoft 365 - the Entra app's client secret (C(clientSecret)). Never logged or returned; written
        according to O(update_secret).
    type: str
  update_secret:
    description:
      - When the secret given (O(password) or O(m365_client_secret)) is written.
      - V(always) writes it on every run and so reports C(changed) whenever it is given, even if it is the stored
        one (Qlik cannot tell).
      - V(on_create) writes it only when the configuration is created or its provider changes, or along with a
        change of another setting (a C(PUT) replaces everything); a run that changes nothing else reports no change.
    type: str
    choices: [always, on_create]
    default: always
  verify:
    description:
      - Run Qlik's connection check after the configuration is written (or found as wanted), and fail when it does
        not succeed (wrong password, server not reachable). Qlik answers the check with HTTP 200 either way;
        RV(verify) holds its answer.
    type: bool
    default: false
  test_recipient:
    description: Send a test mail to this address with the configuration, and fail when it cannot be sent.
    type: str
  test_subject:
    description: Subject of the test mail.
    type: str
    default: Qlik Cloud test email
  test_body:
    description: Text of the test mail.
    type: str
    default: This is a test email from the Qlik Cloud tenant's email configuration.
  state:
    description: V(present) creates or updates the configuration; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written and neither the check nor a test mail is sent; RV(requests) lists every call the run
        would make (the secret replaced).
  diff_mode:
    support: full
    details: Shows the configuration and whether a secret is stored or written; never a secret.
notes:
  - The credentials (O(client_id), O(client_secret) or O(access_token)) must be those of a tenant admin; Qlik
    answers 403 to anyone else.
  - The connection check and the test mail do not change the configuration, so they do not make the task changed.
seealso:
  - module: qlikcloud.platform.qlik_email_transport_info
  - name: Configure tenant email provider
    description: Qlik's tutorial.
    link: https://qlik.dev/manage/tenants/email-provider
  - name: Transports API
    description: Qlik's reference.
    link: https://qlik.dev/apis/rest/transports
'''

EXAMPLES = r'''
- name: Rotate the SMTP password of every tenant and check that the server accepts it
  qlikcloud.platform.qlik_email_transport:
    tenant_url: "{{ qlik_tenant_url }}"
    server_address: smtp.example.com
    server_port: 587
    security_type: StartTLS
    username: qlik-notifications
    password: "{{ vault_smtp_password }}"
    email_address: qlik@example.com
    sender_name: Qlik Cloud
    verify: true

- name: Microsoft 365, with a test mail
  qlikcloud.platform.qlik_email_transport:
    tenant_url: acme.eu.qlikcloud.com
    provider_tenant_id: 3f2b9c1e-7d4a-4e8b-9a0c-1d2e3f4a5b6c
    m365_client_id: 8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d
    m365_client_secret: "{{ vault_m365_secret }}"
    email_address: qlik@example.com
    update_secret: on_create
    test_recipient: platform-team@example.com

- name: Remove it
  qlikcloud.platform.qlik_email_transport:
    tenant_url: acme.eu.qlikcloud.com
    state: absent
'''

RETURN = r'''
email_transport:
  description:
    - The configuration as the API describes it (C(serviceProvider), C(providerConfig), C(passwordExists),
      C(isValid), C(errorCode), ...), never a secret; an empty dict when there is none.
    - Read again after a write; in check mode, as it would be.
  returned: always
  type: dict
  sample:
    serviceProvider: BasicAuth
    providerConfig: {serverAddress: smtp.example.com, serverPort: 587, securityType: StartTLS,
                     username: qlik-notifications, emailAddress: qlik@example.com, senderName: Qlik Cloud}
    passwordExists: true
    isValid: true
    errorCode: OK
credentials_written:
  description: The secret options whose values were written (or would be in check mode); never a value.
  returned: when a secret was written
  type: list
  elements: str
  sample: [password]
requests:
  description:
    - Every write and check sent (in check mode, that would be sent), in order, the secret replaced by C(********).
  returned: when something was sent, or would be in check mode
  type: list
  elements: dict
  sample:
    - method: PUT
      path: /api/v1/transports/email-config
      body: {serviceProvider: BasicAuth, providerConfig: {serverAddress: smtp.example.com, emailPassword: '********'}}
    - method: POST
      path: /api/v1/transports/email-config/actions/verify-connection
verify:
  description: Qlik's answer to the connection check.
  returned: when O(verify=true), outside check mode
  type: dict
  sample: {success: false, connectionFailed: false, message: 535 5.7.8 Authentication credentials invalid, smtpResponseCode: 535}
test_email:
  description: Qlik's answer to sending the test mail.
  returned: when O(test_recipient) is given, outside check mode
  type: dict
  sample: {success: true, connectionFailed: false, message: 250 2.0.0 OK, smtpResponseCode: 250}
'''

import re

from ansible_collections.qlikcloud.platform.plugins.module_utils import email_transport
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        service_provider=dict(type='str', choices=['BasicAuth', 'Microsoft365']),
        server_address=dict(type='str'),
        server_port=dict(type='int'),
        security_type=dict(type='str', choices=list(email_transport.SECURITY_TYPES)),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        email_address=dict(type='str'),
        sender_name=dict(type='str'),
        provider_tenant_id=dict(type='str'),
        m365_client_id=dict(type='str'),
        m365_client_secret=dict(type='str', no_log=True),
        update_secret=dict(type='str', choices=['always', 'on_create'], default='always'),
        verify=dict(type='bool', default=False),
        test_recipient=dict(type='str'),
        test_subject=dict(type='str', default='Qlik Cloud test email'),
        test_body=dict(type='str', default="This is a test email from the Qlik Cloud tenant's email configuration."),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
)
# module option -> API field, per provider (email_address is both's)
OPTIONS = {
    'BasicAuth': dict(server_address='serverAddress', server_port='serverPort', security_type='securityType',
                      username='username', email_address='emailAddress', sender_name='senderName'),
    'Microsoft365': dict(provider_tenant_id='providerTenantId', m365_client_id='clientId',
                         email_address='emailAddress'),
}
SECRET_OPTION = {'BasicAuth': 'password', 'Microsoft365': 'm365_client_secret'}
REQUIRED = {'BasicAuth': ('server_address', 'server_port', 'security_type', 'email_address'),
            'Microsoft365': ('provider_tenant_id', 'm365_client_id', 'email_address')}
ADDRESS = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


def _only(provider):
    """The options that belong to ``provider`` alone (its secret included)."""
    other = 'Microsoft365' if provider == 'BasicAuth' else 'BasicAuth'
    return [o for o in list(OPTIONS[provider]) + [SECRET_OPTION[provider]] if o not in OPTIONS[other]]


def _provider(params, current):
    """The provider the task wants: named, implied by the options given, or the one configured."""
    given = dict((p, [o for o in _only(p) if params[o] is not None]) for p in OPTIONS)
    if given['BasicAuth'] and given['Microsoft365']:
        raise ValueError('%s are SMTP (BasicAuth) options and %s are Microsoft 365 options: give the options of one '
                         'service_provider' % (', '.join(given['BasicAuth']), ', '.join(given['Microsoft365'])))
    implied = 'Microsoft365' if given['Microsoft365'] else 'BasicAuth' if given['BasicAuth'] else None
    named = params['service_provider']
    if named and implied and named != implied:
        raise ValueError('service_provider is %s but %s are %s options' % (named, ', '.join(given[implied]), implied))
    return named or implied or (current or {}).get('serviceProvider') or 'BasicAuth'


def _check_input(params):
    for option in ('server_address', 'username', 'email_address', 'sender_name', 'provider_tenant_id',
                   'm365_client_id', 'test_recipient'):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    if params['server_port'] is not None and not 1 <= params['server_port'] <= 65535:
        raise ValueError('server_port must be from 1 to 65535, got %d' % params['server_port'])
    for option in ('email_address', 'test_recipient'):
        if params[option] is not None and not ADDRESS.match(params[option]):
            raise ValueError('%s must be an email address (name@domain), got %r' % (option, params[option]))
    if params['state'] == 'absent' and (params['verify'] or params['test_recipient']):
        raise ValueError('verify and test_recipient need state=present')


def run(task):
    params = task.params
    _check_input(params)
    api = email_transport.EmailTransport(task.client())
    record = api.get()
    current = email_transport.settings(record)
    provider = _provider(params, current)
    creating = current is None or current['serviceProvider'] != provider
    secret_option = SECRET_OPTION[provider]
    secret = params[secret_option]
    desired = dict(serviceProvider=provider)
    desired.update((field, params[option]) for option, field in OPTIONS[provider].items())
    if creating and params['state'] == 'present':
        needed = list(REQUIRED[provider])
        if provider == 'Microsoft365' or params['username'] is not None:
            needed.append(secret_option)  # a login without its secret is an incomplete configuration
        missing = [o for o in needed if params[o] is None]
        if missing:
            raise ValueError('%s the tenant\'s email configuration (%s) needs %s (missing: %s)' % (
                'creating' if current is None else 'changing the provider of', provider, ', '.join(needed),
                ', '.join(missing)))
    secret_field = email_transport.SECRET_FIELD[provider]
    if secret is not None and (creating or params['update_secret'] == 'always'):
        desired[secret_field] = secret
    will_write = params['state'] == 'present' and (creating or bool(changes_between(current, desired)))
    if will_write and secret is None and not creating and record.get('passwordExists'):
        raise ValueError('changing the tenant\'s email configuration replaces it as a whole (PUT), which would remove '
                         'the stored %s: give %s too' % ('password' if provider == 'BasicAuth' else 'client secret',
                                                         secret_option))
    if secret is not None and not will_write and params['state'] == 'present' and not record.get('passwordExists'):
        task.warn('the tenant\'s email configuration has no %s stored and update_secret=on_create writes it only on '
                  'creation: run once with update_secret=always to set it' % secret_option)
    written = [secret_option] if will_write and secret is not None else []
    requests = []

    def fields(changes):
        """The configuration after ``changes``: a new one (or one of another provider) is what is asked for."""
        base = dict(desired) if creating else dict(current, **changes)
        return dict((k, v) for k, v in base.items() if k != secret_field and v is not None)

    def put_request(changes):
        return email_transport.put_request(provider, fields(changes), secret)

    def write(request):
        requests.append(email_transport.shown(request))
        return api.send(request)

    def create(wanted):
        write(put_request(wanted))
        return fields(wanted)

    def update(dummy, changes):
        write(put_request(changes))
        return list(requests)

    def delete(dummy):
        return write(email_transport.delete_request())

    def view(shown_settings):
        """What --diff shows: the configuration, and whether a secret is stored or written; never a secret."""
        if not shown_settings:
            return dict(state='absent')
        out = dict((k, v) for k, v in shown_settings.items() if k != secret_field)
        out['state'] = 'present'
        stored = bool(record and record.get('passwordExists'))
        out['secret'] = 'written' if written and shown_settings is not current else 'stored' if stored else 'not stored'
        return out

    outcome = ensure(task, current, desired, create, update, delete, view, state=params['state'],
                     apply=lambda dummy, changes: fields(changes),
                     operations=lambda changes: [email_transport.shown(put_request(changes))])
    if task.check_mode and outcome['changed']:
        if params['state'] == 'absent':
            requests.append(email_transport.shown(email_transport.delete_request()))
        else:
            requests.extend(outcome.get('sent') or [email_transport.shown(put_request(desired))])
    result = dict(changed=outcome['changed'], email_transport={})
    if params['state'] == 'present':
        if outcome['changed'] and not task.check_mode:
            record = api.get()
        elif outcome['changed']:
            after = outcome['after']
            record = dict(record or {}, serviceProvider=provider, providerConfig=dict(
                (k, v) for k, v in after.items() if k != 'serviceProvider' and v is not None))
        result['email_transport'] = record or {}
        if written:
            result['credentials_written'] = written
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    _checks(task, api, params, requests, result)
    if requests:
        result['requests'] = requests
    return result


def _checks(task, api, params, requests, result):
    """The connection check and the test mail (planned only, in check mode); a failed one fails the task."""
    checks = []
    if params['verify']:
        checks.append(('verify', email_transport.VERIFY, api.verify, 'the connection check'))
    if params['test_recipient']:
        checks.append(('test_email', email_transport.SEND_TEST, lambda: api.send_test(
            params['test_recipient'], params['test_subject'], params['test_body']), 'sending a test mail to %s' % (
                params['test_recipient'])))
    for key, path, call, what in checks:
        requests.append(dict(method='POST', path=path))
        if task.check_mode:
            continue
        answer = call()
        result[key] = answer
        if not answer['success']:
            raise TaskFailure('%s of the tenant\'s email configuration failed%s: %s (SMTP response code %s)' % (
                what, ' to connect' if answer.get('connectionFailed') else '', answer.get('message') or 'no message',
                answer.get('smtpResponseCode')), dict(result, requests=requests))


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
