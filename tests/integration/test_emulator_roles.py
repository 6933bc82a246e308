"""Callers of the emulator have identities and roles: the default client is a TenantAdmin, ``--client NAME:ROLE``
adds tenant-level clients with the roles named, and the calls Qlik reserves to TenantAdmin answer 403 to the
others; an API key belongs to its creator and acts as them."""

from __future__ import annotations

import pytest
import requests

from qlik_cloud_emulator.cli import parse_args
from tests.harness.plays import ARN, task

ENC = '/api/v1/encryption/keyproviders'
CLIENTS = {'viewer': [], 'ops': ['TenantAdmin'], 'dev': ['Developer', 'SharedSpaceCreator']}


class Caller:
    """requests to a tenant host as one OAuth client (``client``: a named client, or None for the default)."""

    def __init__(self, emulator, client=None, url=None):
        self.url = url or emulator.source_tenant_url
        self.session = requests.Session()
        self.session.verify = emulator.ca_path
        self.session.trust_env = False
        if client is None:
            self.client_id, secret = emulator.config.client_id, emulator.config.client_secret
        else:
            self.client_id = emulator.env()['QLIK_EMULATOR_CLIENT_%s_ID' % client.upper()]
            secret = emulator.env()['QLIK_EMULATOR_CLIENT_%s_SECRET' % client.upper()]
        self.secret = secret
        answer = self.session.post(self.url + '/oauth/token', json=dict(
            client_id=self.client_id, client_secret=secret, grant_type='client_credentials'))
        assert answer.status_code == 200, answer.text
        self.bearer(answer.json()['access_token'])

    def bearer(self, token):
        self.session.headers['Authorization'] = 'Bearer ' + token
        return self

    def __getattr__(self, method):
        return lambda path, **kw: self.session.request(method.upper(), self.url + path, **kw)


def assert_forbidden(answer):
    assert answer.status_code == 403, (answer.request.method, answer.request.url, answer.status_code, answer.text)
    body = answer.json()
    error = body['errors'][0]
    path = answer.request.path_url
    # errors[].status as each API types it: a number (API keys), none (Encryption, OAuth clients)
    assert error.get('status') == (403 if path.startswith('/api/v1/api-keys') else None), error
    assert error['title'] == 'Forbidden' and 'TenantAdmin' in error['detail']
    assert body['traceId']


pytestmark = pytest.mark.emulator(clients=CLIENTS)


def test_named_clients_are_printed_and_exported(emulator):
    env = emulator.env()
    for name in CLIENTS:
        assert env['QLIK_EMULATOR_CLIENT_%s_ID' % name.upper()] == '%s-%s' % (emulator.config.client_id, name)
        assert len(env['QLIK_EMULATOR_CLIENT_%s_SECRET' % name.upper()]) >= 32
    described = dict((c['name'], c) for c in emulator.describe()['clients'])
    assert described['dev']['roles'] == ['Developer', 'SharedSpaceCreator'] and described['viewer']['roles'] == []


def test_the_command_line_takes_clients():
    args = parse_args(['--client', 'viewer:', '--client', 'ops:TenantAdmin,AnalyticsAdmin'])
    assert dict(args.client) == {'viewer': [], 'ops': ['TenantAdmin', 'AnalyticsAdmin']}
    for wrong in ('viewer', 'bad name:TenantAdmin', 'x:Tenant Admin'):
        with pytest.raises(SystemExit):
            parse_args(['--client', wrong])


def test_a_named_client_exists_on_every_tenant_and_nowhere_else(emulator):
    other = emulator.add_tenant()
    Caller(emulator, 'viewer', url=emulator.url(other))  # a token on a tenant made later, too
    env = emulator.env()
    refused = requests.post(emulator.registration_url + '/oauth/token', verify=emulator.ca_path, json=dict(
        client_id=env['QLIK_EMULATOR_CLIENT_OPS_ID'], client_secret=env['QLIK_EMULATOR_CLIENT_OPS_SECRET'],
        grant_type='client_credentials'))
    assert refused.status_code == 401  # a tenant-level client is no region client


def test_users_me_says_who_calls_and_their_roles(emulator):
    admin = Caller(emulator).get('/api/v1/users/me').json()
    assert [r['name'] for r in admin['assignedRoles']] == ['TenantAdmin', 'Developer']
    assert admin['roles'] == ['TenantAdmin', 'Developer']
    assert all(len(r['id']) == 24 for r in admin['assignedRoles'])
    viewer = Caller(emulator, 'viewer').get('/api/v1/users/me').json()
    assert viewer['roles'] == [] and viewer['assignedRoles'] == []
    assert viewer['id'] == emulator.env()['QLIK_EMULATOR_CLIENT_VIEWER_ID']


def encryption_calls(fingerprint):
    return [('get', ENC, None), ('get', ENC + '/actions/list', None),
            ('post', ENC, dict(name='k', arn=ARN, keyprovider='AWS-KMS')),
            ('get', ENC + '/' + fingerprint, None),
            ('patch', ENC + '/' + fingerprint, [dict(op='replace', path='/name', value='x')]),
            ('post', ENC + '/%s/actions/test' % fingerprint, None),
            ('post', ENC + '/%s/actions/migrate' % fingerprint, None),
            ('post', ENC + '/actions/reset-to-default-provider', None),
            ('get', ENC + '/migration/actions/details', None),
            ('delete', ENC + '/' + fingerprint, None)]


@pytest.mark.parametrize('client', ['viewer', 'dev'])
def test_every_encryption_call_needs_tenant_admin(emulator, client):
    admin = Caller(emulator)
    fingerprint = admin.post(ENC, json=dict(name='k', arn=ARN, keyprovider='AWS-KMS')).json()['arnFingerPrint']
    caller = Caller(emulator, client)
    mark = emulator.last_seq()
    for method, path, body in encryption_calls(fingerprint):
        assert_forbidden(getattr(caller, method)(path, json=body))
    state = emulator.model.snapshot()['tenants'][0]
    assert [p['name'] for p in state['key_providers']] == ['k'] and state['migration'] is None
    assert len(emulator.requests(since=mark)) == len(encryption_calls(fingerprint))
    ops = Caller(emulator, 'ops')  # a named client that holds TenantAdmin may
    assert ops.post(ENC + '/%s/actions/test' % fingerprint).status_code == 201


def test_every_oauth_client_write_and_the_api_key_configuration_need_tenant_admin(emulator):
    admin = Caller(emulator)
    made = admin.post('/api/v1/oauth-clients', json=dict(
        clientName='bot', appType='web', allowedGrantTypes=['client_credentials'])).json()
    client_id, hint = made['clientId'], made['clientSecrets'][0]['hint']
    viewer = Caller(emulator, 'viewer')
    tenant_id = emulator.source_tenant.id
    for method, path, body in [
            ('post', '/api/v1/oauth-clients', dict(clientName='x', appType='web')),
            ('patch', '/api/v1/oauth-clients/' + client_id, [dict(op='replace', path='/clientName', value='y')]),
            ('delete', '/api/v1/oauth-clients/' + client_id, None),
            ('post', '/api/v1/oauth-clients/%s/client-secrets' % client_id, None),
            ('delete', '/api/v1/oauth-clients/%s/client-secrets/%s' % (client_id, hint), None),
            ('get', '/api/v1/api-keys/configs/' + tenant_id, None),
            ('patch', '/api/v1/api-keys/configs/' + tenant_id,
             [dict(op='replace', path='/max_keys_per_user', value=1)])]:
        assert_forbidden(getattr(viewer, method)(path, json=body))
    kept = admin.get('/api/v1/oauth-clients/' + client_id).json()
    assert kept['clientName'] == 'bot' and [s['hint'] for s in kept['clientSecrets']] == [hint]
    assert Caller(emulator).get("/api/v1/api-keys/configs/" + tenant_id).json()["max_keys_per_user"] == 5


def test_api_keys_need_the_developer_role_and_belong_to_their_creator_who_they_act_as(emulator):
    admin, dev = Caller(emulator), Caller(emulator, 'dev')
    for name in ('viewer', 'ops'):  # no role, and TenantAdmin without Developer
        refused = Caller(emulator, name).post('/api/v1/api-keys', json=dict(description='%s key' % name))
        assert refused.status_code == 403 and 'Developer' in refused.json()['errors'][0]['detail'], name
    mine = dev.post('/api/v1/api-keys', json=dict(description='dev key')).json()
    theirs = admin.post('/api/v1/api-keys', json=dict(description='admin key')).json()
    assert mine['createdByUser'] == dev.client_id and theirs['createdByUser'] == admin.client_id
    assert mine['sub'] == dev.client_id and mine['subType'] == 'user'
    assert [k['id'] for k in dev.get('/api/v1/api-keys').json()['data']] == [mine['id']]
    assert_forbidden(dev.get('/api/v1/api-keys', params=dict(createdByUser=admin.client_id)))
    assert sorted(k['id'] for k in admin.get('/api/v1/api-keys').json()['data']) == sorted([mine['id'], theirs['id']])
    assert_forbidden(dev.get('/api/v1/api-keys/' + theirs['id']))
    assert_forbidden(dev.patch('/api/v1/api-keys/' + theirs['id'],
                               json=[dict(op='replace', path='/description', value='x')]))
    assert_forbidden(dev.delete('/api/v1/api-keys/' + theirs['id']))  # no revoking another user's key
    assert_forbidden(dev.post('/api/v1/api-keys', json=dict(description='for admin', sub=admin.client_id)))
    as_dev = Caller(emulator, 'dev').bearer(mine['token'])  # the key acts as its owner
    assert as_dev.get('/api/v1/users/me').json()['id'] == dev.client_id
    assert_forbidden(as_dev.get(ENC))
    as_admin = Caller(emulator).bearer(theirs['token'])
    assert as_admin.get(ENC).status_code == 200
    assert admin.delete('/api/v1/api-keys/' + mine['id']).status_code == 204  # a TenantAdmin revokes it
    assert admin.get('/api/v1/api-keys/' + mine['id']).json()['status'] == 'revoked'
    assert as_dev.get('/api/v1/users/me').status_code == 401
    assert emulator.model.credentials.keys[emulator.source_tenant.id][theirs['id']].revoked is False


def test_the_key_provider_module_reports_the_missing_role(emulator, ansible):
    env = emulator.env()
    connection = dict(tenant_url=emulator.source_tenant_url, client_id=env['QLIK_EMULATOR_CLIENT_VIEWER_ID'],
                      client_secret=env['QLIK_EMULATOR_CLIENT_VIEWER_SECRET'])
    mark = emulator.last_seq()
    run = ansible.run([task('key', dict(connection, arn=ARN, name='CMK 01'))])
    assert run.rc != 0
    result = run.task('key')
    assert run.status('key') == 'failed' and result['status'] == 403, result
    assert 'HTTP 403' in result['msg'] and 'needs the TenantAdmin role' in result['msg'], result['msg']
    assert emulator.requests(since=mark, writes=True) == []
    assert env['QLIK_EMULATOR_CLIENT_VIEWER_SECRET'] not in run.output()
