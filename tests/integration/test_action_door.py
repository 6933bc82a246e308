"""The action door: module_defaults, environment fallbacks, argument errors, progress, a missing
library, and the module door end to end (the collection without its action plugins)."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from tests.harness.plays import ARN, ENC, providers, role_play, task


INFO = 'qlikcloud.platform.qlik_key_provider_info'
PROVIDER = 'qlikcloud.platform.qlik_key_provider'
MIGRATION = 'qlikcloud.platform.qlik_key_migration'


def test_module_defaults_group_and_the_task_environment_supply_options(emulator, ansible):
    cfg = emulator.config
    url = emulator.source_tenant_url
    play = dict(name='defaults', hosts='localhost', gather_facts=False, tasks=[
        dict(name='group defaults', module_defaults={'group/qlikcloud.platform.all': dict(
            tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret)},
            **{INFO: dict()}),
        dict(name='module defaults', module_defaults={PROVIDER: dict(
            tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret)},
            **{PROVIDER: dict(arn=ARN, name='from defaults')}),
        dict(name='environment', environment=dict(QLIK_TENANT_URL=url, QLIK_CLIENT_ID=cfg.client_id,
                                                  QLIK_CLIENT_SECRET=cfg.client_secret, QLIK_RETRIES='1'),
             **{INFO: dict(name='from defaults')}),
        dict(name='play environment wins over nothing, task args win over it', environment=dict(
            QLIK_TENANT_URL='https://not-used.example'), **{INFO: dict(
                tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret)}),
    ])
    run = ansible.run(play=play, extra_args=['-vvv'])
    assert run.rc == 0, run.output()
    assert run.task('group defaults')['tenant_url'] == url
    assert [p['name'] for p in providers(emulator)] == ['from defaults']
    env = run.task('environment')
    assert [p['name'] for p in env['key_providers']] == ['from defaults']
    assert env['invocation']['module_args']['retries'] == 1
    assert env['invocation']['module_args']['client_secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert run.task('play environment wins over nothing, task args win over it')['tenant_url'] == url
    assert cfg.client_secret not in run.stdout + run.stderr


@pytest.mark.parametrize('args,words', [
    (dict(arn=ARN, name='x', nmae='typo'), 'Unsupported parameters for (qlikcloud.platform.qlik_key_provider) '
                                           'module: nmae'),
    (dict(arn=ARN, name='x', retries='many'), "retries"),
    (dict(arn=ARN, name='x', state='gone'), 'value of state must be one of: present, absent, got: gone'),
])
def test_bad_arguments_fail_like_ansible_before_any_request(emulator, ansible, args, words):
    mark = emulator.last_seq()
    run = ansible.run([task('bad', dict(ansible.connection(), **args), module=PROVIDER)])
    assert run.rc != 0
    assert words in run.task('bad')['msg'], run.task('bad')['msg']
    assert emulator.requests(since=mark) == []


def test_mutually_exclusive_and_required_one_of_come_from_the_modules_spec(emulator, ansible):
    mark = emulator.last_seq()
    run = ansible.run([task('both', dict(ansible.connection(), arn=ARN, qlik_managed=True), module=MIGRATION,
                            ignore_errors=True),
                       task('none', ansible.connection(), module=MIGRATION, ignore_errors=True)])
    assert run.rc == 0, run.output()
    assert 'parameters are mutually exclusive: arn|fingerprint|name|qlik_managed' in run.task('both')['msg']
    assert 'one of the following is required: arn, fingerprint, name, qlik_managed' in run.task('none')['msg']
    assert emulator.requests(since=mark) == []


def test_a_long_wait_shows_progress_without_verbosity(emulator, ansible):
    conn = ansible.connection()
    ansible.run([task('reg', dict(conn, arn=ARN, name='progress key'), module=PROVIDER)])
    emulator.source_tenant.migration_seconds = 4.0
    run = ansible.run([task('migrate', dict(conn, arn=ARN, validate=False), module=MIGRATION)],
                      env=dict(QLIK_PROGRESS_SECONDS='1'))
    assert run.rc == 0, run.output()
    lines = [line for line in run.stdout.splitlines() if line.startswith('localhost: migrating to ')]
    assert len(lines) >= 2, run.output()
    assert lines[0].startswith('localhost: migrating to %s ' % ARN) and '(InProgress, 0m0' in lines[0]
    assert run.task('migrate')['migration']['state'] == 'Completed'


def test_a_controller_without_requests_gets_a_clear_error(emulator, ansible, tmp_path):
    blocker = tmp_path / 'no-requests' / 'requests'
    blocker.mkdir(parents=True)
    (blocker / '__init__.py').write_text('raise ImportError("No module named requests (blocked by the test)")\n')
    run = ansible.run([task('list', ansible.connection(), module=INFO)],
                      env=dict(PYTHONPATH=str(blocker.parent)))
    assert run.rc != 0
    message = run.task('list')['msg']
    assert "needs the Python library 'requests' there" in message and os.path.basename(sys.executable) in message
    assert emulator.requests() == []


def test_the_module_door_converges_too(emulator, ansible, collections_path, tmp_path):
    """The collection without plugins/action: Ansible runs the modules themselves (AnsiballZ)."""
    source = os.path.join(collections_path, 'ansible_collections', 'qlikcloud', 'platform')
    copy = tmp_path / 'modules-only'
    target = copy / 'ansible_collections' / 'qlikcloud' / 'platform'
    skipped = shutil.ignore_patterns('.venv*', '.git', 'tests', 'bench', '__pycache__', 'action')
    shutil.copytree(source, target, ignore=skipped)
    assert not (target / 'plugins' / 'action').exists()
    tenant = emulator.add_tenant(name='module-door')
    conn = dict(tenant_url=emulator.url(tenant), client_id=emulator.config.client_id,
                client_secret=emulator.config.client_secret)
    play = dict(name='module door', hosts='localhost', gather_facts=False, connection='local',
                vars=dict(ansible_python_interpreter=sys.executable),
                tasks=[task('register', dict(conn, arn=ARN, name='k', validate=True), module=PROVIDER),
                       task('migrate', dict(conn, arn=ARN), module=MIGRATION)])
    env = dict(ANSIBLE_COLLECTIONS_PATH=str(copy))
    run = ansible.run(play=play, env=env)
    assert run.rc == 0, run.output()
    assert tenant.providers[tenant.current].arn == ARN
    assert 'AnsiballZ' in ansible.run(play=play, env=env, extra_args=['-vvv']).stdout
    mark = emulator.last_seq()
    run = ansible.run(play=play, env=env)
    assert run.rc == 0 and run.recap()['localhost']['changed'] == 0, run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list')] * 2
    # the role's fleet step needs its action plugin (it reads every host's variables): without it, it says so
    role = role_play(emulator, encrypted_tenant_url=emulator.url(tenant), encrypted_tenant_key=dict(arn=ARN, name='k'))
    role.update(connection='local', vars=dict(ansible_python_interpreter=sys.executable))
    run = ansible.run(play=role, env=env)
    assert run.rc != 0 and 'runs only as the fleet step of the role' in run.stdout, run.output()
