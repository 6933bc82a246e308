"""OAuth clients, their secrets, API keys, and the rotate_client_secret role, against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.harness.inventory import Inventory
from tests.harness.plays import task
from tests.harness.secrets import (
    CLIENTS, DAY, exchange, handover, held, hint_of, make_client, rotate_as_a_pipeline, rotation_play, stored)

CLIENT = 'qlikcloud.platform.qlik_oauth_client'
SECRET = 'qlikcloud.platform.qlik_oauth_client_secret'
CLIENT_INFO = 'qlikcloud.platform.qlik_oauth_client_info'
KEY = 'qlikcloud.platform.qlik_api_key'
KEY_INFO = 'qlikcloud.platform.qlik_api_key_info'


def writes(emulator, since):
    return [(e['method'], e['path']) for e in emulator.requests(writes=True, since=since)]


def keep_secret(tmp_path):
    """A no_log task that stores the registered ``new.client_secret`` (what a pipeline does next)."""
    copy = dict(content='{{ new.client_secret }}', dest=str(tmp_path / 'secret'), mode='0600')
    return {'name': 'keep it', 'ansible.builtin.copy': copy, 'no_log': True}


def test_oauth_client_lifecycle(emulator, ansible):
    conn = ansible.connection()
    args = dict(conn, name='reporting', description='nightly', scopes=['user_default'])
    mark = emulator.last_seq()
    run = ansible.run([task('create', args, module=CLIENT)], check=True, diff=True)
    assert run.rc == 0 and run.task('create')['changed'] is True, run.output()
    assert writes(emulator, mark) == []

    run = ansible.run([task('create', args, module=CLIENT, register='made'),
                       task('store', dict(msg="{{ made.client_secret | length }}"), module='ansible.builtin.debug')])
    assert run.rc == 0, run.output()
    made = run.task('create')
    assert made['censored'].startswith('the output has been hidden')
    client = [c for c in emulator.model.credentials.list_clients(emulator.source_tenant) if c.name == 'reporting'][0]
    assert str(run.task('store')['msg']) == '64' and client.secrets[0].value not in run.stdout + run.stderr
    assert (client.description, client.scopes, client.grant_types, client.app_type) == (
        'nightly', ['user_default'], ['client_credentials'], 'web')

    mark = emulator.last_seq()
    changed = dict(args, description='nightly exports', scopes=['user_default', 'admin_classic'])
    run = ansible.run([task('again', args, module=CLIENT), task('change', changed, module=CLIENT),
                       task('same', changed, module=CLIENT),
                       task('by id', dict(conn, id=client.client_id, description='nightly exports'), module=CLIENT),
                       task('app type', dict(conn, id=client.client_id, app_type='spa'), module=CLIENT,
                            ignore_errors=True)], diff=True)
    assert run.rc == 0, run.output()
    assert run.task('again')['changed'] is False and run.task('same')['changed'] is False
    assert run.task('by id')['changed'] is False
    scopes = ['admin_classic', 'user_default']
    assert run.task('change')['patch'] == [dict(op='replace', path='/allowedScopes', value=scopes),
                                           dict(op='replace', path='/description', value='nightly exports')]
    assert 'cannot change' in run.task('app type')['msg']
    assert writes(emulator, mark) == [('PATCH', '%s/%s' % (CLIENTS, client.client_id))]
    assert run.task('change')['diff']['before']['secrets'] == [client.secrets[0].hint]

    make_client(emulator, name='twin')
    make_client(emulator, name='twin')
    mark = emulator.last_seq()
    run = ansible.run([task('twin', dict(conn, name='twin', description='x'), module=CLIENT, ignore_errors=True),
                       task('delete', dict(conn, id=client.client_id, state='absent'), module=CLIENT),
                       task('gone', dict(conn, name='reporting', state='absent'), module=CLIENT),
                       task('info', dict(conn, name='twin'), module=CLIENT_INFO)])
    assert run.rc == 0, run.output()
    assert "name 'twin' is held by 2 OAuth clients" in run.task('twin')['msg']
    assert run.task('delete')['changed'] is True and run.task('gone')['changed'] is False
    assert len(run.task('info')['oauth_clients']) == 2
    assert writes(emulator, mark) == [('DELETE', '%s/%s' % (CLIENTS, client.client_id))]


def test_secrets_rotate_prune_limit_and_revocation(emulator, ansible, tmp_path):
    client_id, first = make_client(emulator, age_days=100)
    conn = ansible.connection()
    base = dict(conn, id=client_id)
    mark = emulator.last_seq()
    run = ansible.run([task('young enough', dict(base, max_age='P365D'), module=SECRET),
                       task('plan', dict(base, max_age='P90D'), module=SECRET, check_mode=True)], diff=True)
    assert run.rc == 0 and run.task('young enough')['changed'] is False, run.output()
    assert run.task('plan')['changed'] is True and run.task('plan')['plan'] == [
        'create a secret: the secret in use (%s) is 100 days old, older than max_age' % first[-4:]]
    assert run.task('plan')['old'] == [first[-4:]]  # what the new secret replaces, once handed over
    assert writes(emulator, mark) == []

    run = ansible.run([task('rotate', dict(base, max_age='P90D'), module=SECRET, register='new'),
                       task('again', dict(base, max_age='P90D', current_hint='{{ new.hint }}'), module=SECRET),
                       task('no hint', dict(base, max_age='P90D'), module=SECRET, ignore_errors=True),
                       keep_secret(tmp_path)])
    assert run.rc == 0, run.output()
    assert run.task('rotate')['censored'] and run.task('again')['changed'] is False
    assert run.task('again')['old'] == [first[-4:]]  # a re-run knows what the rotation replaced
    assert 'has 2 secrets (hints %s, %s) and current_hint does not say which one is in use' % (
        held(emulator, client_id).secrets[1].hint, first[-4:]) in run.task('no hint')['msg']
    second = (tmp_path / 'secret').read_text()
    assert exchange(emulator, client_id, second) == 200 and second not in run.stdout + run.stderr

    mark = emulator.last_seq()
    run = ansible.run([task('prune', dict(base, state='absent', keep_newest=1), module=SECRET),
                       task('prune again', dict(base, state='absent', keep_newest=1), module=SECRET),
                       task('no such hint', dict(base, state='absent', hint='zzzz'), module=SECRET)])
    assert run.rc == 0, run.output()
    assert run.task('prune')['deleted'] == [first[-4:]] and run.task('prune again')['changed'] is False
    assert run.task('no such hint')['changed'] is False
    assert exchange(emulator, client_id, first) == 401 and exchange(emulator, client_id, second) == 200
    assert writes(emulator, mark) == [('DELETE', '%s/%s/client-secrets/%s' % (CLIENTS, client_id, first[-4:]))]

    for dummy in range(4):
        newest = emulator.model.credentials.create_secret(emulator.source_tenant, client_id, 'setup')['hint']
    mark = emulator.last_seq()
    run = ansible.run([
        task('sixth', dict(base, max_age=0, current_hint=newest), module=SECRET, ignore_errors=True),
        task('zero', dict(base, state='absent', keep_newest=0), module=SECRET, ignore_errors=True),
        task('all old', dict(base, state='absent', older_than='PT0S'), module=SECRET, ignore_errors=True),
        task('bad duration', dict(base, max_age='90 days'), module=SECRET, ignore_errors=True),
        task('unknown client', dict(conn, id='no-such-client'), module=SECRET, ignore_errors=True),
    ])
    assert run.rc == 0, run.output()
    assert 'already has 5 secrets, the most Qlik allows: delete an old secret first' in run.task('sixth')['msg']
    assert run.task('zero')['msg'].startswith('keep_newest=0 would leave the client without a secret')
    assert 'would leave OAuth client pipeline without a secret (nothing was deleted)' in run.task('all old')['msg']
    assert run.task('bad duration')['msg'].startswith('max_age must be an ISO 8601 duration')
    assert 'no OAuth client with id no-such-client' in run.task('unknown client')['msg']
    assert [m for m, p in writes(emulator, mark)] == ['POST']  # only the refused sixth
    assert len(held(emulator, client_id).secrets) == 5


def test_api_keys_create_rotate_delete_and_limits(emulator, ansible, tmp_path):
    conn = ansible.connection()
    key = dict(conn, description='monitoring', expiry='P30D')
    mark = emulator.last_seq()
    assert ansible.run([task('plan', key, module=KEY)], check=True).task('plan')['changed'] is True
    assert writes(emulator, mark) == []
    run = ansible.run([task('create', key, module=KEY, register='made'), task('again', key, module=KEY),
                       task('not yet', dict(key, rotate_before='P7D'), module=KEY),
                       task('rotate', dict(key, expiry='P90D', rotate_before='P60D'), module=KEY, register='rotated'),
                       dict(name='keep it', **{'ansible.builtin.copy': dict(
                           content='{{ rotated.token }}', dest=str(tmp_path / 'token'), mode='0600')}, no_log=True),
                       task('info', dict(conn, description='monitoring'), module=KEY_INFO)])
    assert run.rc == 0, run.output()
    assert run.task('again')['changed'] is False and run.task('not yet')['changed'] is False
    keys = run.task('info')['api_keys']
    assert len(keys) == 2 and sorted(round(k['expires_in'] / DAY) for k in keys) == [30, 90]
    token = (tmp_path / 'token').read_text()
    assert token not in run.stdout + run.stderr
    me = requests.get(emulator.source_tenant_url + '/api/v1/tenants/me', verify=emulator.ca_path, timeout=10,
                      headers={'Authorization': 'Bearer ' + token})
    assert me.status_code == 200  # the new key's token authenticates
    older = sorted(keys, key=lambda k: k['created'])[0]
    mark = emulator.last_seq()
    run = ansible.run([task('delete old', dict(conn, id=older['id'], state='absent'), module=KEY),
                       task('bad expiry', dict(conn, description='x', expiry='thirty days'), module=KEY,
                            ignore_errors=True)])
    assert run.rc == 0 and run.task('delete old')['changed'] is True, run.output()
    assert 'expiry must be an ISO 8601 duration' in run.task('bad expiry')['msg']
    assert writes(emulator, mark) == [('DELETE', '/api/v1/api-keys/' + older['id'])]
    emulator.config.update(dict(max_keys_per_user=1))
    run = ansible.run([task('one too many', dict(conn, description='another'), module=KEY)])
    assert run.rc != 0 and 'APIKEYS-9' in run.task('one too many')['msg']


def test_rotate_client_secret_role(emulator, ansible, tmp_path):
    client_id, old = make_client(emulator, age_days=120)
    secrets_file = tmp_path / 'secrets.json'
    secrets_file.write_text(json.dumps(dict(s_old=old)))
    vault = ['-e', '@%s' % secrets_file]
    mark = emulator.last_seq()
    check = ansible.run(play=rotation_play(emulator, client_id, '{{ s_old }}'), check=True, diff=True, extra_args=vault)
    assert check.rc == 0, check.output()
    plan = check.task('Report the rotation that would follow')['msg']
    assert 'create a secret: the secret in use (%s) is 120 days old, older than max_age' % old[-4:] in plan
    assert plan.endswith('prove it, hand it over, then delete %s' % old[-4:]) and old not in check.stdout
    assert writes(emulator, mark) == []

    run = ansible.run(play=rotation_play(emulator, client_id, '{{ s_old }}',
                                         rotate_client_secret_handover=handover(tmp_path)),
                      diff=True, extra_args=['-vvv'] + vault)
    assert run.rc == 0, run.output()
    new, new_hint = stored(tmp_path)
    assert exchange(emulator, client_id, new) == 200 and exchange(emulator, client_id, old) == 401
    assert [s.value for s in held(emulator, client_id).secrets] == [new] and hint_of(emulator, client_id, new) == new_hint
    facts = run.task("Set the role's facts")['ansible_facts']
    assert facts['rotate_client_secret_rotated'] is True and facts['rotate_client_secret_deleted'] == [old[-4:]]
    log = json.dumps(emulator.requests())
    for secret in (old, new):
        assert secret not in run.stdout + run.stderr and secret not in log

    mark = emulator.last_seq()
    secrets_file.write_text(json.dumps(dict(s_old=new, s_hint=new_hint)))
    again = ansible.run(play=rotation_play(emulator, client_id, '{{ s_old }}', '{{ s_hint }}'), extra_args=vault)
    assert again.rc == 0 and again.recap()['localhost']['changed'] == 0, again.output()
    assert writes(emulator, mark) == []


def test_a_failed_handover_rolls_back(emulator, ansible, tmp_path):
    client_id, old = make_client(emulator, age_days=120)
    secrets_file = tmp_path / 'secrets.json'
    secrets_file.write_text(json.dumps(dict(s_old=old)))
    run = ansible.run(play=rotation_play(emulator, client_id, '{{ s_old }}',
                                         rotate_client_secret_handover=handover(tmp_path, fail=True)),
                      extra_args=['-e', '@%s' % secrets_file])
    assert run.rc != 0
    message = run.task('Say that the rotation failed')['msg']
    assert "failed at 'The vault is read-only': vault refused" in message
    assert 'was deleted and the secret in use (%s) kept' % old[-4:] in message
    assert [s.value for s in held(emulator, client_id).secrets] == [old]
    assert exchange(emulator, client_id, old) == 200


FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=5)


def test_rotation_under_faults_converges_and_never_leaves_a_client_without_a_secret(emulator, ansible, tmp_path):
    """As a pipeline runs it: each run with the secret that works now and its hint; a failed run is run again. Alone
    on the client, the pipeline says so (pending_timeout 0): a secret left by a lost answer is an orphan to delete."""
    client_id, old = make_client(emulator, age_days=120)
    emulator.faults(**FAULTS)
    runs = rotate_as_a_pipeline(ansible, emulator, client_id, old, tmp_path, attempts=4,
                                rotate_client_secret_retries=8, rotate_client_secret_pending_timeout='PT0S')
    assert runs and runs[-1].rc == 0, runs[-1].output() if runs else 'the client was left without a working secret'
    injected = emulator.gateway.faults_injected
    emulator.faults()
    secrets = held(emulator, client_id).secrets
    assert len(secrets) == 1 and exchange(emulator, client_id, secrets[0].value) == 200
    assert secrets[0].value == stored(tmp_path)[0]
    assert injected > 0


@pytest.mark.emulator(rate_limits=False)
def test_the_rotation_example_over_a_tenant_inventory(emulator, ansible, tmp_path):
    """examples/rotate_client_secret.yml on the hosts of the qlik_tenants inventory, which are never connected
    to: the secret files are written on the controller, a re-run changes nothing, a forced rotation hands the
    new secret over before the old one is deleted."""
    tenants = [emulator.add_tenant(name='rot-%d' % number) for number in range(3)]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    config = tmp_path / 'fleet.qlik_tenants.yml'
    config.write_text('plugin: qlikcloud.platform.qlik_tenants\nfilters:\n  status: active\n')
    env = Inventory(emulator, ansible, tmp_path).env(dict(QLIK_PIPELINE_SECRET_DIR=str(tmp_path)))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(config),
               os.path.join(repo, 'examples', 'rotate_client_secret.yml'), '--limit', 'rot-*']

    def play(*extra):
        proc = subprocess.run(command + list(extra), env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        return dict(re.findall(r'^(rot-\d)\s+: ok=\d+\s+changed=(\d+)', proc.stdout, re.M)), proc.stdout

    def stored_and_held(tenant):
        credentials = json.loads((tmp_path / ('%s-pipeline.json' % tenant.name)).read_text())
        client = next(c for c in emulator.model.credentials.list_clients(tenant)
                      if c.name == '%s-pipeline' % tenant.name)
        assert credentials['client_id'] == client.client_id
        assert hint_of(emulator, client.client_id, credentials['client_secret'], tenant) == credentials['hint']
        return credentials['client_secret'], client

    first, dummy = play()
    assert sorted(first) == ['rot-0', 'rot-1', 'rot-2'] and all(int(c) > 0 for c in first.values())
    for tenant in tenants:
        stored, client = stored_and_held(tenant)
        assert len(client.secrets) == 1 and exchange(emulator, client.client_id, stored, tenant) == 200
    mark = emulator.last_seq()
    again, dummy = play()
    assert set(again.values()) == {'0'} and writes(emulator, mark) == []
    before = dict((t.name, stored_and_held(t)[0]) for t in tenants)
    rotated, output = play('-e', 'max_age=0')
    assert set(rotated.values()) != {'0'}
    for tenant in tenants:
        stored, client = stored_and_held(tenant)
        assert stored != before[tenant.name] and len(client.secrets) == 1
        assert exchange(emulator, client.client_id, stored, tenant) == 200
        assert exchange(emulator, client.client_id, before[tenant.name], tenant) == 401
        assert stored not in output and before[tenant.name] not in output
