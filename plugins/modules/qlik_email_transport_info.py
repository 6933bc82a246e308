#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_email_transport_info
short_description: Read the email configuration (SMTP or Microsoft 365) of a Qlik Cloud tenant
version_added: 0.2.0
description:
  - Reads the tenant's email configuration (C(GET /api/v1/transports/email-config)) - the provider, its settings,
    whether a secret is stored (C(passwordExists)) and whether Qlik holds the configuration for valid. Never the
    secret itself, which Qlik does not return.
  - Sends nothing to the mail server; M(qlikcloud.platform.qlik_email_transport) with O(qlikcloud.platform.qlik_email_transport#module:verify=true)
    runs Qlik's connection check.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options: {}
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
notes:
  - The credentials must be those of a tenant admin; Qlik answers 403 to anyone else.
seealso:
  - module: qlikcloud.platform.qlik_email_transport
'''

EXAMPLES = r'''
- name: Is the tenant's mail channel configured and working?
  qlikcloud.platform.qlik_email_transport_info:
    tenant_url: acme.eu.qlikcloud.com
  register: mail

- name: Say so
  ansible.builtin.debug:
    msg: "{{ mail.summary.service_provider }}: valid={{ mail.summary.is_valid }} ({{ mail.summary.error_code }})"
  when: mail.summary.configured
'''

RETURN = r'''
email_transport:
  description: The configuration as the API describes it (never a secret), or an empty dict when there is none.
  returned: always
  type: dict
  sample:
    serviceProvider: BasicAuth
    providerConfig: {serverAddress: smtp.example.com, serverPort: 587, securityType: StartTLS,
                     username: qlik-notifications, emailAddress: qlik@example.com, senderName: Qlik Cloud}
    passwordExists: true
    isValid: true
    errorCode: OK
    authFailures: 0
    modificationTime: '2026-11-30T10:00:00.000Z'
summary:
  description:
    - The same in a fixed shape for reports, C(login) being the SMTP user name or the Microsoft 365 client id and
      C(secret_stored) Qlik's C(passwordExists).
  returned: always
  type: dict
  sample: {configured: true, service_provider: BasicAuth, email_address: qlik@example.com, login: qlik-notifications,
           secret_stored: true, is_valid: true, error_code: OK, auth_failures: 0, modified: '2026-11-30T10:00:00.000Z'}
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import email_transport
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=tenant_argument_spec())


def run(task):
    record = email_transport.EmailTransport(task.client()).get()
    return dict(changed=False, email_transport=record or {}, summary=email_transport.summary(record))


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
