"""qlik_tenant and qlik_tenant_info against the emulator's registration host and console."""

from __future__ import annotations

import pytest

from tests.harness.plays import task


TENANT = 'qlikcloud.platform.qlik_tenant'
INFO = 'qlikcloud.platform.qlik_tenant_info'
TENANTS = '/api/v1/tenants'


def reg(emulator, **args):
    cfg = emulator.config
    return dict(dict(registration_url=emulator.registration_url, client_id=cfg.client_id,
                     client_secret=cfg.client_secret), **args)


def org(emulator):
    return dict(url=emulator.console_url, subscription_id=emulator.config.subscription_id)


def registration_writes(emulator, since):
    host = emulator.registration_url.split('//')[1]
    return [(e['method'], e['path'], e['body']) for e in emulator.requests(host=host, writes=True, since=since)]


def all_writes(emulator, since):
    return [(e['method'], e['path']) for e in emulator.requests(writes=True, since=since)]


def tenant_named(emulator, name):
    return [t for t in emulator.model.tenants.values() if t.name == name]


def test_create_with_license_key_check_mode_then_create_and_tutorial_step_6(emulator, ansible):
    args = reg(emulator, license_key=emulator.config.license_key, name='acme-prod', hostname='analytics.acme.example',
               enable_analytic_creation=True)
    mark = emulator.last_seq()
    run = ansible.run([task('create', args, module=TENANT)], check=True, diff=True)
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert result['tenant']['name'] == 'acme-prod' and result['tenant_url'] is None
    assert result['diff']['before'] == {'state': 'absent'}
    assert all_writes(emulator, mark) == []
    assert emulator.config.license_key not in run.stdout + run.stderr

    mark = emulator.last_seq()
    run = ansible.run([
        task('create', args, module=TENANT, register='made'),
        task('token', dict(tenant_url='{{ made.tenant_url }}', client_id=emulator.config.client_id,
                           client_secret=emulator.config.client_secret),
             module='qlikcloud.platform.qlik_token', register='tok', no_log=True),
        task('me', dict(url='{{ made.tenant_url }}/api/v1/users/me', ca_path=emulator.ca_path,
                        headers=dict(Authorization='Bearer {{ tok.access_token }}')),
             module='ansible.builtin.uri', no_log=True, register='me'),
        dict(name='who', **{'ansible.builtin.assert': dict(that=['me.json.tenantId == made.tenant.id'])}),
    ], extra_args=['-vvv'])
    assert run.rc == 0, run.output()
    result = run.task('create')
    assert result['changed'] is True
    assert 're-run would create another tenant' in run.stderr + run.stdout
    assert registration_writes(emulator, mark) == [
        ('POST', TENANTS, dict(licenseKey='<redacted>', name='acme-prod')),
        ('PATCH', '%s/%s' % (TENANTS, result['tenant']['id']), [
            dict(op='replace', path='/enableAnalyticCreation', value=True),
            dict(op='replace', path='/hostnames/1', value='analytics.acme.example')])]
    created = tenant_named(emulator, 'acme-prod')
    assert len(created) == 1 and created[0].hostnames[1] == 'analytics.acme.example'
    assert created[0].flags['enableAnalyticCreation'] is True
    assert result['tenant_url'] == 'https://' + created[0].hostnames[0]
    assert result['tenant']['hostnames'] == created[0].hostnames
    assert run.status('who') == 'ok'
    assert emulator.config.license_key not in run.stdout + run.stderr
    assert emulator.config.client_secret not in run.stdout + run.stderr


def test_create_from_source_tenant_then_reruns_by_lookup_and_id_write_nothing(emulator, ansible):
    args = reg(emulator, source_tenant_url=emulator.source_tenant_url, name='beta', organization=org(emulator),
               datacenter='eu-west-2')
    run = ansible.run([task('create', args, module=TENANT)])
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(host=emulator.source_tenant_url)] == [
        ('POST', '/oauth/token'), ('GET', '/api/v1/licenses/overview')]
    assert result['tenant']['datacenter'] == 'eu-west-2'
    tenant_id = result['tenant']['id']

    mark = emulator.last_seq()
    run = ansible.run([task('by lookup', args, module=TENANT),
                       task('by id', reg(emulator, id=tenant_id, name='beta',
                                         source_tenant_url=emulator.source_tenant_url), module=TENANT)])
    assert run.rc == 0, run.output()
    assert run.task('by lookup')['changed'] is False and run.task('by id')['changed'] is False
    assert run.task('by lookup')['tenant']['id'] == tenant_id
    assert all_writes(emulator, mark) == []
    assert not [e for e in emulator.requests(since=mark) if 'licenses' in e['path']]
    assert len(tenant_named(emulator, 'beta')) == 1


def test_rename_alias_and_flags_in_one_patch_and_check_mode(emulator, ansible):
    tenant = emulator.add_tenant(name='gamma')
    args = reg(emulator, id=tenant.id, name='gamma-renamed', hostname='gamma.example.com',
               auto_assign_create_shared_spaces_role_to_professionals=False,
               auto_assign_data_services_contributor_role_to_professionals=True, enable_app_opening_feedback=False)
    mark = emulator.last_seq()
    run = ansible.run([task('update', args, module=TENANT)], check=True, diff=True)
    result = run.task('update')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert result['diff']['before']['name'] == 'gamma' and result['diff']['after']['name'] == 'gamma-renamed'
    assert result['diff']['after']['hostnames'] == [tenant.hostnames[0], 'gamma.example.com']
    assert all_writes(emulator, mark) == []
    run = ansible.run([task('update', args, module=TENANT), task('again', args, module=TENANT)])
    assert run.rc == 0, run.output()
    assert run.task('update')['changed'] is True and run.task('again')['changed'] is False
    assert registration_writes(emulator, mark) == [('PATCH', '%s/%s' % (TENANTS, tenant.id), [
        dict(op='replace', path='/autoAssignCreateSharedSpacesRoleToProfessionals', value=False),
        dict(op='replace', path='/enableAppOpeningFeedback', value=False),
        dict(op='replace', path='/hostnames/1', value='gamma.example.com'),
        dict(op='replace', path='/name', value='gamma-renamed')])]
    assert tenant.flags['enableAppOpeningFeedback'] is False
    assert tenant.name == 'gamma-renamed' and tenant.hostnames[1] == 'gamma.example.com'
    assert tenant.flags['autoAssignCreateSharedSpacesRoleToProfessionals'] is False


def test_deactivate_and_reactivate(emulator, ansible):
    tenant = emulator.add_tenant(name='delta')
    deactivate = reg(emulator, id=tenant.id, state='deactivated', purge_after_days=15)
    mark = emulator.last_seq()
    run = ansible.run([task('check', deactivate, module=TENANT)], check=True)
    assert run.task('check')['changed'] is True and all_writes(emulator, mark) == []
    run = ansible.run([task('off', deactivate, module=TENANT), task('off again', deactivate, module=TENANT)])
    assert run.rc == 0, run.output()
    assert run.task('off')['changed'] is True and run.task('off again')['changed'] is False
    assert registration_writes(emulator, mark) == [
        ('POST', '%s/%s/actions/deactivate' % (TENANTS, tenant.id), dict(purgeAfterDays=15))]
    assert tenant.status == 'disabled'
    mark = emulator.last_seq()
    run = ansible.run([task('on', reg(emulator, id=tenant.id), module=TENANT)])
    assert run.rc == 0 and run.task('on')['changed'] is True, run.output()
    assert run.task('on')['tenant']['status'] == 'active'
    assert registration_writes(emulator, mark) == [
        ('POST', '%s/%s/actions/reactivate' % (TENANTS, tenant.id), None)]
    assert tenant.status == 'active'


@pytest.mark.parametrize('found_by', ['name', 'hostname'])
def test_tenant_of_another_region_fails_naming_the_region_and_host(emulator, ansible, found_by):
    """The console finds a tenant of every region; this region's registration host answers 404 for one of
    another region. That is a wrong registration_url, not a tenant that is as wanted (nor one to create)."""
    far = emulator.add_tenant(name='far-away', region='us')
    far.hostnames.append('far-away.us.example')  # an alias, to find it by host name
    key = dict(name='far-away') if found_by == 'name' else dict(hostname='far-away.us.example')
    before = len(emulator.model.tenants)
    mark = emulator.last_seq()
    run = ansible.run([task('wrong region', reg(emulator, organization=org(emulator), enable_analytic_creation=True,
                                                license_key=emulator.config.license_key, **key), module=TENANT)])
    assert run.rc != 0
    message = run.task('wrong region')['msg']
    host = emulator.registration_url.split('//')[1]
    assert ('the tenant found by %s' % found_by) in message and 'far-away (%s)' % far.id in message, message
    assert 'is in region us-east-1' in message and 'registration host %s does not know it (404)' % host in message
    assert "registration_url of the tenant's region" in message
    assert all_writes(emulator, mark) == [] and len(emulator.model.tenants) == before
    assert far.flags['enableAnalyticCreation'] is False
    assert [(e['method'], e['path'], e['status']) for e in emulator.requests(host=host, since=mark)
            if e['path'] != '/oauth/token'] == [('GET', '%s/%s' % (TENANTS, far.id), 404)]


@pytest.mark.parametrize('args,words', [
    (dict(license_key='not-a-license', name='x'), 'HTTP 400 - [TENANTS-7] Invalid license key'),
    (dict(license_key='k', datacenter='mars-north-1'), 'value of datacenter must be one of'),
    (dict(id='nope', name='x'), 'no tenant with id nope in this region'),
    (dict(name='x'), 'to create one, give license_key or source_tenant_url'),
    (dict(name='  ', license_key='k'), 'name must not be empty'),
    (dict(hostname='not a host', license_key='k'), 'hostname must be a DNS host name'),
    (dict(id='x', state='deactivated', purge_after_days=5), 'purge_after_days must be 10 to 90, got 5'),
    (dict(name='x', license_key='k', organization=dict(url='https://console.example')),
     'organization needs url and subscription_id'),
    (dict(license_key='k', client_secret='wrong-secret-123'),
     'client credentials (client_id/client_secret) were rejected'),
])
def test_bad_input_and_refusals_fail_clearly_without_writes(emulator, ansible, args, words):
    before = len(emulator.model.tenants)
    mark = emulator.last_seq()
    run = ansible.run([task('bad', reg(emulator, **args), module=TENANT)])
    assert run.rc != 0
    message = run.task('bad')['msg']
    assert words in message, message
    assert emulator.config.license_key not in run.stdout + run.stderr
    assert 'wrong-secret-123' not in run.stdout + run.stderr
    assert len(emulator.model.tenants) == before
    assert [w for w in all_writes(emulator, mark) if w[1] != TENANTS] == []


LOSE_CREATE_ANSWER = dict(fault_rate=1.0, fault_kinds=('drop_after',), fault_methods=('POST',),
                          fault_paths=(TENANTS,), fault_limit=1)


@pytest.mark.emulator(**LOSE_CREATE_ANSWER)
def test_lost_create_answer_with_lookup_leaves_one_tenant(emulator, ansible):
    args = reg(emulator, license_key=emulator.config.license_key, name='lost-answer', organization=org(emulator))
    mark = emulator.last_seq()
    run = ansible.run([task('create', args, module=TENANT)])
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    created = tenant_named(emulator, 'lost-answer')
    assert len(created) == 1 and result['tenant']['id'] == created[0].id
    posts = [e for e in emulator.requests(since=mark) if e['method'] == 'POST' and e['path'] == TENANTS]
    assert [(e['status'], e['fault']) for e in posts] == [(201, 'drop_after')]


@pytest.mark.emulator(**LOSE_CREATE_ANSWER)
def test_lost_create_answer_without_lookup_is_not_resent(emulator, ansible):
    run = ansible.run([task('create', reg(emulator, license_key=emulator.config.license_key), module=TENANT)])
    assert run.rc != 0
    assert 'may have created a tenant but no answer came back' in run.task('create')['msg']
    assert len([e for e in emulator.requests() if e['method'] == 'POST' and e['path'] == TENANTS]) == 1


def test_info_by_id_and_by_name_or_hostname(emulator, ansible):
    tenant = emulator.add_tenant(name='epsilon')
    emulator.model.patch_tenant(tenant, [dict(op='replace', path='/hostnames/1', value='eps.example.com')])
    cfg = emulator.config
    creds = dict(client_id=cfg.client_id, client_secret=cfg.client_secret)
    run = ansible.run([
        task('by id', dict(creds, registration_url=emulator.registration_url, id=tenant.id), module=INFO),
        task('by name', dict(creds, name='epsilon', organization=org(emulator)), module=INFO),
        task('by host', dict(creds, hostname='EPS.example.com', organization=org(emulator)), module=INFO),
        task('all', dict(creds, organization=org(emulator)), module=INFO),
        task('none', dict(creds, name='nobody', organization=org(emulator)), module=INFO),
        task('by url', dict(creds, tenant_url=emulator.url(tenant)), module=INFO),
    ], check=True)
    assert run.rc == 0, run.output()
    assert [t['id'] for t in run.task('by id')['tenants']] == [tenant.id]
    assert run.task('by id')['tenants'][0]['tenant_url'] == emulator.url(tenant)
    assert [t['id'] for t in run.task('by name')['tenants']] == [tenant.id]
    assert [t['id'] for t in run.task('by host')['tenants']] == [tenant.id]
    assert {t['id'] for t in run.task('all')['tenants']} == set(emulator.model.tenants)
    assert run.task('none')['tenants'] == []
    assert [t['id'] for t in run.task('by url')['tenants']] == [tenant.id]
    assert run.task('by url')['tenants'][0]['tenant_url'] == emulator.url(tenant)
    assert all_writes(emulator, 0) == []
