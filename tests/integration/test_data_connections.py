"""qlik_data_connection and qlik_data_connection_info against the emulator, one real play per step."""

from __future__ import annotations

import pytest

from tests.harness.plays import task
from tests.harness.vault import SECRETS, api_session, no_secret_in, vault


MODULE = 'qlikcloud.platform.qlik_data_connection'
INFO = 'qlikcloud.platform.qlik_data_connection_info'
DC = '/api/v1/data-connections'
STATEMENT = 'CUSTOM CONNECT TO "provider=QvOdbcConnectorPackage.exe;driver=postgres;host=db.example.com;db=orders;"'


def writes(emulator, since):
    return [(e['method'], e['path'], e['body']) for e in emulator.requests(writes=True, since=since)]


def held(emulator, name, tenant=None):
    found = emulator.model.data_connections.named(tenant or emulator.source_tenant, name)
    assert len(found) == 1, found
    return found[0]


def test_create_rerun_rotate_and_delete(emulator, ansible, tmp_path):
    conn = ansible.connection()
    secrets = vault(tmp_path)
    create = dict(conn, name='orders', type='QvOdbcConnectorPackage.exe', datasource_id='postgres',
                  connection_string=STATEMENT, username='reader', password='{{ s_password }}',
                  connection_secret='{{ s_conn_secret }}')

    # check mode: the plan of the one write, nothing written
    mark = emulator.last_seq()
    run = ansible.run([task('plan', create, module=MODULE)], check=True, diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['credentials_written'] == ['connection_secret', 'password', 'username']
    assert plan['requests'] == [dict(method='POST', path=DC, body=dict(
        qName='orders', qConnectStatement=STATEMENT, qType='QvOdbcConnectorPackage.exe', datasourceID='postgres',
        qUsername='reader', qPassword='********', qConnectionSecret='********'))]
    assert plan['diff']['before'] == {'state': 'absent'}
    assert plan['diff']['after']['credentials'] == 'written (connection_secret, password, username)'
    assert writes(emulator, mark) == [] and emulator.model.data_connections.held(emulator.source_tenant) == []

    mark = emulator.last_seq()
    run = ansible.run([task('create', create, module=MODULE)], diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    made = held(emulator, 'orders')
    assert (made.username, made.password, made.secret, made.space, made.owner) == (
        'reader', SECRETS['s_password'], SECRETS['s_conn_secret'], '', emulator.config.client_id)
    assert writes(emulator, mark) == [('POST', DC, dict(
        qName='orders', qConnectStatement=STATEMENT, qType='QvOdbcConnectorPackage.exe', datasourceID='postgres',
        qUsername='reader', qPassword='<redacted>', qConnectionSecret='<redacted>'))]
    assert run.task('create')['data_connection']['qID'] == made.id
    no_secret_in(run, emulator)

    # no secret given: nothing to do; a secret given: written (always) or left (on_create)
    mark = emulator.last_seq()
    plain = dict(conn, name='orders', connection_string=STATEMENT)
    put_body = dict(qID=made.id, qEngineObjectID=made.id, qName='orders', qType='QvOdbcConnectorPackage.exe',
                    qConnectStatement=STATEMENT, qArchitecture=0, qLogOn=0, qSeparateCredentials=False,
                    qCredentialsID=made.credentials_id, datasourceID='postgres')
    run = ansible.run([task('no secret', plain, module=MODULE),
                       task('on_create', dict(plain, password='{{ s_second }}', update_secret='on_create'),
                            module=MODULE),
                       task('rotate', dict(plain, username='reader', password='{{ s_second }}'), module=MODULE)],
                      extra_args=secrets)
    assert run.rc == 0, run.output()
    assert run.task('no secret')['changed'] is False and run.task('on_create')['changed'] is False
    rotate = run.task('rotate')
    assert rotate['changed'] is True and rotate['credentials_written'] == ['password', 'username']
    assert writes(emulator, mark) == [('PUT', '%s/%s' % (DC, made.id), dict(
        put_body, qUsername='reader', qPassword='<redacted>'))]
    assert (made.password, made.secret, made.updates) == (SECRETS['s_second'], SECRETS['s_conn_secret'], 1)
    assert run.recap()['localhost']['changed'] == 1

    # settings converge by id; on_create sends no credential along with them
    mark = emulator.last_seq()
    run = ansible.run([task('rename', dict(conn, id=made.id, name='orders-db', connection_string=STATEMENT + ' ',
                                           password='{{ s_third }}', update_secret='on_create'), module=MODULE),
                       task('same', dict(conn, id=made.id, name='orders-db'), module=MODULE),
                       task('info', dict(conn), module=INFO)], diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    rename = run.task('rename')
    assert rename['changed'] is True and 'credentials_written' not in rename
    assert rename['diff']['before']['qName'] == 'orders' and rename['diff']['after']['qName'] == 'orders-db'
    assert run.task('same')['changed'] is False
    assert writes(emulator, mark) == [('PUT', '%s/%s' % (DC, made.id), dict(
        put_body, qName='orders-db', qConnectStatement=STATEMENT + ' '))]
    assert (made.name, made.password) == ('orders-db', SECRETS['s_second'])
    listed = run.task('info')['data_connections']
    assert [(c['qName'], c['has_credentials'], c['user']) for c in listed] == [
        ('orders-db', True, emulator.config.client_id)]
    assert 'qConnectionSecret' not in listed[0] and 'qPassword' not in listed[0]
    no_secret_in(run, emulator)

    mark = emulator.last_seq()
    run = ansible.run([task('delete', dict(conn, name='orders-db', state='absent'), module=MODULE),
                       task('again', dict(conn, name='orders-db', state='absent'), module=MODULE)])
    assert run.rc == 0, run.output()
    assert run.task('delete')['changed'] is True and run.task('again')['changed'] is False
    assert run.task('delete')['requests'] == [dict(method='DELETE', path='%s/%s' % (DC, made.id))]
    assert writes(emulator, mark) == [('DELETE', '%s/%s' % (DC, made.id), None)]
    assert emulator.model.data_connections.held(emulator.source_tenant) == []


def test_check_mode_writes_nothing_and_diff_and_debug_output_hold_no_secret(emulator, ansible, tmp_path):
    """-vvvv --diff, in check mode and for real, with the connection read by id (Qlik's GET of one connection
    returns its qConnectionSecret): no secret anywhere in the output or the request log."""
    existing = emulator.model.data_connections.seed(emulator.source_tenant, 'warehouse', space='space-1',
                                                    username='etl', password=SECRETS['s_password'],
                                                    connection_secret=SECRETS['s_conn_secret'])
    conn = ansible.connection()
    rotate = dict(conn, id=existing.id, username='etl', password='{{ s_second }}', connection_secret='{{ s_third }}')
    mark = emulator.last_seq()
    run = ansible.run([task('plan', rotate, module=MODULE)], check=True, diff=True, extra_args=['-vvvv'] + vault(
        tmp_path))
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True
    assert [(r['method'], r['path'], r['body'].get('qPassword'), r['body'].get('qConnectionSecret'))
            for r in plan['requests']] == [('PUT', '%s/%s' % (DC, existing.id), '********', '********')]
    assert plan['diff']['before']['credentials'] == 'set'
    assert plan['diff']['after']['credentials'] == 'written (connection_secret, password, username)'
    assert writes(emulator, mark) == [] and existing.updates == 0
    no_secret_in(run, emulator)

    run = ansible.run([task('rotate', rotate, module=MODULE),
                       task('info', dict(conn, id=existing.id), module=INFO)],
                      diff=True, extra_args=['-vvvv'] + vault(tmp_path))
    assert run.rc == 0, run.output()
    assert (existing.password, existing.secret, existing.updates) == (SECRETS['s_second'], SECRETS['s_third'], 1)
    assert run.task('info')['data_connections'][0]['space'] == 'space-1'
    no_secret_in(run, emulator)


def test_interactive_oauth_connections_are_refused_clearly(emulator, ansible, tmp_path):
    tenant = emulator.source_tenant
    drive = emulator.model.data_connections.seed(tenant, 'drive', space='space-1', datasource_id='googledrive',
                                                 type='DriveConnector', password=SECRETS['s_password'])
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('rotate', dict(conn, name='drive', space='space-1', password='{{ s_second }}'),
                            module=MODULE, ignore_errors=True),
                       task('create', dict(conn, name='box', type='BoxConnector', datasource_id='box',
                                           connection_string='box', password='{{ s_second }}'),
                            module=MODULE, ignore_errors=True)], extra_args=vault(tmp_path))
    assert run.rc == 0, run.output()
    rotate, create = run.task('rotate'), run.task('create')
    assert run.status('rotate') == 'failed' and rotate['changed'] is False, rotate
    assert rotate['msg'].startswith("data connection 'drive' uses interactive OAuth")
    assert 'cannot be done unattended' in rotate['msg'] and 'qlik-auth-code' in rotate['msg']
    assert "data connection 'box' uses interactive OAuth" in create['msg'] and 'creating it' in create['msg']
    assert [(e['method'], e['path'], e['status']) for e in emulator.requests(writes=True, since=mark)] == [
        ('PUT', '%s/%s' % (DC, drive.id), 400), ('POST', DC, 400)]
    assert drive.password == SECRETS['s_password'] and drive.updates == 0
    assert emulator.model.data_connections.named(tenant, 'box') == []
    no_secret_in(run, emulator)


@pytest.mark.parametrize('args,words', [
    (dict(name='new', connection_string='x'), 'creating data connection \'new\' needs connection_string, type and '
                                              'datasource_id (missing: type, datasource_id)'),
    (dict(name='  '), 'name must not be empty'),
    (dict(name='orders', type='OtherConnector'), 'type of data connection \'orders\' is QvOdbcConnectorPackage.exe '
                                                 'and cannot change'),
    (dict(name='orders', datasource_id='mysql'), 'datasource_id of data connection \'orders\' is postgres'),
    (dict(id='no-such-id', password='{{ s_password }}'), 'no data connection with id no-such-id'),
    (dict(name='orders', update_secret='sometimes'), 'value of update_secret must be one of: always, on_create'),
    (dict(password='{{ s_password }}'), 'one of the following is required: id, name'),
])
def test_bad_input_is_refused_before_any_write(emulator, ansible, tmp_path, args, words):
    existing = emulator.model.data_connections.seed(emulator.source_tenant, 'orders')
    mark = emulator.last_seq()
    run = ansible.run([task('bad', dict(ansible.connection(), **args), module=MODULE)], extra_args=vault(tmp_path))
    assert run.rc != 0
    assert words in run.task('bad')['msg'], run.task('bad')['msg']
    assert writes(emulator, mark) == [] and existing.updates == 0


def test_moving_to_another_space_is_refused(emulator, ansible):
    existing = emulator.model.data_connections.seed(emulator.source_tenant, 'orders', space='space-1')
    mark = emulator.last_seq()
    run = ansible.run([task('move', dict(ansible.connection(), id=existing.id, space='space-2'), module=MODULE)])
    assert run.rc != 0
    assert run.task('move')['msg'] == ("space: data connection 'orders' is in space-1, not in space-2; this module "
                                       "does not move connections")
    assert writes(emulator, mark) == []


@pytest.mark.emulator(rate_limits=False)
def test_info_reads_every_page_and_only_what_the_caller_may_see(emulator, ansible):
    tenant = emulator.source_tenant
    state = emulator.model.data_connections
    for number in range(230):
        state.seed(tenant, 'shared-%03d' % number, space='space-%d' % (number % 3),
                   username='u' if number % 2 else None, password='p' if number % 2 else None)
    state.seed(tenant, 'mine')
    state.seed(tenant, 'someone elses', owner='another-user')  # a personal connection of another user
    state.seed_datafiles(tenant, space='space-0')
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('all', conn, module=INFO),
                       task('space', dict(conn, space='space-1'), module=INFO),
                       task('with datafiles', dict(conn, space='space-0', include_datafiles=True), module=INFO),
                       task('one', dict(conn, name='shared-007'), module=INFO)])
    assert run.rc == 0, run.output()
    names = [c['qName'] for c in run.task('all')['data_connections']]
    assert len(names) == 231 and 'mine' in names and 'someone elses' not in names and 'DataFiles' not in names
    assert len(run.task('space')['data_connections']) == 77
    assert run.task('with datafiles')['data_connections'][-1]['qName'] == 'DataFiles'
    one = run.task('one')['data_connections']
    assert [(c['qName'], c['space'], c['has_credentials']) for c in one] == [('shared-007', 'space-1', True)]
    pages = [e for e in emulator.requests(since=mark) if e['path'] == DC]
    assert len(pages) == 3 + 1 + 1 + 3  # 231 connections: 3 pages of 100; a space: 77; all again for the name
    assert all('limit=100' in e['query'] and 'noDatafiles=true' in e['query'] for e in pages[:2])


FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=1)


def test_thirty_percent_faults_converge(emulator, ansible, tmp_path):
    """Create and rotate with 30% of answers faulty: re-runs converge, with one connection and the last password."""
    conn = ansible.connection()
    emulator.faults(**FAULTS)
    create = dict(conn, name='faulty', type='QvOdbcConnectorPackage.exe', datasource_id='postgres',
                  connection_string=STATEMENT, username='reader', password='{{ s_password }}', retries=8)
    rotate = dict(conn, name='faulty', username='reader', password='{{ s_second }}', retries=8)
    for args in (create, rotate):
        for dummy in range(4):
            run = ansible.run([task('step', args, module=MODULE)], extra_args=vault(tmp_path))
            if run.rc == 0:
                break
        assert run.rc == 0, run.output()
    injected = emulator.gateway.faults_injected
    emulator.faults()
    made = held(emulator, 'faulty')
    assert made.password == SECRETS['s_second'] and injected > 0
    creates = [e for e in emulator.requests() if e['method'] == 'POST' and e['path'] == DC and e['status'] == 201]
    assert len(creates) == 1
    run = ansible.run([task('again', dict(conn, name='faulty', connection_string=STATEMENT), module=MODULE)])
    assert run.rc == 0 and run.task('again')['changed'] is False, run.output()
    no_secret_in(run, emulator)


def test_emulator_follows_the_fact_sheet(emulator):
    """What the module does not exercise: paging shapes, the connectivity path, secrets on GET, OAuth codes, roles."""
    tenant, state = emulator.source_tenant, emulator.model.data_connections
    session, url = api_session(emulator), emulator.source_tenant_url
    for number in range(25):
        state.seed(tenant, 'c%02d' % number, space='s')
    first = session.get(url + DC, params=dict(limit=10, sort='-qName', dataName='items')).json()
    assert [c['qName'] for c in first['items']][:2] == ['c24', 'c23'] and first['meta'] == dict(count=25)
    following = session.get(first['links']['next']['href']).json()
    assert following['items'][0]['qName'] == 'c14' and 'prev' in following['links']
    assert session.get(url + DC, params=dict(limit=101)).status_code == 400
    assert session.get(url + DC, params=dict(filter='qName eq "c01"')).status_code == 400
    assert session.get(url + '/api/connectivity/data-connections', params=dict(limit=5)).json()['meta']['count'] == 25

    secretive = state.seed(tenant, 'secretive', space='s', username='u', password='p', connection_secret='cs')
    single = session.get('%s%s/%s' % (url, DC, secretive.id), params=dict(parseConnection='true')).json()
    assert single['qConnectionSecret'] == 'cs' and 'qPassword' not in single and 'qUsername' not in single
    assert single['connectionProperties']['host'] == 'db.example.com'
    listed = [c for c in session.get(url + DC, params=dict(limit=100)).json()['data'] if c['qName'] == 'secretive']
    assert 'qConnectionSecret' not in listed[0]
    by_name = session.get('%s%s/secretive' % (url, DC), params=dict(type='connectionname', spaceId='s'))
    assert by_name.json()['qID'] == secretive.id

    drive = state.seed(tenant, 'drive', space='s', datasource_id='googledrive', type='Drive')
    body = dict(qID=drive.id, qEngineObjectID=drive.id, qName='drive', qType='Drive',
                qConnectStatement=drive.connect_statement, qPassword='new')
    refused = session.put('%s%s/%s' % (url, DC, drive.id), json=body)
    assert refused.status_code == 400 and 'qlik-auth-code' in refused.json()['errors'][0]['detail']
    code = state.issue_auth_code(tenant)
    assert session.put('%s%s/%s' % (url, DC, drive.id), json=body, headers={'qlik-auth-code': code}).status_code == 204
    assert session.put('%s%s/%s' % (url, DC, drive.id), json=body, headers={'qlik-auth-code': code}).status_code == 400
    assert drive.password == 'new'
    auth = session.post(url + DC, json=dict(qName='box', datasourceID='box', connectionProperties={},
                                            authUrlOnly=True))
    assert auth.status_code == 201 and set(auth.json()) == {'authUrl'}

    state.seed(tenant, 'private', owner='another-user')
    theirs = session.get(url + DC, params=dict(userId='another-user', personal='true')).json()['data']
    assert [c['qName'] for c in theirs] == ['private']
    emulator.model.roles.revoke_admin(tenant, emulator.config.client_id)
    denied = session.get(url + DC, params=dict(userId='another-user'))
    assert denied.status_code == 403 and denied.json()['errors'][0]['code'] == 'DATA-CONNECTIONS-403'
    assert 'private' not in [c['qName'] for c in session.get(url + DC, params=dict(limit=100)).json()['data']]
