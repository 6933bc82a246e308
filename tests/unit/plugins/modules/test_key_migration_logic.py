"""qlik_key_migration's converge logic, with a scripted API and migrator (no HTTP)."""

from __future__ import annotations

import pytest

from ansible_collections.qlikcloud.platform.plugins.modules import qlik_key_migration as logic
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError
from ansible_collections.qlikcloud.platform.plugins.module_utils.encryption import QLIK_ARN
from ansible_collections.qlikcloud.platform.plugins.module_utils.migration import MigrationTimeout
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import Task, TaskFailure

A = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0000000000000000000000000000000a'
B = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0000000000000000000000000000000b'
C = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0000000000000000000000000000000c'


def provider(arn, fingerprint, current=False):
    return dict(arn=arn, arnFingerPrint=fingerprint, name=fingerprint, keyprovider='AWS-KMS', current=current,
                tenantId='t1')


class FakeAPI:
    def __init__(self, providers, migration=None):
        self.qlik = dict(arn=QLIK_ARN, arnFingerPrint='t1', name='Qlik', keyprovider='Qlik', tenantId='t1',
                         current=not any(p['current'] for p in providers))
        self.providers = providers
        self.record = migration
        self.calls = []
        # a host name that tells the tenant's region (eu-west-1): the key check before a start reads nothing
        self.client = type('Client', (), dict(base_url='https://t1.eu.qlikcloud.com', host='t1.eu.qlikcloud.com'))()

    def make_current(self, fingerprint):
        self.qlik['current'] = fingerprint == 't1'
        for p in self.providers:
            p['current'] = p['arnFingerPrint'] == fingerprint

    def list(self, include_default=False):
        self.calls.append('list')
        return [dict(p) for p in [self.qlik] + self.providers]

    def migration(self):
        self.calls.append('details')
        return self.record

    def test(self, fingerprint):
        self.calls.append(('test', fingerprint))

    def delete(self, provider):
        self.calls.append(('delete', provider['arnFingerPrint']))
        self.providers = [p for p in self.providers if p['arnFingerPrint'] != provider['arnFingerPrint']]
        return True


class FakeMigrator:
    """trigger() starts (or refuses); wait() runs ``on_wait`` (which may raise) then returns its record."""

    def __init__(self, api, start=True, on_wait=None):
        self.api = api
        self.start = start
        self.on_wait = on_wait or []
        self.calls = []

    def trigger(self, target, before=None):
        self.calls.append(('trigger', target['arnFingerPrint'], (before or {}).get('id')))
        if not self.start:
            self.api.make_current(target['arnFingerPrint'])
            return False, None, QlikAPIError('424', status=424)
        self.api.record = dict(id='m2', state='New', migratingToFingerprint=target['arnFingerPrint'],
                               migratingTo=target['arn'], progress=0)
        return True, dict(self.api.record), None

    def wait(self, target, migration, timeout):
        self.calls.append(('wait', target and target['arnFingerPrint'], migration.get('id'), timeout))
        if self.on_wait:
            raise self.on_wait.pop(0)
        done = dict(migration, state='Completed', progress=100)
        self.api.make_current(done['migratingToFingerprint'])
        self.api.record = done
        return done


def converge(api, migrator, check_mode=False, **params):
    base = dict(arn=None, fingerprint=None, name=None, qlik_managed=None, validate=True, wait=True,
                wait_timeout=60, prune=False, require_dr_compliant=False)
    base.update(params)
    task = Task(base, check_mode=check_mode, diff=True)
    return logic.Converge(task, api, migrator).run()


def test_current_target_writes_nothing():
    api = FakeAPI([provider(A, 'fa', current=True)])
    migrator = FakeMigrator(api)
    result = converge(api, migrator, arn=A)
    assert result['changed'] is False and result['current_key_provider']['arn'] == A
    assert api.calls == ['list'] and migrator.calls == []


def test_start_then_wait_then_current():
    api = FakeAPI([provider(A, 'fa')])
    migrator = FakeMigrator(api)
    result = converge(api, migrator, arn=A)
    assert result['started'] is True and result['changed'] is True and result['key_provider']['current'] is True
    assert migrator.calls == [('trigger', 'fa', None), ('wait', 'fa', 'm2', 60)]
    assert ('test', 'fa') in api.calls
    assert result['diff']['after']['arn'] == A and result['diff']['before']['arn'] == QLIK_ARN


def test_another_migration_is_waited_for_first_even_without_wait():
    other = dict(id='m1', state='InProgress', migratingToFingerprint='fb', migratingTo=B, progress=40)
    api = FakeAPI([provider(A, 'fa'), provider(B, 'fb')], migration=other)
    migrator = FakeMigrator(api)
    result = converge(api, migrator, arn=A, wait=False)
    assert migrator.calls == [('wait', None, 'm1', 60), ('trigger', 'fa', 'm1')]
    assert result['started'] is True and result['previous_key_provider']['arn'] == B
    assert result['migration']['state'] == 'New'


def test_check_mode_plans_the_wait_and_the_prune():
    other = dict(id='m1', state='InProgress', migratingToFingerprint='fb', migratingTo=B, progress=40)
    api = FakeAPI([provider(A, 'fa'), provider(B, 'fb'), provider(C, 'fc', current=True)], migration=other)
    migrator = FakeMigrator(api)
    result = converge(api, migrator, check_mode=True, arn=A, prune=True)
    assert result['changed'] is True and result['msg'].startswith('would wait for the running migration m1')
    assert sorted(p['arn'] for p in result['pruned']) == [B, C]
    assert migrator.calls == [] and [c for c in api.calls if c not in ('list', 'details')] == []


def test_check_mode_with_a_key_an_earlier_task_would_register():
    api = FakeAPI([provider(B, 'fb', current=True)])
    result = converge(api, FakeMigrator(api), check_mode=True, arn=A, prune=True)
    assert result['changed'] is True and 'not registered yet' in result['msg']
    assert result['key_provider'] == dict(arn=A, current=False) and [p['arn'] for p in result['pruned']] == [B]


def test_without_check_mode_an_unknown_key_is_an_error():
    api = FakeAPI([])
    with pytest.raises(ValueError) as info:
        converge(api, FakeMigrator(api), arn=A)
    assert 'no key provider with arn %s is registered' % A in str(info.value)


def test_prune_after_the_migration_deletes_the_old_providers():
    api = FakeAPI([provider(A, 'fa'), provider(B, 'fb', current=True), provider(C, 'fc')])
    result = converge(api, FakeMigrator(api), arn=A, prune=True, validate=False)
    assert sorted(p['arn'] for p in result['pruned']) == [B, C]
    assert sorted(c[1] for c in api.calls if c[0] == 'delete') == ['fb', 'fc']
    assert [p['arn'] for p in api.providers] == [A]


def test_timeout_after_a_start_keeps_started_and_says_how_to_resume():
    api = FakeAPI([provider(A, 'fa')])
    last = QlikAPIError('GET details failed with HTTP 500', status=500)
    timeout = MigrationTimeout('timed out after 60 s waiting for migration m2', dict(id='m2', state='InProgress'), last)
    migrator = FakeMigrator(api, on_wait=[timeout])
    with pytest.raises(TaskFailure) as info:
        converge(api, migrator, arn=A)
    failure = info.value
    assert failure.result['started'] is True and failure.result['changed'] is True
    assert failure.result['migration']['id'] == 'm2'
    assert failure.msg == ('timed out after 60 s waiting for migration m2; the last poll failed: GET details failed '
                           'with HTTP 500; ' + logic.RESUME)


def test_an_unreadable_poll_after_a_start_keeps_started():
    api = FakeAPI([provider(A, 'fa')])
    migrator = FakeMigrator(api, on_wait=[QlikAPIError('answered 200 with a body that is not JSON', status=200)])
    with pytest.raises(TaskFailure) as info:
        converge(api, migrator, arn=A)
    assert info.value.result['started'] is True and 'not JSON' in info.value.msg and logic.RESUME in info.value.msg


def test_timeout_behind_another_migration_started_nothing():
    other = dict(id='m1', state='InProgress', migratingToFingerprint='fb', migratingTo=B, progress=40)
    api = FakeAPI([provider(A, 'fa'), provider(B, 'fb')], migration=other)
    migrator = FakeMigrator(api, on_wait=[MigrationTimeout('timed out', other)])
    with pytest.raises(TaskFailure) as info:
        converge(api, migrator, arn=A, wait_timeout=5)
    assert info.value.msg.startswith('timed out after 5 s waiting for another migration (migration m1')
    assert 'nothing was started' in info.value.msg and info.value.result['started'] is False


def test_a_start_refused_because_the_key_became_current_is_no_change():
    api = FakeAPI([provider(A, 'fa')])
    result = converge(api, FakeMigrator(api, start=False), arn=A, validate=False)
    assert result['changed'] is False and result['started'] is False and result['key_provider']['current'] is True


def test_a_migration_that_completed_between_the_reads_is_confirmed_not_started():
    api = FakeAPI([provider(A, 'fa')], migration=dict(id='m0', state='Completed', migratingToFingerprint='fa'))
    real_list = api.list

    def list_then_current(include_default=False):
        providers = real_list(include_default)
        api.make_current('fa')
        return providers

    api.list = list_then_current
    migrator = FakeMigrator(api)
    result = converge(api, migrator, arn=A)
    assert result['changed'] is False and migrator.calls == [] and result['migration']['id'] == 'm0'


def test_progress_lines_are_throttled():
    now = [0.0]
    shown = []
    task = Task({}, progress=shown.append)
    report = logic.progress_reporter(task, clock=lambda: now[0])
    for second in (1, 10, 29, 31, 40, 62):
        now[0] = float(second)
        report(dict(migratingTo=A, progress=second, state='InProgress'), float(second))
    assert shown == ['migrating to %s 31%% (InProgress, 0m31s)' % A, 'migrating to %s 62%% (InProgress, 1m02s)' % A]


def test_a_key_in_another_region_than_the_tenant_is_refused_before_the_test_and_the_start():
    other = 'arn:aws:kms:us-east-1:111122223333:key/mrk-0000000000000000000000000000000d'
    api = FakeAPI([provider(other, 'fd')])
    migrator = FakeMigrator(api)
    with pytest.raises(ValueError) as info:
        converge(api, migrator, arn=other)
    assert str(info.value).startswith('arn %s is a key in us-east-1, but tenant t1.eu.qlikcloud.com is in eu-west-1 '
                                      '(its host name t1.eu.qlikcloud.com)' % other)
    assert api.calls == ['list', 'details'] and migrator.calls == []
