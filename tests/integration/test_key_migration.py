"""qlik_key_migration and qlik_key_migration_info against the emulator."""

from __future__ import annotations

import pytest

from tests.harness.plays import ARN, ARN2, ENC, task, writes


MIGRATION = 'qlikcloud.platform.qlik_key_migration'
INFO = 'qlikcloud.platform.qlik_key_migration_info'
PROVIDER = 'qlikcloud.platform.qlik_key_provider'


def register(ansible, *arns):
    """Register keys (one play); return {arn: fingerprint}."""
    conn = ansible.connection()
    run = ansible.run([task('reg %d' % i, dict(conn, arn=arn, name='key %d' % i), module=PROVIDER)
                       for i, arn in enumerate(arns)])
    assert run.rc == 0, run.output()
    return dict((arn, run.task('reg %d' % i)['key_provider']['arnFingerPrint']) for i, arn in enumerate(arns))


def migrate_posts(emulator, since):
    return [(m, p) for m, p, b in writes(emulator, since) if p.endswith('/actions/migrate')
            or p.endswith('/reset-to-default-provider')]


@pytest.mark.parametrize('style', [
    pytest.param(dict(), id='reference'),
    pytest.param(dict(migrate_style='tutorial', reset_when_default=424, list_style='wrapped', reset_205_body=True),
                 id='tutorial'),
])
def test_qlik_to_aws_to_aws_to_qlik(emulator, ansible, style):
    emulator.config.update(style)
    fingerprints = register(ansible, ARN, ARN2)
    tenant = emulator.source_tenant
    conn = ansible.connection()

    # Qlik -> AWS: validate, migrate, wait
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(conn, arn=ARN), module=MIGRATION)], diff=True)
    result = run.task('migrate')
    assert run.rc == 0 and result['changed'] is True and result['started'] is True, run.output()
    assert writes(emulator, mark) == [('POST', '%s/%s/actions/test' % (ENC, fingerprints[ARN]), None),
                                      ('POST', '%s/%s/actions/migrate' % (ENC, fingerprints[ARN]), None)]
    assert tenant.current == fingerprints[ARN]
    assert result['migration']['state'] == 'Completed'
    assert result['migration']['migratingToFingerprint'] == fingerprints[ARN]
    assert 'migrationId' not in result['migration']
    assert result['key_provider']['current'] is True and result['key_provider']['arn'] == ARN
    assert result['previous_key_provider']['keyprovider'] == 'Qlik'
    assert result['diff'] == dict(
        before=dict(name='Qlik Internal Kms', arn='#QLIK_MANAGED_KEY_PROVIDER#', fingerprint=tenant.id,
                    keyprovider='Qlik'),
        after=dict(name='key 0', arn=ARN, fingerprint=fingerprints[ARN], keyprovider='AWS-KMS'))

    # rerun: no write, one list read
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(conn, arn=ARN), module=MIGRATION)])
    assert run.rc == 0 and run.task('migrate')['changed'] is False, run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list')]

    # AWS -> AWS, named by fingerprint
    mark = emulator.last_seq()
    run = ansible.run([task('rotate', dict(conn, fingerprint=fingerprints[ARN2]), module=MIGRATION)])
    assert run.rc == 0 and run.task('rotate')['changed'] is True, run.output()
    assert migrate_posts(emulator, mark) == [('POST', '%s/%s/actions/migrate' % (ENC, fingerprints[ARN2]))]
    assert tenant.current == fingerprints[ARN2]
    assert run.task('rotate')['previous_key_provider']['arn'] == ARN

    # AWS -> Qlik (reset), then rerun: no write
    mark = emulator.last_seq()
    run = ansible.run([task('reset', dict(conn, qlik_managed=True), module=MIGRATION),
                       task('again', dict(conn, qlik_managed=True), module=MIGRATION)])
    assert run.rc == 0, run.output()
    assert run.task('reset')['changed'] is True and run.task('again')['changed'] is False
    assert run.task('reset')['key_provider']['keyprovider'] == 'Qlik'
    assert run.task('reset')['key_provider']['current'] is True
    assert migrate_posts(emulator, mark) == [('POST', ENC + '/actions/reset-to-default-provider')]
    assert tenant.current is None
    assert emulator.migrations_started(tenant) == 3


def test_check_mode_writes_nothing(emulator, ansible):
    fingerprints = register(ansible, ARN)
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=ARN), module=MIGRATION)], check=True,
                      diff=True)
    result = run.task('migrate')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert result['diff']['after']['fingerprint'] == fingerprints[ARN]
    assert result['diff']['before']['keyprovider'] == 'Qlik'
    assert writes(emulator, mark) == []
    assert emulator.source_tenant.current is None


def test_timeout_then_rerun_resumes_without_a_second_migration(emulator, ansible):
    register(ansible, ARN)
    tenant = emulator.source_tenant
    tenant.migration_seconds = 4.0
    conn = ansible.connection()
    run = ansible.run([task('migrate', dict(conn, arn=ARN, wait_timeout=1), module=MIGRATION)])
    result = run.task('migrate')
    assert run.rc != 0
    assert result['msg'].startswith('timed out after 1 s waiting for migration ')
    assert 're-run the task to resume waiting (no second migration is started)' in result['msg']
    assert result['migration']['state'] in ('New', 'InProgress')
    assert result['changed'] is True and result['started'] is True
    run = ansible.run([task('migrate', dict(conn, arn=ARN, wait_timeout=60), module=MIGRATION)])
    result = run.task('migrate')
    assert run.rc == 0, run.output()
    assert result['changed'] is False and result['started'] is False
    assert result['migration']['state'] == 'Completed' and result['key_provider']['current'] is True
    assert emulator.migrations_started(tenant) == 1
    assert len([e for e in emulator.requests() if e['path'].endswith('/actions/migrate')]) == 1


def test_joins_a_migration_started_elsewhere(emulator, ansible):
    fingerprints = register(ansible, ARN)
    tenant = emulator.source_tenant
    tenant.migration_seconds = 5.0  # still running when the module (after ansible-playbook's start) reads it
    emulator.model.migrate(tenant, fingerprints[ARN])  # started by someone else
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=ARN), module=MIGRATION)])
    result = run.task('migrate')
    assert run.rc == 0 and result['changed'] is False and result['started'] is False, run.output()
    assert result['migration']['state'] == 'Completed'
    assert writes(emulator, mark) == []
    assert tenant.current == fingerprints[ARN]


def test_concurrent_runs_start_one_migration(emulator, ansible):
    register(ansible, ARN)
    tenant = emulator.source_tenant
    tenant.migration_seconds = 1.0
    conn = ansible.connection()
    play = dict(name='two runs at once', hosts='all', gather_facts=False,
                tasks=[task('migrate', dict(conn, arn=ARN, validate=False), module=MIGRATION)])
    run = ansible.run(play=play, inventory='runner1,runner2,runner3,', forks=3)
    assert run.rc == 0, run.output()
    assert sorted(run.task('migrate', host=h)['started'] for h in ('runner1', 'runner2', 'runner3')) == \
        [False, False, True]
    assert emulator.migrations_started(tenant) == 1
    assert tenant.current is not None


def test_waits_for_another_migration_then_migrates(emulator, ansible):
    """One migration at a time: another one is waited for first, with wait=false too (which then only
    starts its own); a later task with wait=true joins the started one."""
    fingerprints = register(ansible, ARN, ARN2)
    tenant = emulator.source_tenant
    tenant.migration_seconds = 3.0  # outlasts ansible-playbook's start
    emulator.model.migrate(tenant, fingerprints[ARN])  # toward another key
    tenant.migration_seconds = 2.0
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('start', dict(conn, arn=ARN2, wait=False), module=MIGRATION),
                       task('wait', dict(conn, arn=ARN2), module=MIGRATION)])
    assert run.rc == 0, run.output()
    start = run.task('start')
    assert start['changed'] is True and start['started'] is True
    assert start['previous_key_provider']['arn'] == ARN  # the other migration had completed first
    assert start['migration']['state'] in ('New', 'InProgress')
    assert run.task('wait')['changed'] is False and run.task('wait')['started'] is False
    assert run.task('wait')['current_key_provider']['arn'] == ARN2
    assert migrate_posts(emulator, mark) == [('POST', '%s/%s/actions/migrate' % (ENC, fingerprints[ARN2]))]
    assert tenant.current == fingerprints[ARN2]


def test_no_wait_returns_the_started_migration(emulator, ansible):
    fingerprints = register(ansible, ARN)
    emulator.source_tenant.migration_seconds = 30
    run = ansible.run([task('start', dict(ansible.connection(), arn=ARN, wait=False), module=MIGRATION),
                       task('info', ansible.connection(), module=INFO)])
    assert run.rc == 0, run.output()
    assert run.task('start')['migration']['state'] in ('New', 'InProgress')
    assert run.task('start')['key_provider']['current'] is False
    info = run.task('info')
    assert info['running'] is True and info['migration']['migratingToFingerprint'] == fingerprints[ARN]
    assert info['current_key_provider']['keyprovider'] == 'Qlik'


def test_info_before_any_migration(emulator, ansible):
    run = ansible.run([task('info', ansible.connection(), module=INFO)], check=True)
    assert run.rc == 0, run.output()
    assert run.task('info')['migration'] == {} and run.task('info')['running'] is False
    assert run.task('info')['current_key_provider']['arn'] == '#QLIK_MANAGED_KEY_PROVIDER#'


@pytest.mark.parametrize('args,words', [
    (dict(arn=ARN2), 'no key provider with arn %s is registered in this tenant' % ARN2),
    (dict(name='nobody'), "no key provider with name nobody is registered"),
    (dict(arn=ARN, fingerprint='abc'), 'parameters are mutually exclusive: arn|fingerprint|name|qlik_managed'),
    (dict(), 'one of the following is required: arn, fingerprint, name, qlik_managed'),
    (dict(qlik_managed=False), 'qlik_managed=false names no target'),
    (dict(arn=ARN, wait_timeout=0), 'wait_timeout must be a positive number'),
    (dict(arn=ARN, wait_timeout='soon'), "wait_timeout"),
])
def test_bad_targets_fail_before_any_write(emulator, ansible, args, words):
    register(ansible, ARN)
    mark = emulator.last_seq()
    run = ansible.run([task('bad', dict(ansible.connection(), **args), module=MIGRATION)])
    assert run.rc != 0
    assert words in run.task('bad')['msg'], run.task('bad')['msg']
    assert writes(emulator, mark) == []


def test_key_that_does_not_validate_is_not_migrated_to(emulator, ansible):
    register(ansible, ARN)
    emulator.config.key_behaviours[ARN] = 'invalid'
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=ARN), module=MIGRATION)])
    assert run.rc != 0
    assert 'did not validate, no migration started' in run.task('migrate')['msg']
    assert migrate_posts(emulator, mark) == []


def test_migration_that_completes_between_reads_is_not_started_again(emulator, ansible):
    """Found by the fault suite: the list said "not current", the details said "Completed": confirm, do not migrate."""
    fingerprints = register(ansible, ARN)
    tenant = emulator.source_tenant
    tenant.migration_seconds = 30.0
    emulator.model.migrate(tenant, fingerprints[ARN])
    original = emulator.model.migration_details

    def completing_details(t):
        t.migration.duration = 0.0  # the migration ends right as its details are read
        return original(t)

    emulator.model.migration_details = completing_details
    mark = emulator.last_seq()
    run = ansible.run([task('wait', dict(ansible.connection(), arn=ARN, validate=False), module=MIGRATION)])
    result = run.task('wait')
    assert run.rc == 0, run.output()
    assert result['changed'] is False and result['key_provider']['current'] is True
    assert migrate_posts(emulator, mark) == []
    assert emulator.migrations_started(tenant) == 0  # started outside the module, none by it
    assert tenant.current == fingerprints[ARN]


# ------------------------------------------------------------------ the collection checks the key before Qlik does
US_ARN = 'arn:aws:kms:us-east-1:111222334455:key/mrk-5a1b2c3d4e5f60718293a4b5c6d7e8f9'
SINGLE_ARN = 'arn:aws:kms:eu-west-1:111222334455:key/1234abcd-12ab-34cd-56ef-1234567890ab'
MOTO_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-aa860cf0-ce4b-42e4-b399-27f90d0d3d63'


def registered_directly(emulator, arn, name):
    """A provider registered in the emulator without the collection (say, by hand in the console): its fingerprint."""
    provider = emulator.model.create_provider(emulator.source_tenant, dict(arn=arn, name=name, keyprovider='AWS-KMS'))
    return provider.fingerprint


def posts_and_patches(emulator, since):
    return [(e['method'], e['path']) for e in emulator.requests(since=since)
            if e['method'] in ('POST', 'PATCH', 'PUT', 'DELETE') and e['path'] != '/oauth/token']


@pytest.mark.emulator(key_behaviours={US_ARN: 'ok'})
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check-mode'])
def test_a_key_in_another_region_is_refused_before_the_test_and_the_migration(emulator, ansible, check):
    registered_directly(emulator, US_ARN, 'us key')
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=US_ARN), module=MIGRATION)], check=check)
    result = run.task('migrate')
    assert run.rc != 0, run.output()
    assert result['msg'].startswith('arn %s is a key in us-east-1, but tenant %s is in eu-west-1' % (
        US_ARN, emulator.source_tenant_url.split('://')[1])), result['msg']
    assert posts_and_patches(emulator, mark) == []   # neither /actions/test nor /actions/migrate
    assert emulator.source_tenant.current is None
    assert emulator.migrations_started(emulator.source_tenant) == 0


@pytest.mark.emulator(key_behaviours={SINGLE_ARN: 'ok'})
def test_a_single_region_key_is_warned_about_or_refused_before_migrating(emulator, ansible):
    fingerprint = registered_directly(emulator, SINGLE_ARN, 'single')
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('strict', dict(conn, arn=SINGLE_ARN, require_dr_compliant=True), module=MIGRATION)])
    assert run.rc != 0
    assert run.task('strict')['msg'].startswith('arn %s is a single-Region key' % SINGLE_ARN)
    assert 'refused because require_dr_compliant is true, nothing was written' in run.task('strict')['msg']
    assert posts_and_patches(emulator, mark) == []

    mark = emulator.last_seq()
    run = ansible.run([task('lenient', dict(conn, arn=SINGLE_ARN, validate=False), module=MIGRATION)])
    result = run.task('lenient')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert any("Qlik's table lists eu-west-3 as the DR region of eu-west-1" in w for w in result['warnings'])
    assert posts_and_patches(emulator, mark) == [('POST', '%s/%s/actions/migrate' % (ENC, fingerprint))]
    assert emulator.source_tenant.current == fingerprint

    # the key is current: a re-run is one list read, no tenant read, no warning
    mark = emulator.last_seq()
    run = ansible.run([task('lenient', dict(conn, arn=SINGLE_ARN, require_dr_compliant=True), module=MIGRATION)])
    assert run.rc == 0 and run.task('lenient')['changed'] is False, run.output()
    assert not run.task('lenient').get('warnings')
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list')]


@pytest.mark.emulator(key_behaviours={MOTO_ARN: 'ok'})
def test_a_moto_made_key_is_migrated_to(emulator, ansible):
    fingerprints = register(ansible, MOTO_ARN)
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=MOTO_ARN), module=MIGRATION)])
    assert run.rc == 0 and run.task('migrate')['changed'] is True, run.output()
    assert not run.task('migrate').get('warnings')
    assert emulator.source_tenant.current == fingerprints[MOTO_ARN]


def test_a_key_qlik_refuses_at_the_test_is_named_with_what_to_check(emulator, ansible):
    registered_directly(emulator, ARN, 'refused')
    emulator.config.key_behaviours[ARN] = 'invalid'   # registered, then its policy changed: the test answers 400
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(ansible.connection(), arn=ARN), module=MIGRATION)])
    message = run.task('migrate')['msg']
    assert run.rc != 0
    assert message.startswith("key provider 'refused' (%s) did not validate, no migration started: " % ARN), message
    assert 'the key policy of the key and of the replica lets Qlik' in message
    assert 'enabled replica in eu-west-3' in message and "that eu-west-1 is the tenant's region" in message
    assert migrate_posts(emulator, mark) == []
