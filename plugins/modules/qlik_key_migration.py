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
    timed out, by another task or by someone else) is joined, never started again. A tenant
    runs one migration at a time, so a migration toward another key is waited for first (up
    to O(wait_timeout)), whatever O(wait) says.
  - With O(prune=true), once the target is the current key the tenant's other AWS-KMS key
    providers are deleted (key rotation's last step).
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
        expected end once Qlik reports progress. A poll that fails for a passing reason (no
        answer, HTTP 429 or 5xx) is retried until O(wait_timeout); a poll whose answer is not a
        migration record fails the task.
      - With V(false) the task returns once the migration has started (it still waits for a
        migration toward another key to finish first).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait, for a migration toward another key to finish and, with O(wait=true),
        for this one. On expiry the task fails with the migration's last state and progress
        (and C(started) true if it started one); running it again resumes waiting without
        starting a new migration.
    type: int
    default: 3600
  prune:
    description:
      - Once the target is the current key, delete every other AWS-KMS key provider of the tenant.
      - Nothing is deleted while the target is not current yet (with O(wait=false), or when the
        wait fails); a later run prunes. The default Qlik-managed provider is never deleted.
      - In check mode the providers that would be deleted are returned in RV(pruned).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written and nothing is waited for; C(changed) tells whether a migration would
        start, C(msg) what the real run would do, and RV(pruned) which providers it would delete.
      - A key that an earlier task of the play would register (in check mode it is not there yet)
        is reported as a migration that would follow.
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

- name: Rotate to a new key and delete the providers of the old ones once it is current
  qlikcloud.platform.qlik_key_migration:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0
    prune: true

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
current_key_provider:
  description: The tenant's current key provider at the end of the task (the target once the migration completed).
  returned: always
  type: dict
  sample:
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    name: CMK 2026
    current: true
started:
  description: Whether this task started the migration (false when it joined a running one or none was needed).
  returned: always
  type: bool
tenant_url:
  description: The normalized URL of the tenant.
  returned: always
  type: str
  sample: https://acme.eu.qlikcloud.com
tenant_id:
  description: The tenant's ID (from the key providers' C(tenantId)).
  returned: always
  type: str
  sample: ImTRa-bkJTD-NZRYjNBa_rDhwSVA6Qo8
pruned:
  description: The key providers deleted with O(prune=true) (in check mode, those that would be deleted).
  returned: when O(prune=true) and there were providers to delete
  type: list
  elements: dict
  sample:
    - arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-00000000000000000000000000000001
      name: CMK 2025
      arnFingerPrint: 0d9a6b3c1f2e4d5a8b7c6d5e4f3a2b1c
msg:
  description: In check mode, what the real run would do.
  returned: in check mode when a migration would start
  type: str
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import qlik_key_migration as logic
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module


def main():
    run_module(logic)


if __name__ == '__main__':
    main()
