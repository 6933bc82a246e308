"""The encrypted_tenant role: from nothing to a tenant on a customer-managed key, and kept there."""

from __future__ import annotations

import os

import pytest
import yaml

from tests.harness.plays import ARN, ARN2, ENC, REPORT_TASK, create_vars, role_facts, role_play, role_result, role_step


def writes(emulator, since):
    return [(e['host'], e['method'], e['path']) for e in emulator.requests(writes=True, since=since)]


def state_of(emulator, name):
    tenant = [t for t in emulator.model.tenants.values() if t.name == name]
    assert len(tenant) == 1, [t.name for t in emulator.model.tenants.values()]
    return tenant[0]


@pytest.mark.parametrize('list_style', ['array', 'wrapped'])
def test_create_encrypt_rerun_check_rotate_prune_and_back_to_qlik(emulator, ansible, list_style):
    emulator.config.update(dict(list_style=list_style))
    # check mode on nothing: nothing written, changes reported
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **create_vars(emulator)), check=True)
    assert run.rc == 0, run.output()
    assert run.recap()['localhost']['changed'] >= 1
    assert writes(emulator, mark) == []
    assert len(emulator.model.tenants) == 1

    # create and encrypt
    run = ansible.run(play=role_play(emulator, **create_vars(emulator)))
    assert run.rc == 0, run.output()
    tenant = state_of(emulator, 'acme-prod')
    fingerprint = [p for p in tenant.providers.values() if p.arn == ARN][0].fingerprint
    assert tenant.current == fingerprint
    facts = role_facts(run)
    assert facts['url'] == emulator.url(tenant)
    assert facts['id'] == tenant.id
    assert facts['key_provider']['arn'] == ARN
    assert facts['key_provider']['current'] is True
    assert emulator.migrations_started(tenant) == 1

    # rerun: ok, zero writes
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **create_vars(emulator)))
    assert run.rc == 0, run.output()
    assert run.recap()['localhost']['changed'] == 0, run.output()
    assert writes(emulator, mark) == []

    # rerun against the tenant URL (a bare host name): one token exchange and one list, nothing else
    url_vars = dict(encrypted_tenant_url=tenant.hostnames[0], encrypted_tenant_key=dict(arn=ARN, name='CMK 01',
                                                                                        description='first key'))
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **url_vars))
    assert run.rc == 0 and run.recap()['localhost']['changed'] == 0, run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', '/api/v1/encryption/keyproviders/actions/list')]
    assert role_facts(run)['url'] == emulator.url(tenant)
    assert role_facts(run)['id'] == tenant.id

    # check mode rotation: nothing written
    rotate = {**url_vars, 'encrypted_tenant_key': dict(arn=ARN2, name='CMK 02'),
              'encrypted_tenant_prune_key_providers': True}
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **rotate), check=True)
    assert run.rc == 0 and run.recap()['localhost']['changed'] >= 1, run.output()
    assert writes(emulator, mark) == []

    # rotation with prune: new key current, old provider gone, one more migration
    run = ansible.run(play=role_play(emulator, **rotate))
    assert run.rc == 0, run.output()
    assert [p.arn for p in tenant.providers.values()] == [ARN2]
    assert tenant.providers[tenant.current].arn == ARN2
    assert emulator.migrations_started(tenant) == 2
    assert role_facts(run)['key_provider']['arn'] == ARN2

    # back to the Qlik-managed key, pruning every AWS-KMS provider; then a rerun writes nothing
    back = {**url_vars, 'encrypted_tenant_key': 'qlik', 'encrypted_tenant_prune_key_providers': True}
    run = ansible.run(play=role_play(emulator, **back))
    assert run.rc == 0, run.output()
    assert tenant.current is None and list(tenant.providers) == []
    assert role_facts(run)['key_provider']['keyprovider'] == 'Qlik'
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **back))
    assert run.rc == 0 and run.recap()['localhost']['changed'] == 0, run.output()
    assert writes(emulator, mark) == []


def test_first_converge_of_an_existing_tenant_runs_three_steps_on_one_token(emulator, ansible):
    """Ensuring the provider is the read: provider, start, wait; one token exchange, no other list."""
    tenant = emulator.add_tenant(name='eta')
    host = emulator.url(tenant).split('://', 1)[1]
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.url(tenant),
                                     encrypted_tenant_key=dict(arn=ARN, name='CMK 01')))
    assert run.rc == 0, run.output()
    fingerprint = tenant.current
    assert tenant.providers[fingerprint].arn == ARN
    entries = emulator.requests(since=mark)
    assert [(e['method'], e['path']) for e in entries[:5]] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list'), ('GET', '/api/v1/tenants/me'), ('POST', ENC),
        ('POST', '%s/%s/actions/test' % (ENC, fingerprint))]
    assert writes(emulator, mark) == [(host, 'POST', ENC), (host, 'POST', '%s/%s/actions/test' % (ENC, fingerprint)),
                                      (host, 'POST', '%s/%s/actions/migrate' % (ENC, fingerprint))]
    # the steps of one tenant share one client: one token exchange for the whole converge
    assert sum(1 for e in entries if e['path'] == '/oauth/token') == 1
    for name in ('key_provider', 'start'):
        assert role_step(run, name)['changed'] is True, name
    assert role_step(run, 'wait')['started'] is False  # joined the started one
    assert run.status(REPORT_TASK) == 'ok' and run.task(REPORT_TASK)['changed'] is True
    facts = role_facts(run)
    assert facts['url'] == emulator.url(tenant)
    assert facts['id'] == tenant.id
    assert facts['key_provider']['arnFingerPrint'] == fingerprint
    assert facts['key_provider']['current'] is True

    # without waiting, the fact is the key still current while the migration runs
    tenant2 = emulator.add_tenant(name='theta')
    run = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.url(tenant2), encrypted_tenant_wait=False,
                                     encrypted_tenant_key=dict(arn=ARN, name='CMK 01')))
    assert run.rc == 0, run.output()
    assert emulator.migrations_started(tenant2) == 1
    assert role_facts(run)['key_provider']['keyprovider'] == 'Qlik'


@pytest.mark.parametrize('compliance_style', ['object', 'array'])
def test_non_compliant_key_is_stopped_by_the_gate(emulator, ansible, compliance_style):
    emulator.config.update(dict(compliance_style=compliance_style))
    emulator.config.key_behaviours[ARN] = 'noncompliant'
    tenant = emulator.add_tenant(name='zeta')
    run = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.url(tenant),
                                     encrypted_tenant_key=dict(arn=ARN, name='CMK 01'),
                                     encrypted_tenant_require_dr_compliant=True))
    assert run.rc != 0
    message = run.task(REPORT_TASK)['msg']
    assert run.status(REPORT_TASK) == 'failed' and role_result(run)['failed'] is True
    assert message.startswith('Key %s is not DR-compliant, not migrating:' % ARN)
    assert 'does not allow the required action [eu-west-3] [GenerateDataKey]' in message
    assert tenant.current is None
    assert emulator.migrations_started(tenant) == 0


def test_bad_role_input_is_refused_before_any_call(emulator, ansible):
    run = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.source_tenant_url,
                                     encrypted_tenant_key=dict(name='no arn')))
    assert run.rc != 0
    assert "encrypted_tenant_key must be {arn, name, description} or 'qlik'" in run.task(REPORT_TASK)['msg']
    assert emulator.requests() == []


def test_twenty_tenant_inventory_converges_in_one_run(emulator, ansible, tmp_path):
    tenants = [emulator.add_tenant(name='fleet-%02d' % i) for i in range(20)]
    inventory = dict(qlik_tenants=dict(hosts=dict(
        ('fleet-%02d' % i, dict(encrypted_tenant_url=emulator.url(t))) for i, t in enumerate(tenants))))
    path = os.path.join(str(tmp_path), 'fleet.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump(inventory, handle)
    play = role_play(emulator, hosts='qlik_tenants', encrypted_tenant_key=dict(arn=ARN, name='fleet key'),
                     encrypted_tenant_require_dr_compliant=True)
    run = ansible.run(play=play, inventory=path, forks=10, timeout=600)
    assert run.rc == 0, run.output()
    for tenant in tenants:
        assert tenant.current is not None and tenant.providers[tenant.current].arn == ARN, tenant.name
        assert emulator.migrations_started(tenant) == 1
    recap = run.recap()
    assert len(recap) == 20 and all(counts['failed'] == 0 for counts in recap.values())
    mark = emulator.last_seq()
    run = ansible.run(play=play, inventory=path, forks=10, timeout=600)
    assert run.rc == 0 and all(c['changed'] == 0 for c in run.recap().values()), run.output()
    assert writes(emulator, mark) == []


def test_a_deactivated_tenant_by_url_is_named_plainly(emulator, ansible):
    tenant = emulator.add_tenant(name='dormant')
    emulator.model.deactivate_tenant(tenant, tenant.hostnames[0], 30)
    run = ansible.run(play=role_play(emulator, encrypted_tenant_url=emulator.url(tenant),
                                     encrypted_tenant_key=dict(arn=ARN, name='CMK 01')))
    assert run.rc != 0
    message = run.task(REPORT_TASK)['msg']
    assert message.startswith('registering key provider %s: the tenant at %s is deactivated; qlik_tenant with '
                              'state=present reactivates it' % (ARN, tenant.hostnames[0])), message
    assert 'dormant (%s) is deactivated' % tenant.id in message and '(trace id ' in message
    assert tenant.status == 'disabled'
