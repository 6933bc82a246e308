"""The encrypted_tenant role's fleet step: every tenant of the play batch converged in one controller step, with
per-host inputs and per-host results (PLAY RECAP, --diff, facts, failures)."""

from __future__ import annotations

import os
import re

import yaml

from tests.harness.plays import ARN, ARN2, FACTS_TASK, FLEET_TASK, REPORT_TASK, role_facts, role_play, role_result

BROKEN = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-0bad0bad0bad4bad0bad0bad0bad0bad'
PER_HOST_KEY = dict(arn='{{ kms_key_arn }}', name='{{ kms_key_name }}')


def inventory(tmp_path, emulator, tenants, keys, name='fleet.yml', **extra):
    hosts = {}
    for (host, tenant), arn in zip(tenants.items(), keys):
        hosts[host] = dict(tenant_url=emulator.url(tenant), kms_key_arn=arn, kms_key_name='key %s' % arn[-4:])
        hosts[host].update(extra.get(host, {}))
    path = os.path.join(str(tmp_path), name)
    with open(path, 'w') as handle:
        yaml.safe_dump(dict(qlik_tenants=dict(hosts=hosts)), handle)
    return path


def fleet_play(emulator, **extra):
    play = role_play(emulator, hosts='qlik_tenants', encrypted_tenant_url='{{ tenant_url }}',
                     encrypted_tenant_key=PER_HOST_KEY, **extra)
    return play


def writes(emulator, since):
    return [(e['host'], e['method'], e['path']) for e in emulator.requests(writes=True, since=since)]


def make(emulator, count, prefix='f'):
    return dict(('%s%d' % (prefix, i), emulator.add_tenant(name='%s%d' % (prefix, i))) for i in range(count))


def test_per_host_inputs_recap_diff_facts_and_one_broken_tenant(emulator, ansible, tmp_path):
    emulator.config.key_behaviours[BROKEN] = 'forbidden'
    tenants = make(emulator, 6)
    keys = [ARN, ARN, ARN, ARN2, ARN2, ARN2]
    path = inventory(tmp_path, emulator, tenants, keys)
    run = ansible.run(play=fleet_play(emulator), inventory=path, forks=5)
    assert run.rc == 0, run.output()
    for (host, tenant), arn in zip(tenants.items(), keys):  # each host's own templated key
        assert tenant.providers[tenant.current].arn == arn, host
        assert role_facts(run, host)['key_provider']['arn'] == arn
        assert role_facts(run, host)['url'] == emulator.url(tenant)
        assert role_facts(run, host)['id'] == tenant.id
    assert all(c['changed'] == 1 and c['failed'] == 0 for c in run.recap().values()), run.recap()

    # f0 and f1 move to the other key, f5 gets a key Qlik refuses, f2-f4 stay: only the right hosts change and fail
    keys = [ARN2, ARN2, ARN, ARN2, ARN2, BROKEN]
    path = inventory(tmp_path, emulator, tenants, keys, name='fleet2.yml')
    started = dict((h, emulator.migrations_started(t)) for h, t in tenants.items())
    mark = emulator.last_seq()
    run = ansible.run(play=fleet_play(emulator, encrypted_tenant_prune_key_providers=True), inventory=path,
                      forks=5, diff=True)
    assert run.rc != 0
    recap = run.recap()
    assert {h for h, c in recap.items() if c['changed']} == {'f0', 'f1'}, run.output()
    assert {h for h, c in recap.items() if c['failed']} == {'f5'}, run.output()
    assert run.status(REPORT_TASK, 'f5') == 'failed'
    assert BROKEN in run.task(REPORT_TASK, 'f5')['msg'], run.task(REPORT_TASK, 'f5')['msg']
    assert run.status(REPORT_TASK, 'f3') == 'ok' and run.task(REPORT_TASK, 'f3')['changed'] is False
    for host in ('f0', 'f1'):
        assert emulator.migrations_started(tenants[host]) == started[host] + 1
        assert [p.arn for p in tenants[host].providers.values()] == [ARN2]  # pruned
        assert role_facts(run, host)['key_provider']['arn'] == ARN2
    for host in ('f2', 'f3', 'f4'):
        assert emulator.migrations_started(tenants[host]) == started[host]
        assert not [w for w in writes(emulator, mark) if w[0] == tenants[host].hostnames[0]]
    # --diff: each changed host's diff under its own report task, naming the old key that pruning deleted
    blocks = re.split(r'\n(?=TASK \[)', run.stdout)
    report = next(b for b in blocks if b.startswith('TASK [qlikcloud.platform.encrypted_tenant : %s' % REPORT_TASK))
    for host in ('f0', 'f1'):
        assert re.search(r'--- before: %s \(wait\)' % host, report), report
        assert re.search(r'^-\s+"key \w+ \(%s\)"' % re.escape(ARN), report, re.M), report
    assert 'f3 (' not in report
    # the fleet step itself changes nothing and fails nothing: the report step counts each host's
    assert run.task(FLEET_TASK)['changed'] is False
    assert run.task(FLEET_TASK)['summary'] == dict(changed=2, failed=1, ok=3)


def test_check_mode_writes_nothing_and_says_per_host_what_would_change(emulator, ansible, tmp_path):
    tenants = make(emulator, 4, prefix='c')
    path = inventory(tmp_path, emulator, tenants, [ARN, ARN2, ARN, ARN2])
    mark = emulator.last_seq()
    run = ansible.run(play=fleet_play(emulator), inventory=path, check=True, diff=True)
    assert run.rc == 0, run.output()
    assert writes(emulator, mark) == []
    assert all(c['changed'] == 1 for c in run.recap().values()), run.recap()
    for host in tenants:
        steps = role_result(run, host)['steps']
        assert steps['key_provider']['changed'] is True and steps['start']['changed'] is True, steps
    assert all(t.current is None and not t.providers for t in tenants.values())


def test_every_migration_starts_before_any_is_waited_for(emulator, ansible, tmp_path):
    tenants = make(emulator, 5, prefix='m')
    path = inventory(tmp_path, emulator, tenants, [ARN] * 5)
    mark = emulator.last_seq()
    run = ansible.run(play=fleet_play(emulator, encrypted_tenant_threads=2), inventory=path)
    assert run.rc == 0, run.output()
    entries = emulator.requests(since=mark)
    starts = [e['seq'] for e in entries if e['method'] == 'POST' and e['path'].endswith('/actions/migrate')]
    assert len(starts) == 5
    # the wait phase's first call on each tenant comes after every tenant's migration was started
    first_waits = []
    for tenant in tenants.values():
        mine = [e for e in entries if e['host'] == tenant.hostnames[0]]
        migrate = next(i for i, e in enumerate(mine) if e['path'].endswith('/actions/migrate'))
        first_waits.append(mine[migrate + 1]['seq'])
    assert max(starts) < min(first_waits), (starts, first_waits)
    assert all(t.providers[t.current].arn == ARN for t in tenants.values())


def test_serial_batches_and_bad_input_fail_their_own_host(emulator, ansible, tmp_path):
    tenants = make(emulator, 5, prefix='s')
    path = inventory(tmp_path, emulator, tenants, [ARN] * 5,
                     s3=dict(encrypted_tenant_wait_timeout='soon'))  # not an int: the role's argument spec refuses it
    # Ansible's own validation task of the role catches it (roles:), and so does the fleet step itself
    # (import_role with rolespec_validate: false, the cheaper way for a large fleet)
    role = dict(name='qlikcloud.platform.encrypted_tenant', rolespec_validate=False)
    imported = dict(fleet_play(emulator), serial=2, roles=[], tasks=[
        {'name': 'Converge', 'ansible.builtin.import_role': role, 'vars': fleet_play(emulator)['roles'][0]['vars']}])
    for play in (dict(fleet_play(emulator), serial=2), imported):
        for tenant in tenants.values():
            emulator.model.reset_to_default(tenant)
        mark = emulator.last_seq()
        run = ansible.run(play=play, inventory=path)
        assert run.rc != 0
        recap = run.recap()
        assert {h for h, c in recap.items() if c['failed']} == {'s3'}, run.output()
        assert "argument 'encrypted_tenant_wait_timeout' is of type str" in run.stdout, run.output()
        assert not [w for w in writes(emulator, mark) if w[0] == tenants['s3'].hostnames[0]]
        for host in ('s0', 's1', 's2', 's4'):
            assert tenants[host].providers[tenants[host].current].arn == ARN, host
        # three batches (2 + 2 + 1 hosts): the fleet step ran once per batch, on the hosts left in it
        fleets = [sorted(r['result']['tenants']) for r in run.results if r['task'].endswith(FLEET_TASK)]
        assert fleets == ([['s0', 's1'], ['s2'], ['s4']] if play is not imported else
                          [['s0', 's1'], ['s2', 's3'], ['s4']]), fleets
    assert run.status(REPORT_TASK, 's3') == 'failed'


def test_max_fail_percentage_counts_the_tenants_that_failed(emulator, ansible, tmp_path):
    emulator.config.key_behaviours[BROKEN] = 'forbidden'
    tenants = make(emulator, 4, prefix='p')
    path = inventory(tmp_path, emulator, tenants, [ARN, ARN, ARN, BROKEN])
    for limit, stopped in ((50, False), (10, True)):  # one failed of four: 25 %
        run = ansible.run(play=dict(fleet_play(emulator), max_fail_percentage=limit), inventory=path)
        assert run.rc != 0
        assert {h for h, c in run.recap().items() if c['failed']} == {'p3'}, run.output()
        # the task after the role runs on the others, unless the failed share exceeded the limit
        expected = [] if stopped else ['p0', 'p1', 'p2']
        assert sorted(r['host'] for r in run.results if r['task'] == FACTS_TASK) == expected, run.output()


def test_the_report_says_what_was_done(emulator, ansible, tmp_path):
    tenants = make(emulator, 1, prefix='r')
    path = inventory(tmp_path, emulator, tenants, [ARN])
    plan = ansible.run(play=fleet_play(emulator), inventory=path, check=True)
    assert plan.task(REPORT_TASK, 'r0')['msg'] == (
        'would have registered key provider key %s (%s); migrated the tenant to %s (check mode)' % (ARN[-4:], ARN, ARN))
    run = ansible.run(play=fleet_play(emulator), inventory=path)
    assert run.task(REPORT_TASK, 'r0')['msg'] == (
        'registered key provider key %s (%s); migrated the tenant to %s; now on key key %s (%s)' % (
            ARN[-4:], ARN, ARN, ARN[-4:], ARN)), run.output()
    again = ansible.run(play=fleet_play(emulator), inventory=path)
    assert again.task(REPORT_TASK, 'r0')['msg'] == 'on key key %s (%s): nothing to do' % (ARN[-4:], ARN)


def test_only_the_hosts_the_play_applies_the_role_to_are_converged(emulator, ansible, tmp_path):
    tenants = make(emulator, 3, prefix='w')
    path = inventory(tmp_path, emulator, tenants, [ARN] * 3)
    variables = fleet_play(emulator)['roles'][0]['vars']
    role = dict(name='qlikcloud.platform.encrypted_tenant')
    play = dict(fleet_play(emulator), roles=[], tasks=[
        {'name': 'Converge', 'ansible.builtin.include_role': role, 'vars': variables,
         'when': "inventory_hostname != 'w0'"}])
    mark = emulator.last_seq()
    run = ansible.run(play=play, inventory=path)
    assert run.rc == 0, run.output()
    # w0 is in the play batch but the play did not include the role for it: left alone
    assert not [w for w in writes(emulator, mark) if w[0] == tenants['w0'].hostnames[0]], run.output()
    assert tenants['w0'].current is None and not tenants['w0'].providers
    for host in ('w1', 'w2'):
        assert tenants[host].providers[tenants[host].current].arn == ARN, host
    assert [sorted(r['result']['tenants']) for r in run.results if r['task'].endswith(FLEET_TASK)] == [['w1', 'w2']]

    # a when on import_role is evaluated, for a run_once step, for the first host only: said plainly, nothing written
    for tenant in tenants.values():
        tenant.providers.clear()
        tenant.current = None
    play['tasks'][0] = {'name': 'Converge', 'ansible.builtin.import_role': role, 'vars': variables,
                        'when': "inventory_hostname != 'w0'"}
    mark = emulator.last_seq()
    run = ansible.run(play=play, inventory=path)
    assert run.rc != 0
    assert {h for h, c in run.recap().items() if c['failed']} == {'w1', 'w2'}, run.output()
    assert 'a when on the role was false for the first host of the batch (w0)' in run.task(REPORT_TASK, 'w1')['msg']
    assert writes(emulator, mark) == []


def test_a_wait_that_times_out_fails_its_host_and_a_re_run_resumes(emulator, ansible, tmp_path):
    tenants = dict(('t%d' % i, emulator.add_tenant(name='t%d' % i, migration_seconds=600)) for i in range(2))
    path = inventory(tmp_path, emulator, tenants, [ARN, ARN])
    run = ansible.run(play=fleet_play(emulator, encrypted_tenant_wait_timeout=1), inventory=path)
    assert run.rc != 0
    assert {h for h, c in run.recap().items() if c['failed']} == {'t0', 't1'}, run.output()
    message = run.task(REPORT_TASK, 't0')['msg']
    assert message.startswith('waiting for the migration to %s: ' % ARN) and 're-run the task to resume' in message
    emulator.clock.advance(600)  # the migrations end meanwhile
    run = ansible.run(play=fleet_play(emulator), inventory=path)
    assert run.rc == 0, run.output()
    for tenant in tenants.values():
        assert tenant.providers[tenant.current].arn == ARN and emulator.migrations_started(tenant) == 1
