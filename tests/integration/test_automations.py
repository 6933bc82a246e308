"""qlik_automation, qlik_automation_info, qlik_automation_connection and _info against the emulator."""

from __future__ import annotations

import json

import pytest
import requests

from tests.harness.automate import AUTOS, CONNS, SPACE, automate, execute, seed
from tests.harness.plays import task
from tests.integration.test_secrets import make_client
from tests.harness.doors import connection, logic_door, module_door, without_invocation

AUTOMATION = 'qlikcloud.platform.qlik_automation'
AUTOMATION_INFO = 'qlikcloud.platform.qlik_automation_info'
CONNECTION = 'qlikcloud.platform.qlik_automation_connection'
CONNECTION_INFO = 'qlikcloud.platform.qlik_automation_connection_info'
FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=7)


def writes(emulator, since):
    return [(e['method'], e['path'], e['body']) for e in emulator.requests(writes=True, since=since)]


def keep(field, path):
    """A no_log task that stores ``registered.<field>`` in ``path`` (what a pipeline does next)."""
    return {'name': 'keep it', 'ansible.builtin.copy': dict(content='{{ registered.%s }}' % field, dest=str(path),
                                                            mode='0600'), 'no_log': True}


def test_info_lists_run_modes_and_which_have_a_token_never_the_token(emulator, ansible, tmp_path):
    orders = seed(emulator)
    report = seed(emulator, 'Nightly report', run_mode='scheduled', space_id=None)
    seed(emulator, 'No token', token=False)
    for number in range(120):
        seed(emulator, 'filler %03d' % number, run_mode='manual')
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('all', conn, module=AUTOMATION_INFO),
                       task('triggered', dict(conn, run_mode='triggered'), module=AUTOMATION_INFO),
                       task('by id', dict(conn, id=report.id), module=AUTOMATION_INFO),
                       task('token', dict(conn, name='Orders webhook', return_tokens=True), module=AUTOMATION_INFO,
                            register='registered'),
                       keep('automations[0].executionToken', tmp_path / 'token')], extra_args=['-vvvv'])
    assert run.rc == 0, run.output()
    listed = run.task('all')['automations']
    assert len(listed) == 123 and all('executionToken' not in a and 'workspace' not in a for a in listed)
    triggered = run.task('triggered')['automations']
    assert [(a['name'], a['hasExecutionToken']) for a in triggered] == [('Orders webhook', True), ('No token', False)]
    assert triggered[0]['triggerUrl'] == emulator.source_tenant_url + '/api/v1/automations/%s/actions/execute' % (
        orders.id)
    assert run.task('by id')['automations'][0]['runMode'] == 'scheduled'
    assert 'triggerUrl' not in run.task('by id')['automations'][0]
    assert run.task('token')['censored'].startswith('the output has been hidden')
    assert (tmp_path / 'token').read_text() == orders.execution_token
    for record in automate(emulator).of(emulator.source_tenant):
        if record.execution_token:
            assert record.execution_token not in run.stdout + run.stderr
    pages = [e for e in emulator.requests(since=mark) if e['path'] == AUTOS]
    assert len(pages) == 4 * 2 and all('limit=100' in e['query'] for e in pages)  # two pages per task
    assert sum('cursor=' in e['query'] for e in pages) == 4
    assert writes(emulator, mark) == []


def test_enable_disable_rename_and_delete(emulator, ansible):
    orders = seed(emulator, description='Takes orders')
    workspace = dict(orders.workspace)
    conn = ansible.connection()
    off = dict(conn, name='Orders webhook', enabled=False)
    path = '%s/%s' % (AUTOS, orders.id)
    mark = emulator.last_seq()
    run = ansible.run([task('plan', off, module=AUTOMATION)], check=True, diff=True)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['sent'] == [dict(method='POST', path=path + '/actions/disable')]
    assert plan['diff']['before']['enabled'] is True and plan['diff']['after']['enabled'] is False
    assert plan['automation']['state'] == 'disabled' and writes(emulator, mark) == []

    run = ansible.run([task('disable', off, module=AUTOMATION), task('again', off, module=AUTOMATION)])
    assert run.rc == 0, run.output()
    assert run.task('disable')['changed'] is True and run.task('again')['changed'] is False
    assert run.recap()['localhost']['changed'] == 1
    assert writes(emulator, mark) == [('POST', path + '/actions/disable', None)]
    assert orders.state == 'disabled'

    mark = emulator.last_seq()
    renamed = dict(conn, id=orders.id, name='Orders (v2)', description='Takes orders, v2', enabled=True)
    run = ansible.run([task('rename', renamed, module=AUTOMATION), task('same', renamed, module=AUTOMATION)], diff=True)
    assert run.rc == 0, run.output()
    assert run.task('rename')['changed'] is True and run.task('same')['changed'] is False
    body = dict(name='Orders (v2)', description='Takes orders, v2', workspace=workspace, schedules=[],
                maxConcurrentRuns=1)
    assert writes(emulator, mark) == [('PUT', path, body), ('POST', path + '/actions/enable', None)]
    assert (orders.name, orders.description, orders.state, orders.workspace) == (
        'Orders (v2)', 'Takes orders, v2', 'available', workspace)
    assert run.task('rename')['automation']['name'] == 'Orders (v2)'

    mark = emulator.last_seq()
    gone = dict(conn, id=orders.id, state='absent')
    run = ansible.run([task('plan delete', gone, module=AUTOMATION)], check=True)
    assert run.task('plan delete')['sent'] == [dict(method='POST', path=path + '/actions/disable'),
                                               dict(method='DELETE', path=path)]
    assert writes(emulator, mark) == []
    run = ansible.run([task('delete', gone, module=AUTOMATION), task('deleted', gone, module=AUTOMATION)])
    assert run.rc == 0, run.output()
    assert run.task('delete')['changed'] is True and run.task('deleted')['changed'] is False
    assert writes(emulator, mark) == [('POST', path + '/actions/disable', None), ('DELETE', path, None)]
    assert automate(emulator).of(emulator.source_tenant) == []
    assert execute(emulator, orders.id, orders.execution_token) == 404


def test_copy_gets_a_new_id_and_token_and_is_made_once(emulator, ansible, tmp_path):
    orders = seed(emulator)
    conn = ansible.connection()
    args = dict(conn, name='Orders webhook (copy)', copy_of='Orders webhook', space_id=SPACE, enabled=True,
                return_token=True)
    source = '%s/%s/actions/copy' % (AUTOS, orders.id)
    mark = emulator.last_seq()
    run = ansible.run([task('plan', args, module=AUTOMATION)], check=True, diff=True)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['sent'] == [dict(method='POST', path=source, body=dict(name='Orders webhook (copy)')),
                            dict(method='POST', path=AUTOS + '/(new id)/actions/change-space', body=dict(spaceId=SPACE)),
                            dict(method='POST', path=AUTOS + '/(new id)/actions/enable')]
    assert plan['copied_from'] == orders.id and plan['diff']['before'] == dict(state='absent')
    assert writes(emulator, mark) == []

    run = ansible.run([task('copy', args, module=AUTOMATION, register='registered'), keep('execution_token', tmp_path / 'token'),
                       task('again', args, module=AUTOMATION)], diff=True, extra_args=['-vvvv'])
    assert run.rc == 0, run.output()
    copies = [a for a in automate(emulator).of(emulator.source_tenant) if a.id != orders.id]
    assert len(copies) == 1
    made = copies[0]
    new = (tmp_path / 'token').read_text()
    assert made.execution_token == new and new != orders.execution_token and made.id != orders.id
    assert (made.name, made.state, made.space_id, made.workspace) == ('Orders webhook (copy)', 'available', SPACE,
                                                                      orders.workspace)
    path = '%s/%s' % (AUTOS, made.id)
    assert writes(emulator, mark) == [('POST', source, dict(name='Orders webhook (copy)')),
                                      ('POST', path + '/actions/change-space', dict(spaceId=SPACE)),
                                      ('POST', path + '/actions/enable', None)]
    assert run.task('copy')['censored'] and run.recap()['localhost']['changed'] == 2  # the copy, and keep it
    for token in (new, orders.execution_token):
        assert token not in run.stdout + run.stderr
    assert execute(emulator, made.id, new) == 200 and execute(emulator, made.id, orders.execution_token) == 401
    assert execute(emulator, orders.id, orders.execution_token) == 200  # the original is left as it is


@pytest.mark.emulator(fault_rate=1.0, fault_kinds=('drop_after',), fault_methods=('POST',),
                      fault_paths=(AUTOS,), fault_limit=1)
def test_a_copy_whose_answer_is_lost_is_found_by_its_name_not_made_twice(emulator, ansible):
    orders = seed(emulator)
    run = ansible.run([task('copy', dict(ansible.connection(), name='Orders (copy)', copy_of=orders.id),
                            module=AUTOMATION)])
    assert run.rc == 0, run.output()
    copies = [e for e in emulator.requests() if e['path'].endswith('/actions/copy')]
    assert [e['fault'] for e in copies] == ['drop_after']
    assert sorted(a.name for a in automate(emulator).of(emulator.source_tenant)) == ['Orders (copy)', 'Orders webhook']


def test_bad_input_is_refused_before_any_write(emulator, ansible):
    seed(emulator, 'twin')
    seed(emulator, 'twin')
    orders = seed(emulator)
    automate(emulator).add_connection(emulator.source_tenant, 'SMTP', values=dict(host='h', port='25'))
    conn = ansible.connection()
    cases = [
        (AUTOMATION, dict(name='twin', enabled=False), "name 'twin' is held by 2 automations"),
        (AUTOMATION, dict(id='nope', enabled=False), 'no automation with id nope'),
        (AUTOMATION, dict(name='missing', enabled=True), "no automation named 'missing' in this tenant"),
        (AUTOMATION, dict(name='copy', copy_of='missing'), "copy_of: no automation with id or name 'missing'"),
        (AUTOMATION, dict(id=orders.id, state='absent', enabled=False), 'enabled can only be given with state=present'),
        (AUTOMATION, dict(name=' '), 'name must not be empty'),
        (AUTOMATION, dict(id=orders.id, copy_of=orders.id), 'mutually exclusive: id|copy_of'),
        (CONNECTION, dict(name='SMTP', params=dict(hostname='x')), "has no parameter hostname (its parameters: host,"),
        (CONNECTION, dict(name='SMTP', params=dict(password='x'), secret_params=dict(password='y')),
         'password are in both params and secret_params'),
        (CONNECTION, dict(name='SMTP', params=dict(host=['a'])), 'params.host must be a string, a number or a boolean'),
        (CONNECTION, dict(name='missing', params=dict(host='x')), 'give connector_id to create it'),
        (CONNECTION, dict(name='SMTP', connector_id='http-basic'), 'is smtp and cannot change'),
    ]
    mark = emulator.last_seq()
    run = ansible.run([task('case %d' % n, dict(conn, **args), module=module, ignore_errors=True)
                       for n, (module, args, dummy) in enumerate(cases)])
    assert run.rc == 0, run.output()
    for number, (dummy, dummy2, words) in enumerate(cases):
        result = run.task('case %d' % number)
        assert run.status('case %d' % number) == 'failed' and words in result['msg'], (number, result.get('msg'))
    assert writes(emulator, mark) == []


def test_a_tenant_with_only_the_legacy_api(emulator, ansible, tmp_path):
    """404 on the workflows path: the legacy path serves every call; there only the owner may copy."""
    automate(emulator).paths = ('legacy',)
    owner_id, owner_secret = make_client(emulator, name='owner')
    orders = seed(emulator, owner_id=owner_id)
    conn = ansible.connection()
    as_owner = dict(conn, client_id=owner_id, client_secret=owner_secret)
    mark = emulator.last_seq()
    run = ansible.run([
        task('disable', dict(conn, name='Orders webhook', enabled=False), module=AUTOMATION),
        task('copy as admin', dict(conn, name='Orders (copy)', copy_of=orders.id), module=AUTOMATION,
             ignore_errors=True),
        task('copy as owner', dict(as_owner, name='Orders (copy)', copy_of=orders.id), module=AUTOMATION),
        task('list', conn, module=AUTOMATION_INFO)])
    assert run.rc == 0, run.output()
    refused = run.task('copy as admin')
    assert 'HTTP 403' in refused['msg'] and 'only the owner of an automation may copy it' in refused['msg']
    assert sorted(a['name'] for a in run.task('list')['automations']) == ['Orders (copy)', 'Orders webhook']
    legacy = '/api/v1/automations/' + orders.id
    assert [(m, p) for m, p, dummy in writes(emulator, mark)] == [
        ('POST', legacy + '/actions/disable'), ('POST', legacy + '/actions/copy'), ('POST', legacy + '/actions/copy')]
    lists = [(e['path'], e['status']) for e in emulator.requests(since=mark) if e['method'] == 'GET']
    assert lists.count((AUTOS, 404)) == 4 and (lists.count(('/api/v1/automations', 200))) >= 4


def test_the_emulator_answers_as_the_fact_sheet_says(emulator):
    orders = seed(emulator)
    report = seed(emulator, 'Nightly report', run_mode='scheduled')
    url = emulator.source_tenant_url
    cfg = emulator.config
    bearer = requests.post(url + '/oauth/token', json=dict(client_id=cfg.client_id, client_secret=cfg.client_secret,
                                                           grant_type='client_credentials'),
                           verify=emulator.ca_path, timeout=10).json()['access_token']

    def call(method, path, **kwargs):
        kwargs.setdefault('headers', {'Authorization': 'Bearer ' + bearer})
        return requests.request(method, url + path, verify=emulator.ca_path, timeout=10, **kwargs)

    assert call('GET', AUTOS, headers={}).status_code == 401
    assert call('GET', AUTOS, params=dict(limit=101)).status_code == 400
    item = call('GET', AUTOS).json()['data'][0]
    assert item['executionToken'] == orders.execution_token and 'workspace' not in item
    detail = call('GET', '%s/%s' % (AUTOS, orders.id)).json()
    assert detail['workspace'] == orders.workspace and detail['executionToken'] == orders.execution_token
    for body in (dict(name='x', spaceId=SPACE), dict(description='no name')):
        assert call('PUT', '%s/%s' % (AUTOS, orders.id), json=body).status_code == 400
    copied = call('POST', '%s/%s/actions/copy' % (AUTOS, orders.id), json=dict(name='copy'))
    assert copied.status_code == 201 and list(copied.json()) == ['id']
    copy = [a for a in automate(emulator).of(emulator.source_tenant) if a.id == copied.json()['id']][0]
    assert (copy.state, copy.space_id, copy.owner_id) == ('disabled', None, cfg.client_id)
    assert copy.execution_token not in ('', orders.execution_token)
    trigger = '/api/v1/automations/%s/actions/execute'
    assert call('POST', trigger % orders.id, headers={}, params={'X-Execution-Token': orders.execution_token}
                ).status_code == 400  # the query form was withdrawn
    assert execute(emulator, orders.id, orders.execution_token) == 200 and orders.runs == 1
    assert execute(emulator, report.id, report.execution_token) == 400  # not triggered
    assert execute(emulator, copy.id, copy.execution_token) == 403  # disabled
    assert execute(emulator, orders.id, '') == 401
    held = automate(emulator).add_connection(emulator.source_tenant, 'SMTP', values=dict(password='p4ss', host='h'))
    params = call('GET', '%s/%s' % (CONNS, held.id)).json()['params']
    assert [p for p in params if p['name'] == 'password'][0].get('value') is None
    assert [p for p in params if p['name'] == 'host'][0]['value'] == 'h'
    missing = call('GET', CONNS + '/nope')
    assert missing.status_code == 404 and missing.json()['errors'][0]['code'] == 'AUTOMATION-CONNECTIONS-404'
    assert 'p4ss' not in json.dumps(emulator.requests())


def test_both_doors_answer_alike(emulator, capsys):
    orders = seed(emulator)
    for name, args in (('qlik_automation_info', dict(run_mode='triggered')),
                       ('qlik_automation', dict(name='copy', copy_of=orders.id, enabled=True))):
        args = dict(connection(emulator), **args)
        mark = emulator.last_seq()
        by_module = module_door(name, args, capsys, check_mode=True)
        by_logic, dummy = logic_door(name, args, check_mode=True)
        assert without_invocation(by_module) == by_logic
        assert orders.execution_token not in json.dumps(by_module)
        assert writes(emulator, mark) == []
    assert by_module['changed'] is True and by_module['copied_from'] == orders.id


# ----------------------------------------------------------------------------------------------- connections
def smtp(emulator, **extra):
    values = dict(host='smtp.acme.example', port='587', username='automate', password='old-smtp-password')
    return automate(emulator).add_connection(emulator.source_tenant, 'Company SMTP', values=values, **extra)


def test_connection_parameters_converge_and_secrets_follow_update_secret(emulator, ansible):
    held = smtp(emulator, expected=dict(password='new-smtp-password'))
    conn = ansible.connection()
    plain = dict(host='smtp.acme.example', port=587, username='automate')
    rotate = dict(conn, name='Company SMTP', params=plain, secret_params=dict(password='new-smtp-password'),
                  verify=True)
    path = '%s/%s' % (CONNS, held.id)
    password_id = held.param_ids['password']
    mark = emulator.last_seq()
    run = ansible.run([task('plan', rotate, module=CONNECTION)], check=True, diff=True)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['updated_params'] == ['password'] and 'connected' not in plan
    assert plan['sent'] == [dict(method='PUT', path=path, body=dict(params=[dict(id=password_id, value='********')]))]
    assert plan['diff']['after']['secret_params_written'] == ['password']
    assert writes(emulator, mark) == [] and held.values['password'] == 'old-smtp-password'

    run = ansible.run([task('rotate', rotate, module=CONNECTION),
                       task('on create only', dict(rotate, update_secret='on_create'), module=CONNECTION),
                       task('always', rotate, module=CONNECTION)], diff=True, extra_args=['-vvvv'])
    assert run.rc == 0, run.output()
    assert run.task('rotate')['changed'] is True and run.task('rotate')['connected'] is True
    assert run.task('on create only')['changed'] is False and run.task('always')['changed'] is True
    assert held.values['password'] == 'new-smtp-password'
    redacted = dict(params=[dict(id=password_id, value='<redacted>')])
    assert writes(emulator, mark) == [('PUT', path, redacted), ('POST', path + '/actions/check', None),
                                      ('POST', path + '/actions/check', None),
                                      ('PUT', path, redacted), ('POST', path + '/actions/check', None)]
    for secret in ('new-smtp-password', 'old-smtp-password'):
        assert secret not in run.stdout + run.stderr and secret not in json.dumps(emulator.requests())
    shown = run.task('rotate')['automation_connection']['params']
    assert [p for p in shown if p['name'] == 'password'][0].get('value') is None
    assert [p for p in shown if p['name'] == 'host'][0]['value'] == 'smtp.acme.example'

    mark = emulator.last_seq()
    moved = dict(conn, name='Company SMTP', params=dict(plain, host='smtp2.acme.example'))
    run = ansible.run([task('move', moved, module=CONNECTION), task('moved', moved, module=CONNECTION),
                       task('wrong password', dict(rotate, secret_params=dict(password='typo')), module=CONNECTION,
                            ignore_errors=True)])
    assert run.rc == 0, run.output()
    assert run.task('move')['updated_params'] == ['host'] and run.task('moved')['changed'] is False
    wrong = run.task('wrong password')
    assert run.status('wrong password') == 'failed' and wrong['connected'] is False and wrong['changed'] is True
    assert "automation connection 'Company SMTP' does not connect" in wrong['msg']
    assert [(m, p) for m, p, dummy in writes(emulator, mark)] == [
        ('PUT', path), ('PUT', path), ('POST', path + '/actions/check')]
    assert writes(emulator, mark)[0][2] == dict(params=[dict(id=held.param_ids['host'], value='smtp2.acme.example')])
    assert held.values['host'] == 'smtp.acme.example' and held.values['password'] == 'typo'
    assert 'typo' not in run.stdout + run.stderr


def test_connection_create_info_and_the_interactive_oauth_refusal(emulator, ansible):
    automate(emulator).add_connection(emulator.source_tenant, 'CRM', connector_id='salesforce',
                                      values=dict(instanceUrl='https://acme.my.example'), oauth_account='ops@acme')
    conn = ansible.connection()
    new = dict(conn, name='Reports API', connector_id='http-basic', space_id=SPACE,
               params=dict(baseUrl='https://reports.example', username='bot'), secret_params=dict(password='s3cret-pw'),
               update_secret='on_create')
    mark = emulator.last_seq()
    run = ansible.run([task('create', new, module=CONNECTION), task('again', new, module=CONNECTION),
                       task('oauth', dict(conn, name='CRM', secret_params=dict(password='x')), module=CONNECTION,
                            ignore_errors=True),
                       task('info', dict(conn, details=True), module=CONNECTION_INFO),
                       task('one', dict(conn, connector_id='http-basic'), module=CONNECTION_INFO)], diff=True)
    assert run.rc == 0, run.output()
    assert run.task('create')['changed'] is True and run.task('again')['changed'] is False
    assert 'uses interactive OAuth (account ops@acme)' in run.task('oauth')['msg']
    made = [c for c in automate(emulator).connections_of(emulator.source_tenant) if c.name == 'Reports API'][0]
    assert made.values == dict(baseUrl='https://reports.example', username='bot', password='s3cret-pw')
    assert made.space_id == SPACE and made.owner_id == emulator.config.client_id
    body = dict(connectorId='http-basic', name='Reports API', spaceId=SPACE, params=[
        dict(name='baseUrl', value='https://reports.example'), dict(name='password', value='<redacted>'),
        dict(name='username', value='bot')])
    assert writes(emulator, mark) == [('POST', CONNS, body)]
    listed = run.task('info')['automation_connections']
    assert [(c['name'], c['interactiveOAuth']) for c in listed] == [('CRM', True), ('Reports API', False)]
    assert all('value' not in p for c in listed for p in c['params'])
    assert [c['name'] for c in run.task('one')['automation_connections']] == ['Reports API']
    assert 's3cret-pw' not in run.stdout + run.stderr


@pytest.mark.emulator(**FAULTS)
def test_thirty_percent_faults_converge(emulator, ansible, tmp_path):
    orders = seed(emulator)
    held = smtp(emulator, expected=dict(password='rotated'))
    conn = dict(ansible.connection(), retries=8)
    tasks = [task('copy', dict(conn, name='Orders (copy)', copy_of=orders.id, enabled=True), module=AUTOMATION),
             task('rotate', dict(conn, name='Company SMTP', secret_params=dict(password='rotated'), verify=True),
                  module=CONNECTION),
             task('disable', dict(conn, id=orders.id, enabled=False), module=AUTOMATION)]
    for dummy in range(3):
        run = ansible.run(tasks)
        if run.rc == 0:
            break
    assert run.rc == 0, run.output()
    assert emulator.gateway.faults_injected > 0
    emulator.faults()
    names = sorted((a.name, a.state) for a in automate(emulator).of(emulator.source_tenant))
    assert names == [('Orders (copy)', 'available'), ('Orders webhook', 'disabled')]
    assert held.values['password'] == 'rotated' and held.connected
