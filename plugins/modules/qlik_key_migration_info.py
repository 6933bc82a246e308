#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_key_migration_info
short_description: Show a Qlik Cloud tenant's ongoing or last key migration and its current key
version_added: 0.1.0
description:
  - Returns the ongoing or last key migration of the tenant
    (C(/api/v1/encryption/keyproviders/migration/actions/details)) and the current key provider.
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
seealso:
  - module: qlikcloud.platform.qlik_key_migration
  - module: qlikcloud.platform.qlik_key_provider_info
'''

EXAMPLES = r'''
- name: Report migration progress
  qlikcloud.platform.qlik_key_migration_info:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
  register: migration_info

- name: Show it
  ansible.builtin.debug:
    msg: "{{ migration_info.migration.state | default('none') }} {{ migration_info.migration.progress | default(0) }}%"
'''

RETURN = r'''
migration:
  description:
    - The ongoing or last migration (reference field names C(id) and C(migratingToFingerprint)),
      or an empty dict when the tenant never migrated (Qlik answers 404).
    - C(completedAt) is V(0001-01-01T00:00:00Z) while the migration runs.
  returned: always
  type: dict
  sample:
    id: c75088bc-cfba-410a-aeda-2a5dd797f528
    state: InProgress
    progress: 42
    migratingTo: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    migratingToFingerprint: 9f352c5a9c1618485051892cb57467e4
    completedAt: '0001-01-01T00:00:00Z'
running:
  description: Whether a migration is in progress.
  returned: always
  type: bool
current_key_provider:
  description: The key provider in use (C(current) true), as the API describes it.
  returned: always
  type: dict
  sample:
    arn: '#QLIK_MANAGED_KEY_PROVIDER#'
    name: Qlik Internal Kms
    keyprovider: Qlik
    current: true
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(argument_spec=tenant_argument_spec())


def run(task):
    api = encryption.KeyProviders(task.client())
    migration = api.migration() or {}
    current = encryption.current_provider(api.list(include_default=True))
    return dict(changed=False, migration=migration, running=encryption.migration_running(migration),
                current_key_provider=current)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
