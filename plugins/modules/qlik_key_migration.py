#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_key_migration
short_description: Make a key provider the current encryption key of a Qlik Cloud tenant, and wait
version_added: 0.1.0
description:
  - Ensures that the tenant's current (active) key provider is the one named by O(arn),
    O(fingerprint) or O(name), or the default Qlik-managed key with O(qlik_managed=true).
  - When the target is already current, nothing is written (one list call).
  - Otherwise the key migration is started (C(/actions/migrate), or
    C(/actions/reset-to-default-provider) for the Qlik-managed key) and, with O(wait=true),
    the module waits until Qlik reports it C(Completed) and the target is current.
  - A migration toward the target that is already running (started by an earlier run that
    timed out, by another task or by someone else) is joined, never started again. A
    migration toward another key is waited for first (with O(wait=true)) or reported.
  - Register the key first with M(qlikcloud.platform.qlik_key_provider).
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  arn:
    description: ARN of the registered AWS-KMS key provider to move the tenant to.
    type: str
  fingerprint:
    description: C(arnFingerPrint) of the registered key provider to move the tenant to.
    type: str
  name:
    description: Display name of the registered key provider to move the tenant to (it must be unique).
    type: str
  qlik_managed:
    description: Move the tenant back to the default Qlik-managed key. Only V(true) is meaningful.
    type: bool
  validate:
    description:
      - Before starting a migration to an AWS-KMS key, ask Qlik to test the key
        (C(/actions/test)) and fail with Qlik's reason when it does not validate.
    type: bool
    default: true
  wait:
    description:
      - Wait until the migration has completed and the target is the current key.
      - Polling starts every half second and backs off for long migrations, aimed at the
        expected end once Qlik reports progress.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true). On expiry the task fails with the migration's last
        state and progress; running it again resumes waiting without starting a new migration.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details: Nothing is written and nothing is waited for; C(changed) tells whether a migration would start.
  diff_mode:
    support: full
    details: Shows the current key provider (name, ARN, fingerprint) before and after.
seealso:
  - module: qlikcloud.platform.qlik_key_provider
  - module: qlikcloud.platform.qlik_key_migration_info
notes:
  - The tenant keeps working during a migration. Only one migration can run per tenant at a time.
'''

EXAMPLES = r'''
- name: Put the tenant on the customer-managed key and wait for the migration
  qlikcloud.platform.qlik_key_migration:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    wait_timeout: 7200
  register: migration

- name: Start the move back to the Qlik-managed key without waiting
  qlikcloud.platform.qlik_key_migration:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
    qlik_managed: true
    wait: false
'''

RETURN = r'''
migration:
  description:
    - The migration record as the API describes it, with the reference field names (C(id),
      C(migratingToFingerprint)) whichever of the documented forms Qlik answered with.
    - Empty when the target was already current and no migration was needed.
  returned: always
  type: dict
  sample:
    id: c75088bc-cfba-410a-aeda-2a5dd797f528
    state: Completed
    progress: 100
    tenantId: ImTRa-bkJTD-NZRYjNBa_rDhwSVA6Qo8
    migratingFrom: v1:rTfjXBtXurvLxUJqE4dvgyXIm6zLiaIE
    migratingTo: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    migratingToFingerprint: 9f352c5a9c1618485051892cb57467e4
    migratingToPrefix: '#BYOKv1#:9f352c5a9c1618485051892cb57467e4'
    initiatedAt: '2026-07-18T12:08:04.634Z'
    completedAt: '2026-07-18T12:09:10Z'
key_provider:
  description: The target key provider as it is at the end (C(current) is true once the migration completed).
  returned: always
  type: dict
  sample:
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    name: CMK 2026
    current: true
    arnFingerPrint: 9f352c5a9c1618485051892cb57467e4
previous_key_provider:
  description: The key provider that was current when the task started.
  returned: always
  type: dict
  sample:
    arn: '#QLIK_MANAGED_KEY_PROVIDER#'
    name: Qlik Internal Kms
    keyprovider: Qlik
    current: true
started:
  description: Whether this task started the migration (false when it joined a running one or none was needed).
  returned: always
  type: bool
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError
from ansible_collections.qlikcloud.platform.plugins.module_utils.migration import (
    MigrationTimeout, Migrator, describe, heads_to, provider_view)
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import new_client, new_module, run


def _check_input(params):
    if params['qlik_managed'] is False:
        raise ValueError('qlik_managed=false names no target; give arn, fingerprint or name of a key provider')
    if params['arn'] is not None:
        encryption.validate_arn(params['arn'])
    if params['fingerprint'] is not None:
        encryption.validate_fingerprint(params['fingerprint'])
    encryption.validate_name(params['name'])
    if params['wait_timeout'] <= 0:
        raise ValueError('wait_timeout must be a positive number of seconds, got %r' % params['wait_timeout'])


def _target(providers, params):
    if params['qlik_managed']:
        found = next((p for p in providers if encryption.is_qlik_provider(p)), None)
        if found is None:
            raise QlikAPIError('the tenant did not list the default Qlik-managed key provider')
        return found
    aws = [p for p in providers if not encryption.is_qlik_provider(p)]
    found = encryption.find_provider(aws, arn=params['arn'], fingerprint=params['fingerprint'], name=params['name'])
    if found is None:
        given = next('%s %s' % (k, params[k]) for k in ('arn', 'fingerprint', 'name') if params[k])
        raise ValueError('no key provider with %s is registered in this tenant: register it first with '
                         'qlikcloud.platform.qlik_key_provider' % given)
    return found


def main():
    module = new_module(
        dict(
            arn=dict(type='str'),
            fingerprint=dict(type='str'),
            name=dict(type='str'),
            qlik_managed=dict(type='bool'),
            validate=dict(type='bool', default=True),
            wait=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=3600),
        ),
        mutually_exclusive=[('arn', 'fingerprint', 'name', 'qlik_managed')],
        required_one_of=[('arn', 'fingerprint', 'name', 'qlik_managed')],
    )
    params = module.params

    def body():
        _check_input(params)
        api = encryption.KeyProviders(new_client(module))
        migrator = Migrator(api)

        def reread():
            providers = api.list(include_default=True)
            return _target(providers, params), next((p for p in providers if p['current']), {})

        target, previous = reread()
        result = dict(changed=False, started=False, migration={}, key_provider=target,
                      previous_key_provider=previous)
        if module._diff:  # pylint: disable=protected-access
            result['diff'] = dict(before=provider_view(previous), after=provider_view(previous))
        if target['current']:
            return result

        migration = api.migration()
        if migration and not encryption.migration_running(migration) and heads_to(migration, target):
            # it completed between our two reads: confirm rather than start another
            target = reread()[0]
            if target['current']:
                result.update(key_provider=target, migration=migration)
                return result
        if encryption.migration_running(migration) and not heads_to(migration, target):
            if not params['wait'] or module.check_mode:
                raise ValueError('another key migration is running (%s): wait for it to finish, or run with '
                                 'wait=true to wait and then migrate' % describe(migration))
            migration = migrator.wait(None, migration, params['wait_timeout'])
            target, previous = reread()
            result.update(key_provider=target, previous_key_provider=previous)
            if target['current']:
                return result

        if not (encryption.migration_running(migration) and heads_to(migration, target)):
            result['changed'] = True
            if 'diff' in result:
                result['diff']['after'] = provider_view(target)
            if module.check_mode:
                return result
            if params['validate'] and not encryption.is_qlik_provider(target):
                try:
                    api.test(target['arnFingerPrint'])
                except QlikAPIError as exc:
                    exc.message = 'key provider %r (%s) did not validate, no migration started: %s' % (
                        target.get('name'), target.get('arn'), exc.message)
                    raise
            started, record, refusal = migrator.trigger(target)
            if not started:
                # Qlik started nothing: another run got there first, or the key became current meanwhile
                record = api.migration()
                if not (record and heads_to(record, target)):
                    target = reread()[0]
                    if not target['current']:
                        raise refusal or QlikAPIError('Qlik did not start a migration to %s and the key is not '
                                                      'current (%s)' % (target.get('arn'), describe(record)))
                    result.update(changed=False, key_provider=target, migration=record or {})
                    if 'diff' in result:
                        result['diff']['after'] = result['diff']['before']
                    return result
            result['started'] = started
            result['changed'] = started
            migration = record
        elif 'diff' in result:
            result['diff']['after'] = provider_view(target)
        result['migration'] = migration or {}
        if params['wait'] and not module.check_mode:
            try:
                migration = migrator.wait(target, migration, params['wait_timeout'])
            except MigrationTimeout as exc:
                failure = dict(result, msg=exc.message)
                failure['migration'] = exc.migration or {}
                module.fail_json(**failure)
            result['migration'] = migration
            result['key_provider'] = reread()[0]
            if not result['key_provider']['current']:
                raise QlikAPIError('the migration completed but %s is not the current key (%s)' % (
                    target.get('arn'), describe(migration)))
        return result

    run(module, body)


if __name__ == '__main__':
    main()
