"""The emulator answers like Qlik's documents say, over real HTTPS."""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from qlik_cloud_emulator import FAULT_KINDS, KEY_BEHAVIOURS, NEVER, QLIK_ARN

ARN = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37erft67ei987c7612q456'
ARN2 = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-2678f8123w236c3123469387dc2ce561'
ENC = '/api/v1/encryption/keyproviders'


class Http:
    def __init__(self, emulator, url):
        self.emulator = emulator
        self.url = url
        self.session = requests.Session()
        self.session.verify = emulator.ca_path
        self.session.trust_env = False
        cfg = emulator.config
        answer = self.session.post(url + '/oauth/token', json=dict(
            client_id=cfg.client_id, client_secret=cfg.client_secret, grant_type='client_credentials'))
        assert answer.status_code == 200, answer.text
        self.token = answer.json()['access_token']
        self.session.headers['Authorization'] = 'Bearer ' + self.token

    def __getattr__(self, method):
        return lambda path, **kw: self.session.request(method.upper(), self.url + path, **kw)


@pytest.fixture
def tenant(emulator):
    return Http(emulator, emulator.source_tenant_url)


def test_tutorial_flow(emulator, tenant):
    created = tenant.post(ENC, json=dict(name='CMK 01', arn=ARN, keyprovider='AWS-KMS'))
    assert created.status_code == 201
    provider = created.json()
    fingerprint = provider['arnFingerPrint']
    assert provider['promotedToCurrentAt'] == NEVER and 'current' not in provider
    listed = tenant.get(ENC).json()
    assert [p['arnFingerPrint'] for p in listed] == [fingerprint]
    everything = tenant.get(ENC + '/actions/list').json()
    assert [p['arn'] for p in everything] == [QLIK_ARN, ARN]
    assert everything[0]['current'] is True
    migrate = tenant.post(ENC + '/%s/actions/migrate' % fingerprint)
    assert migrate.status_code == 200
    assert migrate.json()['migratingToFingerprint'] == fingerprint and migrate.json()['state'] == 'New'
    assert tenant.post(ENC + '/%s/actions/migrate' % fingerprint).status_code == 428
    assert tenant.delete(ENC + '/' + fingerprint).status_code == 424
    emulator.clock.advance(emulator.config.migration_seconds)
    details = tenant.get(ENC + '/migration/actions/details').json()
    assert details['state'] == 'Completed' and details['progress'] == 100 and details['completedAt'] != NEVER
    assert tenant.get(ENC + '/' + fingerprint).json()['current'] is True
    assert tenant.delete(ENC + '/' + fingerprint).status_code == 424
    assert tenant.post(ENC + '/actions/reset-to-default-provider').status_code == 205
    emulator.clock.advance(emulator.config.migration_seconds)
    assert tenant.delete(ENC + '/' + fingerprint).status_code == 204
    assert tenant.get(ENC + '/' + fingerprint).status_code == 404
    assert tenant.get(ENC).json() == []


def test_create_errors(emulator, tenant):
    emulator.config.key_behaviours[ARN2] = 'forbidden'
    assert tenant.post(ENC, json=dict(name='x', arn='arn:aws:s3:::bucket', keyprovider='AWS-KMS')).status_code == 417
    assert tenant.post(ENC, json=dict(name='x', arn=ARN2, keyprovider='AWS-KMS')).status_code == 403
    assert tenant.post(ENC, json=dict(name='x', arn=ARN)).status_code == 400
    assert tenant.post(ENC, json=dict(name='x', arn=ARN, keyprovider='AWS-KMS')).status_code == 201
    conflict = tenant.post(ENC, json=dict(name='y', arn=ARN, keyprovider='AWS-KMS'))
    assert conflict.status_code == 409
    assert conflict.json()['errors'][0]['title'] == 'The provided key is already registered'


def test_patch_test_and_validation_failures(emulator, tenant):
    fingerprint = tenant.post(ENC, json=dict(name='a', arn=ARN, keyprovider='AWS-KMS')).json()['arnFingerPrint']
    assert tenant.patch(ENC + '/' + fingerprint, json=[dict(op='replace', path='/name', value='b')]).status_code == 204
    assert tenant.patch(ENC + '/' + fingerprint, json=dict(name='c')).status_code == 400
    assert tenant.get(ENC + '/' + fingerprint).json()['name'] == 'b'
    assert tenant.post(ENC + '/%s/actions/test' % fingerprint).status_code == 201
    emulator.config.key_behaviours[ARN] = 'invalid'
    assert tenant.post(ENC + '/%s/actions/test' % fingerprint).status_code == 400
    emulator.config.key_behaviours[ARN] = 'unavailable'
    assert tenant.post(ENC + '/%s/actions/test' % fingerprint).status_code == 408
    assert tenant.post(ENC + '/unknown/actions/test').status_code == 404


@pytest.mark.emulator(list_style='wrapped', compliance_style='array', migrate_style='tutorial',
                      reset_when_default=424)
def test_documented_alternative_shapes(emulator, tenant):
    single_region = 'arn:aws:kms:eu-west-1:111222334455:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    tenant.post(ENC, json=dict(name='a', arn=single_region, keyprovider='AWS-KMS'))
    listed = tenant.get(ENC).json()
    assert list(listed) == ['errors']
    provider = listed['errors'][0]
    assert provider['drCompliant'] is False and isinstance(provider['complianceError'], list)
    assert provider['complianceError'][0]['code'] == 'Encryption-89'
    migration = tenant.post(ENC + '/%s/actions/migrate' % provider['arnFingerPrint']).json()
    assert 'migrationId' in migration and 'migratingToFingerPrint' in migration and 'id' not in migration
    emulator.clock.advance(emulator.config.migration_seconds)
    assert tenant.post(ENC + '/actions/reset-to-default-provider').status_code == 205
    emulator.clock.advance(emulator.config.migration_seconds)
    assert tenant.post(ENC + '/actions/reset-to-default-provider').status_code == 424


def test_migration_details_404_before_any_migration(tenant):
    assert tenant.get(ENC + '/migration/actions/details').status_code == 404


def test_tokens_are_scoped_to_one_host_and_expire(emulator, tenant):
    other = emulator.add_tenant()
    foreign = requests.get(emulator.url(other) + ENC, verify=emulator.ca_path,
                           headers=dict(Authorization='Bearer ' + tenant.token))
    assert foreign.status_code == 401
    assert requests.get(emulator.url(other) + ENC, verify=emulator.ca_path,
                        headers=dict(Authorization='Bearer ' + other.api_key)).status_code == 200
    emulator.model.expire_tokens()
    assert tenant.get(ENC).status_code == 401


@pytest.mark.emulator(tier2_per_minute=2, migration_seconds=600)
def test_advancing_the_clock_moves_every_time_based_behaviour(emulator, tenant):
    """Migrations, token and API-key expiry and rate-limit windows follow emulator.clock, not the wall."""
    fingerprint = tenant.post(ENC, json=dict(name='k', arn=ARN, keyprovider='AWS-KMS')).json()['arnFingerPrint']
    assert tenant.post(ENC + '/%s/actions/migrate' % fingerprint).status_code == 200
    assert tenant.post(ENC + '/actions/reset-to-default-provider').status_code == 429  # 2 writes a minute
    emulator.clock.advance(300)
    halfway = tenant.get(ENC + '/migration/actions/details').json()
    assert halfway['state'] == 'InProgress' and 49 <= halfway['progress'] <= 51
    key = tenant.post('/api/v1/api-keys', json=dict(description='k', expiry='PT1H')).json()
    emulator.clock.advance(300)
    assert tenant.get(ENC + '/migration/actions/details').json()['state'] == 'Completed'
    assert tenant.get(ENC + '/' + fingerprint).json()['current'] is True
    by_key = requests.get(emulator.source_tenant_url + ENC, verify=emulator.ca_path,
                          headers=dict(Authorization='Bearer ' + key['token']))
    assert by_key.status_code == 200
    emulator.clock.advance(3600)
    assert tenant.get('/api/v1/api-keys/' + key['id']).json()['status'] == 'expired'
    assert requests.get(emulator.source_tenant_url + ENC, verify=emulator.ca_path,
                        headers=dict(Authorization='Bearer ' + key['token'])).status_code == 401
    assert tenant.get(ENC).status_code == 200
    emulator.clock.advance(emulator.config.token_ttl)
    expired = tenant.get(ENC)
    assert expired.status_code == 401 and expired.json()['errors'][0]['detail'] == 'The token has expired.'


def test_the_admin_api_advances_the_clock(emulator):
    admin = emulator.admin_url + '/_emulator/clock'
    before = requests.get(admin, verify=emulator.ca_path).json()
    after = requests.post(admin, json=dict(advance=7200), verify=emulator.ca_path).json()
    assert after['offset'] == before['offset'] + 7200 == emulator.clock.offset
    assert after['epoch'] - before['epoch'] >= 7200
    assert requests.post(admin, json=dict(advance=-1), verify=emulator.ca_path).status_code == 400
    assert emulator.clock.offset == 7200


@pytest.mark.emulator(tier2_per_minute=3)
def test_rate_limit_answers_429_with_retry_after(tenant):
    statuses = [tenant.post(ENC + '/actions/reset-to-default-provider') for dummy in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert 1 <= int(statuses[-1].headers['Retry-After']) <= 60
    assert tenant.get(ENC).status_code == 200  # reads are another tier


@pytest.mark.emulator(fault_rate=1.0, fault_kinds=('503',), rate_limits=False)
def test_fault_injection_and_request_log(emulator):
    answer = requests.get(emulator.source_tenant_url + ENC, verify=emulator.ca_path)
    assert answer.status_code == 503
    emulator.config.fault_kinds = ('drop',)
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        requests.get(emulator.source_tenant_url + ENC, verify=emulator.ca_path)
    assert not isinstance(info.value, requests.exceptions.SSLError)
    log = emulator.requests()
    assert [(e['method'], e['path'], e['status'], e['fault']) for e in log] == [
        ('GET', ENC, 503, '503'), ('GET', ENC, 0, 'drop')]


@pytest.mark.emulator(fault_rate=1.0, fault_kinds=('drop_after',), rate_limits=False)
def test_drop_after_applies_the_write_but_loses_the_answer(emulator):
    cfg = emulator.config
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        requests.post(emulator.registration_url + '/oauth/token', verify=emulator.ca_path, json=dict(
            client_id=cfg.client_id, client_secret=cfg.client_secret, grant_type='client_credentials'))
    assert not isinstance(info.value, requests.exceptions.SSLError)
    assert 'Remote end closed connection without response' in str(info.value)
    assert [(e['status'], e['fault']) for e in emulator.requests()] == [(200, 'drop_after')]


def test_request_log_keeps_no_secrets(emulator, tenant):
    registration = Http(emulator, emulator.registration_url)
    created = registration.post('/api/v1/tenants', json=dict(licenseKey=emulator.config.license_key))
    assert created.status_code == 201
    text = json.dumps(emulator.requests())
    for secret in (emulator.config.client_secret, emulator.config.license_key, tenant.token, registration.token):
        assert secret not in text
    assert emulator.requests(writes=True)[-1]['body'] == dict(licenseKey='<redacted>')


def test_tenants_and_organization_api(emulator):
    cfg = emulator.config
    registration = Http(emulator, emulator.registration_url)
    assert registration.post('/api/v1/tenants', json=dict(licenseKey='bogus')).status_code == 400
    assert registration.post('/api/v1/tenants', json=dict(licenseKey=cfg.license_key,
                                                          datacenter='mars-1')).status_code == 400
    created = registration.post('/api/v1/tenants', json=dict(licenseKey=cfg.license_key, name='acme-prod'))
    tenant = created.json()
    assert created.status_code == 201 and tenant['name'] == 'acme-prod' and tenant['status'] == 'active'
    patch = [dict(op='replace', path='/hostnames/1', value='analytics.acme.example'),
             dict(op='replace', path='/enableAnalyticCreation', value=True)]
    assert registration.patch('/api/v1/tenants/' + tenant['id'], json=patch).status_code == 204
    got = registration.get('/api/v1/tenants/' + tenant['id']).json()
    assert got['hostnames'][1] == 'analytics.acme.example' and got['enableAnalyticCreation'] is True
    deactivate = '/api/v1/tenants/%s/actions/deactivate' % tenant['id']
    assert registration.post(deactivate, json=dict(purgeAfterDays=30)).status_code == 400
    assert registration.post(deactivate, json=dict(purgeAfterDays=5),
                             headers={'qlik-confirm-hostname': tenant['hostnames'][0]}).status_code == 400
    answer = registration.post(deactivate, json=dict(purgeAfterDays=30),
                               headers={'qlik-confirm-hostname': tenant['hostnames'][0]})
    assert answer.status_code == 200 and answer.json()['status'] == 'disabled'
    assert registration.post('/api/v1/tenants/%s/actions/reactivate' % tenant['id'], headers={
        'qlik-confirm-hostname': tenant['hostnames'][0]}).json()['status'] == 'active'

    console = Http(emulator, emulator.console_url)
    found = console.get('/api/core/tenants', params=dict(
        filter='subscriptionId eq "%s" and name eq "acme-prod"' % cfg.subscription_id)).json()
    assert [t['id'] for t in found['data']] == [tenant['id']]
    by_host = console.get('/api/core/tenants', params=dict(
        filter='subscriptionId eq "%s" and hostnames eq "ANALYTICS.acme.example"' % cfg.subscription_id)).json()
    assert [t['id'] for t in by_host['data']] == [tenant['id']]
    assert console.get('/api/core/tenants', params=dict(filter='name eq "acme-prod"')).status_code == 400
    page = console.get('/api/core/tenants', params=dict(
        filter='subscriptionId eq "%s"' % cfg.subscription_id, limit=1)).json()
    assert len(page['data']) == 1 and 'next' in page['links']
    rest = console.session.get(page['links']['next']['href']).json()
    assert len(rest['data']) == 1 and rest['data'][0]['id'] != page['data'][0]['id']

    target = Http(emulator, 'https://' + tenant['hostnames'][0])
    me = target.get('/api/v1/users/me').json()
    assert me['tenantId'] == tenant['id'] and me['clientId'] == cfg.client_id
    assert target.get('/api/v1/licenses/overview').json()['licenseKey'] == cfg.license_key


def _command_line(tmp_path, *args):
    """Start the emulator's command line with ``--env-file``; (the process, what it printed, the file's variables)."""
    env_file = tmp_path / 'emulator.env'
    proc = subprocess.Popen([sys.executable, '-m', 'qlik_cloud_emulator', '--env-file', str(env_file)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # waits for the process to be up, not for time to pass
        line = proc.stdout.readline()
        lines.append(line)
        if not line or line.startswith('export QLIK_EMULATOR_ADMIN_URL'):
            break
    if not env_file.exists():
        proc.kill()
        raise AssertionError('the emulator did not start:\n' + ''.join(lines) + proc.communicate()[1])
    variables = dict(shlex.split(line)[1].split('=', 1) for line in env_file.read_text().splitlines())
    return proc, ''.join(lines), variables, env_file


def test_command_line_starts_and_prints_how_to_connect(tmp_path):
    proc, text, variables, dummy = _command_line(tmp_path, '--tenants', '2')
    try:
        assert 'CA file (pass as ca_path / QLIK_CA_PATH)' in text
        answer = requests.post(variables['QLIK_TENANT_URL'] + '/oauth/token', verify=variables['QLIK_CA_PATH'],
                               json=dict(client_id=variables['QLIK_CLIENT_ID'], grant_type='client_credentials',
                                         client_secret=variables['QLIK_CLIENT_SECRET']))
        assert answer.status_code == 200
        state = requests.get(variables['QLIK_EMULATOR_ADMIN_URL'] + '/_emulator/state',
                             verify=variables['QLIK_CA_PATH']).json()
        assert len(state['tenants']) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize('command', [
    pytest.param([sys.executable, '-m', 'qlik_cloud_emulator'], id='python-m'),
    # the console script that pip installs next to this Python (requirements-dev.txt: -e ./emulator)
    pytest.param([os.path.join(os.path.dirname(sys.executable), 'qlik-cloud-emulator')], id='console-script'),
])
def test_command_line_help_names_every_fault_kind(command):
    proc = subprocess.run(command + ['--help'], capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, COLUMNS='1000'))  # no line wrapping
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('usage: qlik-cloud-emulator ')
    for kind, meaning in FAULT_KINDS.items():
        assert '%s: %s' % (kind, meaning) in proc.stdout
    for behaviour in KEY_BEHAVIOURS:
        assert behaviour in proc.stdout
    assert '--env-file' in proc.stdout and '--tenants' in proc.stdout


@pytest.mark.parametrize('stop', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'ctrl-c'])
def test_command_line_serves_the_source_tenant_and_leaves_nothing_behind(tmp_path, stop):
    proc, dummy, variables, env_file = _command_line(tmp_path, '--tenants', '1')
    try:
        source = variables['QLIK_SOURCE_TENANT_URL']
        assert source.startswith('https://127.0.0.1:') and source == variables['QLIK_TENANT_URL']
        assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600  # it holds QLIK_CLIENT_SECRET
        ca = variables['QLIK_CA_PATH']
        token = requests.post(source + '/oauth/token', verify=ca, json=dict(
            client_id=variables['QLIK_CLIENT_ID'], client_secret=variables['QLIK_CLIENT_SECRET'],
            grant_type='client_credentials')).json()['access_token']
        me = requests.get(source + '/api/v1/tenants/me', verify=ca, headers=dict(Authorization='Bearer ' + token))
        assert me.status_code == 200 and 'https://' + me.json()['hostnames'][0] == source
        workdir = os.path.dirname(ca)
        assert os.path.basename(workdir).startswith('qlik-emulator-') and os.path.isfile(ca)
    finally:
        proc.send_signal(stop)
        returncode = proc.wait(timeout=30)
    assert returncode == 0, proc.stderr.read()
    assert not os.path.exists(workdir)


# ------------------------------------------------------------------------ Qlik's contract (issue 13)
def test_deactivate_and_reactivate_both_need_the_confirm_header(emulator):
    registration = Http(emulator, emulator.registration_url)
    tenant = emulator.add_tenant(name='confirm')
    actions = '/api/v1/tenants/%s/actions/' % tenant.id
    for action in ('deactivate', 'reactivate'):
        missing = registration.post(actions + action, json={})
        assert missing.status_code == 400, missing.text
        assert 'qlik-confirm-hostname header is missing' in missing.json()['errors'][0]['detail']
        wrong = registration.post(actions + action, json={}, headers={'qlik-confirm-hostname': 'other.example'})
        assert wrong.status_code == 400 and 'header is wrong' in wrong.json()['errors'][0]['detail']
        done = registration.post(actions + action, json={}, headers={'qlik-confirm-hostname': tenant.hostnames[0]})
        assert done.status_code == 200, done.text
    assert tenant.status == 'active'


def test_errors_carry_a_trace_id_and_faults_a_string_status(emulator, tenant):
    missing = tenant.get(ENC + '/0123456789abcdef')
    body = missing.json()
    assert missing.status_code == 404 and 'status' not in body['errors'][0]  # as the Encryption typings: none
    assert len(body['traceId']) == 32 and int(body['traceId'], 16) >= 0
    emulator.faults(fault_kinds=('503',), fault_limit=1)
    injected = tenant.get(ENC)
    assert injected.status_code == 503 and injected.json()['errors'][0]['status'] == '503'
    assert injected.json()['traceId'] != body['traceId']


def test_a_deactivated_tenant_refuses_every_call_alike(emulator):
    tenant_obj = emulator.add_tenant(name='sleeping')
    tenant = Http(emulator, emulator.url(tenant_obj))  # token obtained while active
    emulator.model.deactivate_tenant(tenant_obj, tenant_obj.hostnames[0], 30)
    cfg = emulator.config
    answers = [tenant.get('/api/v1/users/me'), tenant.get('/api/v1/tenants/me'), tenant.get(ENC + '/actions/list'),
               tenant.session.post(emulator.url(tenant_obj) + '/oauth/token', json=dict(
                   client_id=cfg.client_id, client_secret=cfg.client_secret, grant_type='client_credentials'))]
    for answer in answers:
        assert answer.status_code == 403, (answer.request.url, answer.text)
        assert answer.json()['errors'][0]['code'] == 'TENANT-DISABLED'
        assert 'sleeping (%s) is deactivated' % tenant_obj.id in answer.json()['errors'][0]['detail']


def test_answers_without_a_body_have_no_content_type(emulator, tenant):
    created = tenant.post(ENC, json=dict(name='CMK', arn=ARN, keyprovider='AWS-KMS')).json()
    patched = tenant.patch(ENC + '/' + created['arnFingerPrint'], json=[dict(op='replace', path='/name', value='n')])
    assert patched.status_code == 204 and 'Content-Type' not in patched.headers and patched.content == b''
    migration = emulator.config.migration_seconds
    assert tenant.post(ENC + '/%s/actions/migrate' % created['arnFingerPrint']).status_code == 200
    emulator.clock.advance(migration)
    reset = tenant.post(ENC + '/actions/reset-to-default-provider')
    assert reset.status_code == 205 and reset.content == b'' and 'Content-Type' not in reset.headers
    emulator.clock.advance(migration)
    emulator.config.update(dict(reset_205_body=True))
    assert tenant.post(ENC + '/%s/actions/migrate' % created['arnFingerPrint']).status_code == 200
    emulator.clock.advance(migration)
    reset = tenant.post(ENC + '/actions/reset-to-default-provider')
    assert reset.status_code == 205 and reset.json()['migratingTo'] == QLIK_ARN
    emulator.clock.advance(migration)
    deleted = tenant.delete(ENC + '/' + created['arnFingerPrint'])
    assert deleted.status_code == 204 and 'Content-Type' not in deleted.headers


def test_tenant_records_and_the_license_overview_have_the_documented_fields(emulator, tenant):
    me = tenant.get('/api/v1/tenants/me').json()
    assert me['region'] == 'eu' and me['statusLastUpdatedAt'] and me['enableAppOpeningFeedback'] is True
    overview = tenant.get('/api/v1/licenses/overview').json()
    assert set(overview) >= {'licenseNumber', 'licenseKey', 'product', 'version', 'secondaryNumber', 'parameters'}
    registration = Http(emulator, emulator.registration_url)
    target = emulator.add_tenant(name='fields')
    path = '/api/v1/tenants/' + target.id
    assert registration.patch(path, json=[dict(op='replace', path='/enableAppOpeningFeedback', value=False)]) \
        .status_code == 204
    assert registration.get(path).json()['enableAppOpeningFeedback'] is False
    registration.post(path + '/actions/deactivate', json=dict(purgeAfterDays=20),
                      headers={'qlik-confirm-hostname': target.hostnames[0]})
    first = registration.get(path).json()['estimatedPurgeDate']
    emulator.clock.advance(3600)  # an hour later (tokens live 6 hours)
    assert registration.get(path).json()['estimatedPurgeDate'] == first  # fixed at deactivation
