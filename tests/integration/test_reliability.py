"""Reliability and security under faults, interruption, rate limits, expiry and bad input.

Short mode (``make test``) runs a handful of each; ``--long`` (``make reliability``) runs at
least 50 faulty role runs and 20 interruptions and writes docs/reliability.md with the figures.
"""

from __future__ import annotations

import json
import random
import threading
import time

import pytest

from tests.harness.plays import ARN, ARN2, ENC, create_vars, role_play, task
from tests.harness.secrets import exchange, held, make_client, rotate_as_a_pipeline, rotate_twice_at_once, stored

FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '502', '503', 'drop', 'drop_after'), fault_seed=7)
ROTATION_FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=5)


def _count(request, short, long):
    return long if request.config.getoption('--long') else short


def _converged(emulator, name, arn=ARN):
    """(converged, duplicate tenants, duplicate providers, extra migrations) for the tenant called ``name``."""
    tenants = [t for t in emulator.model.tenants.values() if t.name == name]
    if not tenants:
        return False, 0, 0, 0
    tenant = tenants[0]
    creates = [e for e in emulator.requests() if e['host'] == tenant.hostnames[0] and e['method'] == 'POST'
               and e['path'] == ENC and e['status'] == 201]
    current = tenant.providers.get(tenant.current)
    converged = len(tenants) == 1 and current is not None and current.arn == arn
    return (converged, len(tenants) - 1, max(0, len(creates) - 1),
            max(0, emulator.migrations_started(tenant) - 1))


def _tally(figures, emulator, name, first_ok):
    converged, dup_tenants, dup_providers, extra = _converged(emulator, name)
    figures['duplicate_tenants'] += dup_tenants
    figures['duplicate_key_providers'] += dup_providers
    figures['extra_migrations'] += extra
    if converged and first_ok:
        figures['converged_first_try'] += 1
    elif converged:
        figures['converged_on_rerun'] += 1
    else:
        figures['not_converged'] += 1
    return converged, dup_tenants, dup_providers, extra


@pytest.mark.emulator(**FAULTS)
def test_role_converges_under_transient_faults(request, emulator, ansible, figures):
    runs = _count(request, 3, 50)
    failures = []
    for number in range(runs):
        name = 'faulty-%02d' % number
        play = role_play(emulator, **create_vars(emulator, name=name))
        first = ansible.run(play=play, timeout=600)
        if first.rc != 0:
            rerun = ansible.run(play=play, timeout=600)
            if rerun.rc != 0:
                failures.append((name, rerun.output()[-3000:]))
        figures['fault_runs'] += 1
        result = _tally(figures, emulator, name, first.rc == 0)
        assert result[1:] == (0, 0, 0), (name, result)
    figures['requests'] += len(emulator.requests())
    figures['faults_injected'] += emulator.gateway.faults_injected
    assert emulator.gateway.faults_injected > runs * 3  # the faults really happened
    assert not failures, failures


def test_interrupted_runs_converge_without_duplicate_writes(request, emulator, ansible, figures):
    emulator.config.migration_seconds = 2.0
    rng = random.Random(11)
    kills = _count(request, 3, 20)
    for number in range(kills):
        name = 'killed-%02d' % number
        play = role_play(emulator, **create_vars(emulator, name=name))
        killed = ansible.run(play=play, kill_after=rng.uniform(1.0, 7.0))
        figures['interruptions'] += 1
        rerun = ansible.run(play=play, timeout=600)
        assert rerun.rc == 0, (name, killed.rc, rerun.output())
        converged, dup_tenants, dup_providers, extra = _converged(emulator, name)
        if converged:
            figures['interrupted_converged'] += 1
        if dup_tenants or dup_providers or extra:
            figures['interrupted_duplicate_writes'] += 1
        assert (converged, dup_tenants, dup_providers, extra) == (True, 0, 0, 0), name


@pytest.mark.emulator(tier1_per_minute=6, tier2_per_minute=3, rate_window=4.0)
def test_tight_rate_limits_are_honoured_without_repeated_rejection(emulator, ansible, tmp_path, figures):
    """Per-tenant limits far below Qlik's (6 reads and 3 writes per 4 s), 5 tenants in parallel."""
    tenants = [emulator.add_tenant(name='limited-%d' % i, migration_seconds=2.0) for i in range(5)]
    inventory = tmp_path / 'limited.yml'
    inventory.write_text(json.dumps(dict(qlik_tenants=dict(hosts=dict(
        (t.name, dict(encrypted_tenant_url=emulator.url(t))) for t in tenants)))))
    play = role_play(emulator, hosts='qlik_tenants', encrypted_tenant_key=dict(arn=ARN, name='k'))
    run = ansible.run(play=play, inventory=str(inventory), forks=5, timeout=600)
    assert run.rc == 0, run.output()
    log = emulator.requests()
    limited = [e for e in log if e['fault'] == 'rate_limit']
    figures['rate_limited'] += len(limited)
    assert limited, 'the limits were never reached: the test proves nothing'
    twice = 0
    for host in {e['host'] for e in log}:
        entries = [e for e in log if e['host'] == host]
        for before, after in zip(entries, entries[1:]):
            if before['fault'] == after['fault'] == 'rate_limit' and \
                    (before['method'], before['path']) == (after['method'], after['path']):
                twice += 1
            if before['fault'] == 'rate_limit' and (before['method'], before['path']) == \
                    (after['method'], after['path']):
                assert after['time'] - before['time'] >= 0.9  # waited for Retry-After (at least 1 s)
    figures['rejected_twice_in_a_row'] += twice
    assert twice == 0
    assert all(t.providers[t.current].arn == ARN for t in tenants)


def test_twenty_tenants_at_real_limits_never_rejected_twice(emulator, ansible, tmp_path, figures):
    tenants = [emulator.add_tenant(name='real-%02d' % i) for i in range(20)]
    inventory = tmp_path / 'real.yml'
    inventory.write_text(json.dumps(dict(qlik_tenants=dict(hosts=dict(
        (t.name, dict(encrypted_tenant_url=emulator.url(t))) for t in tenants)))))
    run = ansible.run(play=role_play(emulator, hosts='qlik_tenants', encrypted_tenant_key=dict(arn=ARN, name='k')),
                      inventory=str(inventory), forks=10, timeout=600)
    assert run.rc == 0, run.output()
    limited = [e for e in emulator.requests() if e['fault'] == 'rate_limit']
    figures['rate_limited'] += len(limited)
    assert all(t.current is not None for t in tenants)


def test_token_expiry_mid_wait_is_one_fresh_exchange(emulator, ansible, figures):
    tenant = emulator.source_tenant
    tenant.migration_seconds = 4.0
    conn = ansible.connection()
    ansible.run([task('reg', dict(conn, arn=ARN, name='k'), module='qlikcloud.platform.qlik_key_provider')])
    details = ENC + '/migration/actions/details'

    def expire_once_waiting():
        deadline = time.time() + 30
        while time.time() < deadline:
            if any(e['path'] == details for e in emulator.requests()):
                emulator.model.expire_tokens()
                figures['token_expiries'] += 1
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=expire_once_waiting)
    watcher.start()
    mark = emulator.last_seq()
    run = ansible.run([task('migrate', dict(conn, arn=ARN), module='qlikcloud.platform.qlik_key_migration')])
    watcher.join()
    if run.rc != 0:
        figures['token_expiry_failures'] += 1
    assert run.rc == 0, run.output()
    entries = [(e['method'], e['path'], e['status']) for e in emulator.requests(since=mark)]
    assert entries.count(('POST', '/oauth/token', 200)) == 2  # the first exchange and one after the 401
    first_401 = next(i for i, e in enumerate(entries) if e[2] == 401)
    assert entries[first_401 + 1] == ('POST', '/oauth/token', 200)
    assert entries[first_401 + 2][:2] == entries[first_401][:2]  # the same call again, now accepted
    assert [e for e in entries if e[2] == 401] == [entries[first_401]]


def test_no_secret_anywhere_with_vvv_and_diff(emulator, ansible, tmp_path, figures):
    """Every module and the role, -vvv --diff, failures included: no secret in output or the request log.

    Secrets come from an extra-vars file, as they would from a vault: ansible-core itself prints the
    source lines of a failing task, so a secret written inline in a playbook is shown by Ansible.
    """
    cfg = emulator.config
    org_secret = 'organization-secret-do-not-print'
    api_key = emulator.source_tenant.api_key
    secrets_file = tmp_path / 'secrets.json'
    secrets_file.write_text(json.dumps(dict(s_client_secret=cfg.client_secret, s_license_key=cfg.license_key,
                                            s_api_key=api_key, s_org_secret=org_secret)))
    vault = ['-e', '@%s' % secrets_file]
    conn = dict(tenant_url=emulator.source_tenant_url, client_id=cfg.client_id,
                client_secret='{{ s_client_secret }}')
    registration = dict(registration_url=emulator.registration_url, client_id=cfg.client_id,
                        client_secret='{{ s_client_secret }}')
    organization = dict(url=emulator.console_url, subscription_id=cfg.subscription_id, client_id=cfg.client_id,
                        client_secret='{{ s_client_secret }}')
    tasks = [
        task('token', conn, module='qlikcloud.platform.qlik_token', no_log=True, register='tok'),
        task('provider', dict(conn, arn=ARN, name='k', validate=True), module='qlikcloud.platform.qlik_key_provider'),
        task('providers', dict(tenant_url=conn['tenant_url'], access_token='{{ s_api_key }}'),
             module='qlikcloud.platform.qlik_key_provider_info'),
        task('migrate', dict(tenant_url=conn['tenant_url'], access_token='{{ tok.access_token }}', arn=ARN),
             module='qlikcloud.platform.qlik_key_migration'),
        task('migration', dict(tenant_url=conn['tenant_url'], access_token='{{ tok.access_token }}'),
             module='qlikcloud.platform.qlik_key_migration_info'),
        task('tenant', dict(registration, license_key='{{ s_license_key }}', name='secretive',
                            organization=organization), module='qlikcloud.platform.qlik_tenant'),
        task('tenant info', dict(registration, name='secretive', organization=organization),
             module='qlikcloud.platform.qlik_tenant_info'),
        task('bad org secret', dict(registration, name='x', organization=dict(
            organization, client_secret='{{ s_org_secret }}')), module='qlikcloud.platform.qlik_tenant_info',
            ignore_errors=True),
        task('bad client secret', dict(conn, client_secret='{{ s_org_secret }}-2'),
             module='qlikcloud.platform.qlik_key_provider_info', ignore_errors=True),
        task('bad token', dict(tenant_url=conn['tenant_url'], access_token='{{ s_org_secret }}-3', arn=ARN2,
                               name='x'), module='qlikcloud.platform.qlik_key_provider', ignore_errors=True),
    ]
    run = ansible.run(tasks, diff=True, extra_args=['-vvv'] + vault)
    assert run.rc == 0, run.output()
    role = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.source_tenant_url,
                                      encrypted_tenant_client_secret='{{ s_client_secret }}',
                                      encrypted_tenant_key=dict(arn=ARN2, name='k2')),
                       diff=True, extra_args=['-vvv'] + vault)
    assert role.rc == 0, role.output()
    secrets = [cfg.client_secret, cfg.license_key, api_key, org_secret] + list(emulator.model.tokens)
    text = run.stdout + run.stderr + role.stdout + role.stderr
    log = json.dumps(emulator.requests())
    found = [s for s in secrets if s in text or s in log]
    figures['secret_checks'] += 2
    figures['secrets_found'] += len(found)
    assert found == []
    assert 'client credentials (client_id/client_secret) were rejected' in run.task('bad org secret')['msg']
    assert 'the access token was rejected' in run.task('bad token')['msg']
    assert run.task('tenant')['changed'] is True and run.task('migrate')['changed'] is True
    assert len(emulator.model.tokens) >= 4  # tokens were really issued (and are checked above)


def test_untrusted_certificate_fails_clearly_and_ca_path_fixes_it(emulator, ansible):
    conn = ansible.connection()
    run = ansible.run([task('default', conn, module='qlikcloud.platform.qlik_key_provider_info',
                            ignore_errors=True),
                       task('with ca', dict(conn, ca_path=emulator.ca_path),
                            module='qlikcloud.platform.qlik_key_provider_info')],
                      env=dict(QLIK_CA_PATH=''))
    assert run.rc == 0, run.output()
    assert 'TLS verification failed (is the certificate trusted? see validate_certs and ca_path)' in \
        run.task('default')['msg']
    assert run.task('with ca')['current_key_provider']['keyprovider'] == 'Qlik'


FAKE_LICENSE = 'fake-signed-license-key-0001'
BAD_INPUTS = [
    # (module, arguments beyond the connection, option the error must name)
    ('qlik_key_provider', dict(arn='arn:aws:s3:::bucket', name='x'), 'arn'),
    ('qlik_key_provider', dict(arn='arn:aws:kms:eu-west-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab', name='x'),
     'arn'),
    ('qlik_key_provider', dict(arn='arn:aws:kms:EU_WEST:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
                               name='x'), 'arn'),
    ('qlik_key_provider', dict(arn='arn:aws:kms:eu-west-1:111122223333:alias/my-key', name='x'), 'arn'),
    ('qlik_key_provider', dict(arn='arn:aws:kms:eu-west-1:111122223333:key/not-a-key-id', name='x'), 'arn'),
    ('qlik_key_provider', dict(arn=ARN, name=''), 'name'),
    ('qlik_key_provider', dict(arn=ARN2), 'name'),
    ('qlik_key_provider', dict(fingerprint='has spaces in it', state='absent'), 'fingerprint'),
    ('qlik_key_provider', dict(fingerprint='0123456789abcdef0123456789abcdef', name='x'), 'fingerprint'),
    ('qlik_key_provider', dict(arn=ARN, name='x', provider_type='GCP-KMS'), 'provider_type'),
    ('qlik_key_provider', dict(arn=ARN, name='x', state='gone'), 'state'),
    ('qlik_key_provider', dict(arn=ARN, name='x', timeout='soon'), 'timeout'),
    ('qlik_key_provider', dict(arn=ARN, name='x', retries=-1), 'retries'),
    ('qlik_key_provider', dict(arn=ARN, name='x', tenant_url='http://insecure.example'), 'tenant_url'),
    ('qlik_key_provider', dict(arn=ARN, name='x', tenant_url='https://bad host'), 'tenant_url'),
    ('qlik_key_migration', dict(), 'arn, fingerprint, name, qlik_managed'),
    ('qlik_key_migration', dict(arn=ARN, qlik_managed=True), 'arn|fingerprint|name|qlik_managed'),
    ('qlik_key_migration', dict(qlik_managed=False), 'qlik_managed'),
    ('qlik_key_migration', dict(arn=ARN2), 'arn'),
    ('qlik_key_migration', dict(arn=ARN, wait_timeout='an hour'), 'wait_timeout'),
    ('qlik_key_migration', dict(arn=ARN, wait_timeout=-5), 'wait_timeout'),
    ('qlik_key_migration', dict(name=''), 'name'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, purge_after_days=5, state='deactivated', id='x'), 'purge_after_days'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, purge_after_days=365, state='deactivated', id='x'), 'purge_after_days'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, datacenter='mars-north-1'), 'datacenter'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, hostname='no spaces allowed'), 'hostname'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, name='   '), 'name'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, source_tenant_url='https://x.example'), 'license_key|source_tenant_url'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, state='deleted'), 'state'),
    ('qlik_tenant', dict(license_key=FAKE_LICENSE, registration_url='ftp://register.example'), 'registration_url'),
]


def test_bad_inputs_are_rejected_naming_the_option_without_writes(emulator, ansible, figures):
    conn = ansible.connection()
    ansible.run([task('reg', dict(conn, arn=ARN, name='k'), module='qlikcloud.platform.qlik_key_provider')])
    registration = dict(registration_url=emulator.registration_url, client_id=conn['client_id'],
                        client_secret=conn['client_secret'])
    tasks = []
    for number, (module, args, option) in enumerate(BAD_INPUTS):
        base = registration if module == 'qlik_tenant' else conn
        tasks.append(task('bad %02d' % number, dict(base, **args), module='qlikcloud.platform.' + module,
                          ignore_errors=True))
    mark = emulator.last_seq()
    run = ansible.run(tasks)
    assert run.rc == 0, run.output()
    writes = emulator.requests(writes=True, since=mark)
    figures['bad_inputs_tried'] += len(BAD_INPUTS)
    figures['bad_inputs_with_writes'] += len(writes)
    unclear = []
    for number, (module, args, option) in enumerate(BAD_INPUTS):
        result = run.task('bad %02d' % number)
        if run.status('bad %02d' % number) == 'failed' and option in result.get('msg', ''):
            figures['bad_inputs_rejected'] += 1
        else:
            unclear.append((module, args, option, result.get('msg')))
    assert unclear == []
    assert writes == []
    assert len(BAD_INPUTS) >= 25


def test_secret_rotations_under_faults_never_leave_a_client_without_a_secret(request, emulator, ansible, tmp_path,
                                                                             figures):
    for number in range(_count(request, 1, 20)):
        client_id, old = make_client(emulator, name='rotated-%02d' % number, age_days=120)
        workdir = tmp_path / ('rotation-%02d' % number)
        workdir.mkdir()
        emulator.faults(**dict(ROTATION_FAULTS, fault_seed=100 + number))
        runs = rotate_as_a_pipeline(ansible, emulator, client_id, old, workdir, attempts=4,
                                    rotate_client_secret_retries=8, rotate_client_secret_pending_timeout='PT0S')
        outputs = ''.join(run.stdout + run.stderr for run in runs)
        figures['rotation_runs'] += 1
        figures['rotation_faults'] += emulator.gateway.faults_injected
        emulator.faults()
        values = [s.value for s in held(emulator, client_id).secrets]
        secret = stored(workdir)[0]
        figures['rotation_secrets_leaked'] += sum(1 for v in set(values + [old]) if v in outputs)
        if not runs or exchange(emulator, client_id, secret or old) != 200:
            figures['rotation_without_secret'] += 1
        if values == [secret]:
            figures['rotation_converged'] += 1
        assert values == [secret], (number, len(values))
    assert figures['rotation_without_secret'] == 0 and figures['rotation_secrets_leaked'] == 0


def test_secret_rotations_with_late_answers_never_lose_the_stored_secret(request, emulator, ansible, tmp_path, figures):
    """'create secret' answered after the client's timeout and applied late (issue 20, defect 1), as a pipeline runs
    the role: alone on its client (pending_timeout 0), each re-run with the secret that works now."""
    for number in range(_count(request, 1, 20)):
        client_id, old = make_client(emulator, name='late-%02d' % number, age_days=120)
        workdir = tmp_path / ('late-%02d' % number)
        workdir.mkdir()
        emulator.faults(fault_kinds=('slow',), fault_delay=1.5, fault_methods=('POST',),
                        fault_paths=('/api/v1/oauth-clients/%s/client-secrets' % client_id,), fault_limit=1)
        runs = rotate_as_a_pipeline(ansible, emulator, client_id, old, workdir, attempts=3, env=dict(QLIK_TIMEOUT='1'),
                                    rotate_client_secret_pending_timeout='PT0S')
        emulator.wait_idle()
        emulator.faults()
        outputs = ''.join(run.stdout + run.stderr for run in runs)
        values = [s.value for s in held(emulator, client_id).secrets]
        secret = stored(workdir)[0]
        figures['late_runs'] += 1
        figures['late_secrets_leaked'] += sum(1 for v in set(values + [old]) if v in outputs)
        figures['late_without_secret'] += exchange(emulator, client_id, secret or old) != 200
        figures['late_converged'] += values == [secret] and runs[-1].rc == 0
        assert values == [secret] and exchange(emulator, client_id, secret) == 200, (number, runs[-1].output())
    assert figures['late_without_secret'] == 0 and figures['late_secrets_leaked'] == 0


@pytest.mark.emulator(fault_latency=0.05)
def test_concurrent_rotations_of_one_client_keep_a_working_stored_secret(request, emulator, ansible, tmp_path, figures):
    for number in range(_count(request, 1, 10)):
        workdir = tmp_path / ('pair-%02d' % number)
        workdir.mkdir()
        client_id, old, runs = rotate_twice_at_once(emulator, ansible, workdir)
        secret = stored(workdir)[0]
        figures['pairs'] += 1
        figures['pairs_one_rotated'] += sorted(run.rc == 0 for run in runs) == [False, True]
        figures['pairs_without_secret'] += secret is None or exchange(emulator, client_id, secret) != 200
        assert [s.value for s in held(emulator, client_id).secrets] == [secret], [run.output() for run in runs]
    assert figures['pairs_without_secret'] == 0
