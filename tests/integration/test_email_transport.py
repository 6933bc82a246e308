"""qlik_email_transport and qlik_email_transport_info against the emulator, one real play per step."""

from __future__ import annotations

import pytest

from tests.harness.plays import task, writes
from tests.harness.vault import api_session, no_secret_in, vault


MODULE = 'qlikcloud.platform.qlik_email_transport'
INFO = 'qlikcloud.platform.qlik_email_transport_info'
CONFIG = '/api/v1/transports/email-config'
VERIFY = CONFIG + '/actions/verify-connection'
SEND_TEST = CONFIG + '/actions/send-test-email'
SECRETS = dict(s_smtp='smtp-pw-5d4c3b2a', s_wrong='smtp-wrong-0f9e8d', s_m365='m365-secret-7a6b5c4d3e',
               s_rotated='smtp-pw-rotated-1a2b')
SMTP = dict(server_address='smtp.example.com', server_port=587, security_type='StartTLS', username='qlik-mail',
            email_address='qlik@example.com', sender_name='Qlik Cloud')
PROVIDER_CONFIG = dict(serverAddress='smtp.example.com', serverPort=587, securityType='StartTLS', username='qlik-mail',
                       emailAddress='qlik@example.com', senderName='Qlik Cloud')


def mail_server(emulator, password=SECRETS['s_smtp']):
    emulator.model.transports.add_smtp_server('smtp.example.com', {'qlik-mail': password})


def held(emulator):
    return emulator.model.transports.held(emulator.source_tenant)


@pytest.mark.parametrize('missing_status', [200, 404])
def test_create_rerun_rotate_verify_and_delete(emulator, ansible, tmp_path, missing_status):
    """Both documented answers of a tenant without a configuration (200 CONFIG_NOT_SET, 404) are understood."""
    emulator.model.transports.missing_status = missing_status
    mail_server(emulator)
    conn = ansible.connection()
    secrets = vault(tmp_path, SECRETS)
    create = dict(conn, **SMTP, password='{{ s_smtp }}', verify=True)

    mark = emulator.last_seq()
    run = ansible.run([task('plan', create, module=MODULE)], check=True, diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['credentials_written'] == ['password']
    assert plan['requests'] == [
        dict(method='PUT', path=CONFIG, body=dict(serviceProvider='BasicAuth', providerConfig=dict(
            PROVIDER_CONFIG, emailPassword='********'))),
        dict(method='POST', path=VERIFY)]
    assert plan['diff'] == dict(before=dict(state='absent'), after=dict(
        PROVIDER_CONFIG, serviceProvider='BasicAuth', state='present', secret='written'))
    assert writes(emulator, mark) == [] and held(emulator) is None

    mark = emulator.last_seq()
    run = ansible.run([task('create', create, module=MODULE)], diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    made = run.task('create')
    assert made['changed'] is True and made['verify']['success'] is True
    assert made['email_transport']['providerConfig'] == PROVIDER_CONFIG
    assert made['email_transport']['passwordExists'] is True and made['email_transport']['isValid'] is True
    assert writes(emulator, mark) == [
        ('PUT', CONFIG, dict(serviceProvider='BasicAuth',
                             providerConfig=dict(PROVIDER_CONFIG, emailPassword='<redacted>'))),
        ('POST', VERIFY, None)]
    assert held(emulator).secret == SECRETS['s_smtp']

    # no secret: nothing written; the secret with on_create: nothing; with always: written
    mark = emulator.last_seq()
    run = ansible.run([task('no secret', dict(conn, **SMTP), module=MODULE),
                       task('on_create', dict(conn, **SMTP, password='{{ s_rotated }}', update_secret='on_create'),
                            module=MODULE),
                       task('partial', dict(conn, email_address='qlik@example.com'), module=MODULE),
                       task('info', conn, module=INFO)], extra_args=secrets)
    assert run.rc == 0, run.output()
    assert [run.task(t)['changed'] for t in ('no secret', 'on_create', 'partial')] == [False, False, False]
    assert writes(emulator, mark) == [] and held(emulator).secret == SECRETS['s_smtp']
    info = run.task('info')
    assert info['summary'] == dict(configured=True, service_provider='BasicAuth', email_address='qlik@example.com',
                                   login='qlik-mail', secret_stored=True, is_valid=True, error_code='OK',
                                   auth_failures=0, modified=info['email_transport']['modificationTime'])

    mail_server(emulator, SECRETS['s_rotated'])  # the mail server's password changes; the tenant follows
    mark = emulator.last_seq()
    run = ansible.run([task('rotate', dict(conn, password='{{ s_rotated }}', verify=True), module=MODULE)],
                      diff=True, extra_args=secrets)
    assert run.rc == 0, run.output()
    rotate = run.task('rotate')
    assert rotate['changed'] is True and rotate['credentials_written'] == ['password']
    assert rotate['diff']['before']['secret'] == 'stored' and rotate['diff']['after']['secret'] == 'written'
    assert writes(emulator, mark) == [
        ('PUT', CONFIG, dict(serviceProvider='BasicAuth',
                             providerConfig=dict(PROVIDER_CONFIG, emailPassword='<redacted>'))),
        ('POST', VERIFY, None)]
    assert held(emulator).secret == SECRETS['s_rotated']

    # a change of another setting replaces everything: with on_create the given password goes along
    mark = emulator.last_seq()
    run = ansible.run([task('rename', dict(conn, sender_name='Qlik Alerts', password='{{ s_rotated }}',
                                           update_secret='on_create'), module=MODULE)], extra_args=secrets)
    assert run.rc == 0, run.output()
    assert run.task('rename')['credentials_written'] == ['password']
    assert writes(emulator, mark) == [('PUT', CONFIG, dict(serviceProvider='BasicAuth', providerConfig=dict(
        PROVIDER_CONFIG, senderName='Qlik Alerts', emailPassword='<redacted>')))]
    assert held(emulator).settings['senderName'] == 'Qlik Alerts' and held(emulator).secret == SECRETS['s_rotated']
    no_secret_in(run, emulator, SECRETS)

    mark = emulator.last_seq()
    run = ansible.run([task('delete', dict(conn, state='absent'), module=MODULE),
                       task('again', dict(conn, state='absent'), module=MODULE),
                       task('info', conn, module=INFO)])
    assert run.rc == 0, run.output()
    assert run.task('delete')['changed'] is True and run.task('again')['changed'] is False
    assert run.task('info')['email_transport'] == {} and run.task('info')['summary']['configured'] is False
    assert writes(emulator, mark) == [('DELETE', CONFIG, None)] and held(emulator) is None


def test_verify_catches_a_wrong_smtp_password(emulator, ansible, tmp_path):
    mail_server(emulator)
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('wrong', dict(conn, **SMTP, password='{{ s_wrong }}', verify=True), module=MODULE)],
                      diff=True, extra_args=['-vvvv'] + vault(tmp_path, SECRETS))
    assert run.rc != 0
    wrong = run.task('wrong')
    assert run.status('wrong') == 'failed' and wrong['changed'] is True  # written, then found not to work
    assert wrong['msg'] == ("the connection check of the tenant's email configuration failed: 535 5.7.8 "
                            "Authentication credentials invalid (SMTP response code 535)")
    assert wrong['verify'] == dict(success=False, connectionFailed=False, smtpResponseCode=535,
                                   message='535 5.7.8 Authentication credentials invalid')
    assert [(e['method'], e['path'], e['status']) for e in emulator.requests(writes=True, since=mark)] == [
        ('PUT', CONFIG, 204), ('POST', VERIFY, 200)]
    assert held(emulator).auth_failures == 1 and held(emulator).error_code == 'INVALID_CREDENTIALS'
    no_secret_in(run, emulator, SECRETS)

    # a server that cannot be reached fails the check too, as a connection failure
    run = ansible.run([task('unreachable', dict(conn, server_address='smtp.nowhere.example', password='{{ s_smtp }}',
                                                verify=True), module=MODULE)], extra_args=vault(tmp_path, SECRETS))
    assert run.rc != 0
    assert 'failed to connect: getaddrinfo ENOTFOUND smtp.nowhere.example' in run.task('unreachable')['msg']


def test_test_mail_and_microsoft_365(emulator, ansible, tmp_path):
    emulator.model.transports.add_m365_app('entra-tenant-1', 'entra-app-1', SECRETS['s_m365'])
    conn = ansible.connection()
    m365 = dict(conn, provider_tenant_id='entra-tenant-1', m365_client_id='entra-app-1',
                m365_client_secret='{{ s_m365 }}', email_address='qlik@example.com', update_secret='on_create')
    mark = emulator.last_seq()
    run = ansible.run([task('m365', dict(m365, verify=True, test_recipient='ops@example.com'), module=MODULE),
                       task('again', m365, module=MODULE),
                       task('info', conn, module=INFO)], diff=True, extra_args=['-vvvv'] + vault(tmp_path, SECRETS))
    assert run.rc == 0, run.output()
    made = run.task('m365')
    assert made['changed'] is True and made['verify']['success'] and made['test_email']['success']
    assert run.task('again')['changed'] is False
    assert writes(emulator, mark) == [
        ('PUT', CONFIG, dict(serviceProvider='Microsoft365', providerConfig=dict(
            providerTenantId='entra-tenant-1', clientId='entra-app-1', emailAddress='qlik@example.com',
            clientSecret='<redacted>'))),
        ('POST', VERIFY, None),
        ('POST', SEND_TEST, dict(recipient='ops@example.com', subject='Qlik Cloud test email',
                                 body="This is a test email from the Qlik Cloud tenant's email configuration."))]
    assert emulator.model.transports.sent == [dict(
        tenant=emulator.source_tenant.id, recipient='ops@example.com', subject='Qlik Cloud test email',
        body="This is a test email from the Qlik Cloud tenant's email configuration.", sender='qlik@example.com')]
    assert run.task('info')['summary']['login'] == 'entra-app-1'
    assert held(emulator).secret == SECRETS['s_m365']
    no_secret_in(run, emulator, SECRETS)

    # back to SMTP: a new configuration of the other provider, which needs all its settings
    mark = emulator.last_seq()
    run = ansible.run([task('partial', dict(conn, server_address='smtp.example.com'), module=MODULE)])
    assert run.rc != 0 and run.task('partial')['msg'] == (
        "changing the provider of the tenant's email configuration (BasicAuth) needs server_address, server_port, "
        "security_type, email_address (missing: server_port, security_type, email_address)")
    assert writes(emulator, mark) == []


@pytest.mark.parametrize('args,words', [
    (dict(SMTP, provider_tenant_id='x', password='{{ s_smtp }}'),
     'server_address, server_port, security_type, username, sender_name, password are SMTP (BasicAuth) options and '
     'provider_tenant_id are Microsoft 365 options'),
    (dict(SMTP, server_port=70000, password='{{ s_smtp }}'), 'server_port must be from 1 to 65535, got 70000'),
    (dict(SMTP, email_address='not-an-address', password='{{ s_smtp }}'), "email_address must be an email address"),
    (dict(SMTP, password='{{ s_smtp }}', test_recipient='nobody'), 'test_recipient must be an email address'),
    (dict(SMTP, password='{{ s_smtp }}', security_type='TLS'),
     'value of security_type must be one of: none, StartTLS, SSL/TLS'),
    (dict(SMTP), 'needs server_address, server_port, security_type, email_address, password (missing: password)'),
    (dict(server_address='smtp.example.com'), 'missing: server_port, security_type, email_address'),
    (dict(service_provider='Microsoft365', server_address='smtp.example.com'),
     'service_provider is Microsoft365 but server_address are BasicAuth options'),
    (dict(state='absent', verify=True), 'verify and test_recipient need state=present'),
])
def test_bad_input_is_refused_before_any_write(emulator, ansible, tmp_path, args, words):
    mark = emulator.last_seq()
    run = ansible.run([task('bad', dict(ansible.connection(), **args), module=MODULE)],
                      extra_args=vault(tmp_path, SECRETS))
    assert run.rc != 0
    assert words in run.task('bad')['msg'], run.task('bad')['msg']
    assert writes(emulator, mark) == []


def test_a_change_that_would_drop_the_stored_password_is_refused(emulator, ansible):
    emulator.model.transports.seed(emulator.source_tenant, 'BasicAuth', PROVIDER_CONFIG, secret=SECRETS['s_smtp'])
    mark = emulator.last_seq()
    run = ansible.run([task('port', dict(ansible.connection(), server_port=2525), module=MODULE)])
    assert run.rc != 0
    assert run.task('port')['msg'] == ("changing the tenant's email configuration replaces it as a whole (PUT), which "
                                       "would remove the stored password: give password too")
    assert writes(emulator, mark) == [] and held(emulator).secret == SECRETS['s_smtp']


def test_a_caller_without_the_tenant_admin_role_is_refused(emulator, ansible, tmp_path):
    emulator.model.roles.revoke_admin(emulator.source_tenant, emulator.config.client_id)
    mark = emulator.last_seq()
    run = ansible.run([task('info', ansible.connection(), module=INFO, ignore_errors=True),
                       task('set', dict(ansible.connection(), **SMTP, password='{{ s_smtp }}'), module=MODULE)],
                      extra_args=vault(tmp_path, SECRETS))
    assert run.rc != 0
    for name in ('info', 'set'):
        result = run.task(name)
        assert result['status'] == 403 and result['errors'][0]['code'] == 'TenantAdminError', result
        assert 'GET /api/v1/transports/email-config' in result['msg']
    assert writes(emulator, mark) == [] and held(emulator) is None


FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=13)


def test_thirty_percent_faults_converge(emulator, ansible, tmp_path):
    mail_server(emulator, SECRETS['s_rotated'])
    conn = ansible.connection()
    emulator.faults(**FAULTS)
    for args in (dict(conn, **SMTP, password='{{ s_smtp }}', retries=8),
                 dict(conn, **SMTP, password='{{ s_rotated }}', verify=True, retries=8)):
        for dummy in range(4):
            run = ansible.run([task('step', args, module=MODULE)], extra_args=vault(tmp_path, SECRETS))
            if run.rc == 0:
                break
        assert run.rc == 0, run.output()
    injected = emulator.gateway.faults_injected
    emulator.faults()
    assert injected > 0 and held(emulator).secret == SECRETS['s_rotated'] and held(emulator).is_valid
    run = ansible.run([task('again', dict(conn, **SMTP), module=MODULE)])
    assert run.rc == 0 and run.task('again')['changed'] is False, run.output()


def test_emulator_follows_the_fact_sheet(emulator):
    """What the module does not exercise: validate, the 404 answers without a configuration, the legacy copies."""
    session, url = api_session(emulator), emulator.source_tenant_url
    assert session.post(url + CONFIG + '/actions/validate').json() == dict(isValid=False, errorCode='CONFIG_NOT_SET')
    assert session.post(url + VERIFY).status_code == 404 and session.delete(url + CONFIG).status_code == 404
    assert session.post(url + SEND_TEST, json=dict(recipient='a@b.c')).status_code == 404
    incomplete = dict(serviceProvider='BasicAuth', providerConfig=dict(PROVIDER_CONFIG))
    assert session.put(url + CONFIG, json=incomplete).status_code == 204  # a login without its password
    got = session.get(url + CONFIG).json()
    assert (got['passwordExists'], got['isValid'], got['errorCode']) == (False, False, 'INCOMPLETE_CONFIG')
    assert got['serverAddress'] == 'smtp.example.com' and got['serverPort'] == 587  # the legacy flat copies
    validated = session.post(url + CONFIG + '/actions/validate').json()
    assert validated == dict(isValid=False, errorCode='INCOMPLETE_CONFIG')
    for body in (dict(serviceProvider='SMTP', providerConfig={}),
                 dict(serviceProvider='BasicAuth', providerConfig=dict(PROVIDER_CONFIG, serverPort='587')),
                 dict(serviceProvider='BasicAuth', providerConfig=dict(PROVIDER_CONFIG, extra='x')),
                 dict(serviceProvider='Microsoft365', providerConfig=dict(emailAddress='a@b.c'))):
        refused = session.put(url + CONFIG, json=body)
        assert refused.status_code == 400 and refused.json()['errors'][0]['code'] == 'UpdateEmailConfigError'
