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
  require_dr_compliant:
    description:
      - Before starting a migration to an AWS-KMS key, the module checks the key as Qlik will. A key whose ARN
        names another region than the tenant's is refused, naming both, and nothing is written. The tenant's
        region comes from its host name (C(<tenant>.<code>.qlikcloud.com)) or else from the tenant's own record
        (C(GET /api/v1/tenants/me), its C(datacenter)), read only when a migration would start.
      - A single-Region key (its key id does not start with C(mrk-)) in a region for which Qlik lists a DR
        (backup) region will be found not DR-compliant by Qlik. With V(false) the module warns; with V(true)
        it refuses to migrate to it.
    type: bool
    default: false
  prune:
    description:
      - Once the target is the current key, delete every other AWS-KMS key provider of the tenant.
      - Nothing is deleted while the target is not current yet (with O(wait=false), or when the
        wait fails); a later run prunes. The default Qlik-managed provider is never deleted.
      - In check mode the providers that would be deleted are returned in RV(pruned) and named
        (name and ARN) in RV(msg) and, with C(--diff), in the tenant's list of key providers.
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
    details:
      - Shows the current key provider (name, ARN, fingerprint) before and after.
      - With O(prune=true), also the tenant's AWS-KMS key providers (C(name (ARN))) before and
        after, so every deletion shows, in check mode too.
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
  description:
    - In check mode, what the real run would do, every key provider that pruning would delete included.
    - In a real run, the key providers that pruning deleted.
  returned: in check mode when a migration would start, and when O(prune=true) deleted (or would delete) providers
  type: str
'''

import os
import time

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.migration import (
    MigrationTimeout, Migrator, describe, heads_to, provider_view)
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        arn=dict(type='str'),
        fingerprint=dict(type='str'),
        name=dict(type='str'),
        qlik_managed=dict(type='bool'),
        validate=dict(type='bool', default=True),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=3600),
        prune=dict(type='bool', default=False),
        require_dr_compliant=dict(type='bool', default=False),
    ),
    mutually_exclusive=[('arn', 'fingerprint', 'name', 'qlik_managed')],
    required_one_of=[('arn', 'fingerprint', 'name', 'qlik_managed')],
)
# a line of progress per host at most this often while waiting (QLIK_PROGRESS_SECONDS overrides it)
PROGRESS_SECONDS = 30.0
RESUME = 're-run the task to resume waiting (no second migration is started)'


# The converged state is "the target is current". On the way: a migration toward the target that is running is
# joined, never started again; one toward another key is waited for first (a tenant runs one migration at a
# time); a start whose answer is lost is settled by reading the details again; a wait survives passing errors
# until wait_timeout; any failure after a start reports ``started``.
def run(task, migrator_factory=Migrator):
    params = task.params
    if params['qlik_managed'] is False:
        raise ValueError('qlik_managed=false names no target; give arn, fingerprint or name of a key provider')
    encryption.check_target(params)
    if params['wait_timeout'] <= 0:
        raise ValueError('wait_timeout must be a positive number of seconds, got %r' % params['wait_timeout'])
    api = encryption.KeyProviders(task.client())
    return Converge(task, api, migrator_factory(api, progress=progress_reporter(task))).run()


def progress_reporter(task, clock=time.monotonic):
    """A Migrator progress callback that shows a line at most every PROGRESS_SECONDS."""
    every = float(os.environ.get('QLIK_PROGRESS_SECONDS') or PROGRESS_SECONDS)
    shown = [clock()]

    def report(migration, elapsed):
        now = clock()
        if now - shown[0] < every:
            return
        shown[0] = now
        task.progress('migrating to %s %s%% (%s, %dm%02ds)' % (
            (migration or {}).get('migratingTo'), (migration or {}).get('progress', 0),
            (migration or {}).get('state', 'no record'), elapsed // 60, elapsed % 60))
    return report


def _named(params):
    return next('%s %s' % (k, params[k]) for k in ('arn', 'fingerprint', 'name') if params[k])


def _label(provider):
    return '%s (%s)' % (provider.get('name') or 'unnamed', provider.get('arn'))


def _prune_candidates(providers, target, done):
    """AWS-KMS providers other than the target; once the target is current (``done``), only those not current."""
    return [p for p in providers if not encryption.is_qlik_provider(p)
            and p.get('arnFingerPrint') != (target or {}).get('arnFingerPrint')
            and (not done or not p['current'])]


class Converge:
    """One converge of the tenant behind ``api`` toward the target the task's parameters name."""

    def __init__(self, task, api, migrator):
        self.task = task
        self.params = task.params
        self.api = api
        self.migrator = migrator
        self.providers = []
        self.result = {}
        self.tenant_region = None

    # ------------------------------------------------------------------ reads
    def read(self):
        """Read every provider; return (target, current). In check mode the target may be None: a key
        that an earlier task of the play would register."""
        self.providers = self.api.list(include_default=True)
        current = encryption.current_provider(self.providers)
        if self.params['qlik_managed']:
            target = next((p for p in self.providers if encryption.is_qlik_provider(p)), None)
            if target is None:
                raise QlikAPIError('the tenant did not list the default Qlik-managed key provider')
            return target, current
        aws = [p for p in self.providers if not encryption.is_qlik_provider(p)]
        target = encryption.find_provider(aws, arn=self.params['arn'], fingerprint=self.params['fingerprint'],
                                          name=self.params['name'])
        if target is None and not self.task.check_mode:
            raise ValueError('no key provider with %s is registered in this tenant: register it first with '
                             'qlikcloud.platform.qlik_key_provider' % _named(self.params))
        return target, current

    # ------------------------------------------------------------------ converge
    def run(self):
        target, current = self.read()
        self.result = dict(changed=False, started=False, migration={}, key_provider=target or {},
                           previous_key_provider=current, current_key_provider=current,
                           tenant_url=self.api.client.base_url,
                           tenant_id=next((p.get('tenantId') for p in self.providers if p.get('tenantId')), None))
        if self.task.diff:
            self.result['diff'] = dict(before=provider_view(current), after=provider_view(current))
        if target is None:
            self.check_key(self.params['arn'])
            return self.plan(None, 'the key provider with %s is not registered yet; once an earlier task registers '
                                   'it, the tenant would migrate to it (check mode)' % _named(self.params))
        if target['current']:
            return self.finish(target)

        migration = self.api.migration()
        if migration and not encryption.migration_running(migration) and heads_to(migration, target):
            # it completed between our two reads: confirm rather than start another
            target, dummy = self.read()
            if target['current']:
                self.result['migration'] = migration
                return self.finish(target)
        if encryption.migration_running(migration) and not heads_to(migration, target):
            if self.task.check_mode:
                self.check_key(target.get('arn'))
                self.show_target(target)
                return self.plan(target, 'would wait for the running %s to finish, then migrate to %s (check mode)' % (
                    describe(migration), target.get('arn')))
            target, migration = self.wait_for_another(target, migration)
            if target['current']:
                return self.finish(target)

        if encryption.migration_running(migration) and heads_to(migration, target):
            self.show_target(target)  # joined: someone (perhaps an earlier run) started it
        else:
            if self.task.check_mode:
                self.check_key(target.get('arn'))
                self.show_target(target)
                return self.plan(target, 'would migrate the tenant to %s (check mode)' % target.get('arn'))
            migration = self.start(target, migration)
            if migration is None:  # the key became current without us
                target, dummy = self.read()
                return self.finish(target)
        self.result['migration'] = migration or {}
        if self.task.check_mode:
            return self.plan(target, 'would wait for the running %s (check mode)' % describe(migration)) \
                if self.params['prune'] else self.result
        if not self.params['wait']:
            return self.result
        return self.finish(self.wait_for_target(target, migration))

    def check_key(self, arn):
        """The collection checks the key before Qlik does (before the first write, never on a no-op): its region is
        the tenant's, and a single-Region key is warned about (refused with require_dr_compliant)."""
        if arn and arn != encryption.QLIK_ARN:
            if self.tenant_region is None:
                self.tenant_region = encryption.TenantRegion(self.api.client)
            encryption.check_key_region(arn, self.tenant_region, self.task.warn, self.params['require_dr_compliant'])

    def show_target(self, target):
        if 'diff' in self.result:
            self.result['diff']['after'] = provider_view(target)

    def plan(self, target, message):
        """Check mode: what the real run would do, the providers it would prune included."""
        self.result.update(changed=True, msg=message)
        if target is None:
            named = [(k, self.params[k]) for k in ('arn', 'fingerprint', 'name') if self.params[k]]
            self.result['key_provider'] = dict([('arnFingerPrint' if k == 'fingerprint' else k, v) for k, v in named],
                                               current=False)
            if 'diff' in self.result:
                self.result['diff']['after'] = dict(named)
        if self.params['prune']:
            self.show_pruned(self.providers, _prune_candidates(self.providers, target, done=False))
        return self.result

    def show_pruned(self, providers, pruned):
        """Name every provider pruning deletes (or would delete, in check mode): in ``pruned``, in ``msg``,
        and with ``--diff`` as the tenant's list of AWS-KMS key providers before and after."""
        if not pruned:
            return
        self.result.update(changed=True, pruned=pruned)
        names = ', '.join(_label(p) for p in pruned)
        verb = 'would delete' if self.task.check_mode else 'deleted'
        self.result['msg'] = '%s; %s key provider(s) %s' % (self.result['msg'], verb, names) \
            if self.result.get('msg') else '%s key provider(s) %s' % (verb, names)
        if 'diff' in self.result:
            gone = {p.get('arnFingerPrint') for p in pruned}
            aws = [p for p in providers if not encryption.is_qlik_provider(p)]
            self.result['diff']['before']['key_providers'] = [_label(p) for p in aws]
            self.result['diff']['after']['key_providers'] = [_label(p) for p in aws
                                                             if p.get('arnFingerPrint') not in gone]

    def wait_for_another(self, target, migration):
        """A migration toward another key runs: wait for it (whatever ``wait`` says); return (target, migration)."""
        try:
            migration = self.migrator.wait(None, migration, self.params['wait_timeout'])
        except MigrationTimeout as exc:
            raise TaskFailure('timed out after %d s waiting for another migration (%s) to finish before migrating '
                              'to %s; nothing was started: re-run the task to try again%s' % (
                                  self.params['wait_timeout'], describe(exc.migration), target.get('arn'),
                                  _last_error(exc)), self.result, migration=exc.migration or {})
        target, current = self.read()
        self.result.update(key_provider=target, previous_key_provider=current, current_key_provider=current)
        return target, migration

    def start(self, target, before):
        """Validate the key (when asked) and start the migration; return its record, or None when Qlik
        started nothing because the target became current meanwhile."""
        if not encryption.is_qlik_provider(target):
            self.check_key(target.get('arn'))
        self.result['changed'] = True
        self.show_target(target)
        if self.params['validate'] and not encryption.is_qlik_provider(target):
            try:
                self.api.test(target['arnFingerPrint'])
            except QlikAPIError as exc:
                prefix = 'key provider %r (%s) did not validate, no migration started: ' % (
                    target.get('name'), target.get('arn'))
                if exc.status not in encryption.KEY_REFUSALS + (408,):
                    exc.message = prefix + exc.message
                raise encryption.refused(exc, target.get('arn'), prefix)
        started, record, refusal = self.migrator.trigger(target, before=before)
        if not started:
            # Qlik started nothing: another run got there first, or the key became current meanwhile
            record = self.api.migration()
            if not (record and heads_to(record, target)):
                target, dummy = self.read()
                if not target['current']:
                    raise refusal or QlikAPIError('Qlik did not start a migration to %s and the key is not current '
                                                  '(%s)' % (target.get('arn'), describe(record)))
                self.result.update(changed=False, migration=record or {})
                if 'diff' in self.result:
                    self.result['diff']['after'] = dict(self.result['diff']['before'])
                return None
        self.result.update(started=started, changed=started)
        return record

    def wait_for_target(self, target, migration):
        """Wait until the target is current; return it. Every failure keeps ``started`` and the migration."""
        try:
            last = self.migrator.wait(target, migration, self.params['wait_timeout'])
            target, current = self.read()
        except MigrationTimeout as exc:
            raise TaskFailure('%s%s; %s' % (exc.message, _last_error(exc), RESUME), self.result,
                              migration=exc.migration or self.result['migration'])
        except QlikAPIError as exc:
            raise TaskFailure('%s; the migration to %s is under way: %s' % (exc.message, target.get('arn'), RESUME),
                              self.result, **exc.to_result())
        self.result['migration'] = last or self.result['migration']
        if not target['current']:
            raise TaskFailure('the migration completed but %s is not the current key (%s)' % (
                target.get('arn'), describe(last)), self.result, current_key_provider=current)
        return target

    def finish(self, target):
        """The target is current: prune when asked, and report it as the current key."""
        self.result.update(key_provider=target, current_key_provider=target)
        if self.params['prune']:
            providers = self.api.list(include_default=True)
            pruned = _prune_candidates(providers, target, done=True)
            if not self.task.check_mode:
                pruned = [p for p in pruned if self.api.delete(p)]
            self.show_pruned(providers, pruned)
        return self.result


def _last_error(exc):
    return '; the last poll failed: %s' % exc.last_error.message if exc.last_error else ''


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
