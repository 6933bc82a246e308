"""Qlik's own client as a second contract: each difference that Qlik's TypeScript client (@qlik/api 2.19.0, its
typings generated from Qlik's OpenAPI specs) and raw probes found between the emulator and Qlik, fixed (issue 22).
The differences that remain are listed, with the reason, in emulator/README.md."""

from __future__ import annotations

import pytest
import requests

from tests.harness.api import Http

ENC = '/api/v1/encryption/keyproviders'
CLIENTS = '/api/v1/oauth-clients'
KEYS = '/api/v1/api-keys'
JWK = dict(kty='RSA', kid='k1', alg='RS256', use='sig', n='sXch', e='AQAB')


@pytest.fixture
def tenant(emulator):
    return Http(emulator)


@pytest.fixture
def console(emulator):
    return Http(emulator, emulator.console_url)


def error_of(answer, status):
    assert answer.status_code == status, (answer.status_code, answer.text)
    return answer.json()['errors'][0]


# ------------------------------------------------------------------ OAuth clients

def test_an_oauth_client_needs_its_app_type(tenant):
    assert 'appType' in error_of(tenant.post(CLIENTS, json=dict(clientName='no type')), 400)['detail']
    assert tenant.get(CLIENTS).json()['data'] == []


@pytest.mark.parametrize('app_type', ['native', 'spa'])
def test_a_public_client_has_no_secret(tenant, app_type):
    refused = tenant.post(CLIENTS, json=dict(clientName='p', appType=app_type, allowedAuthMethods=['client_secret']))
    assert 'public client' in error_of(refused, 400)['detail']
    made = tenant.post(CLIENTS, json=dict(clientName='p', appType=app_type, redirectUris=['https://app.example/cb']))
    assert made.status_code == 201 and 'clientSecret' not in made.json() and made.json()['allowedAuthMethods'] == []
    client_id = made.json()['clientId']
    error_of(tenant.post(CLIENTS + '/%s/client-secrets' % client_id), 400)
    error_of(tenant.patch(CLIENTS + '/' + client_id, json=[
        dict(op='replace', path='/allowedAuthMethods', value=['client_secret'])]), 400)
    assert tenant.get(CLIENTS + '/' + client_id).json()['clientSecrets'] == []


def test_allowed_auth_methods_and_the_other_documented_fields_are_taken_and_kept(tenant):
    made = tenant.post(CLIENTS, json=dict(
        clientName='jwt bot', appType='web', allowedGrantTypes=['client_credentials'],
        allowedAuthMethods=['private_key_jwt'], publicKeys=[JWK], clientUri='https://bot.example',
        logoUri='https://bot.example/logo.png'))
    assert made.status_code == 201, made.text
    client = made.json()
    assert 'clientSecret' not in client and client['clientSecrets'] == []
    assert client['allowedAuthMethods'] == ['private_key_jwt'] and client['publicKeys'] == [JWK]
    assert (client['clientUri'], client['logoUri']) == ('https://bot.example', 'https://bot.example/logo.png')
    error_of(tenant.post(CLIENTS, json=dict(clientName='x', appType='web', allowedAuthMethods=['private_key_jwt'])),
             400)  # private_key_jwt without a key
    error_of(tenant.post(CLIENTS, json=dict(clientName='x', appType='web', allowedAuthMethods=['password'])), 400)
    path = CLIENTS + '/' + client['clientId']
    patched = tenant.patch(path, json=[dict(op='replace', path='/jwksUri', value='https://bot.example/jwks'),
                                       dict(op='replace', path='/publicKeys', value=[dict(JWK, kid='k2')]),
                                       dict(op='replace', path='/clientUri', value='https://bot2.example'),
                                       dict(op='replace', path='/logoUri', value='https://bot2.example/l.png')])
    assert patched.status_code == 204, patched.text
    read = tenant.get(path).json()
    assert read['jwksUri'] == 'https://bot.example/jwks' and read['publicKeys'][0]['kid'] == 'k2'
    assert (read['clientUri'], read['logoUri']) == ('https://bot2.example', 'https://bot2.example/l.png')


def test_a_patch_that_adds_client_secret_answers_202_with_the_secret(emulator, tenant):
    made = tenant.post(CLIENTS, json=dict(clientName='jwt', appType='web', allowedAuthMethods=['private_key_jwt'],
                                          publicKeys=[JWK], allowedGrantTypes=['client_credentials'])).json()
    path = CLIENTS + '/' + made['clientId']
    answer = tenant.patch(path, json=[dict(op='add', path='/allowedAuthMethods',
                                           value=['private_key_jwt', 'client_secret'])])
    assert answer.status_code == 202, answer.text
    secret = answer.json()['clientSecret']
    read = tenant.get(path).json()
    assert read['allowedAuthMethods'] == ['private_key_jwt', 'client_secret']
    assert [s['hint'] for s in read['clientSecrets']] == [secret[-4:]]
    token = requests.post(emulator.source_tenant_url + '/oauth/token', verify=emulator.ca_path, json=dict(
        client_id=made['clientId'], client_secret=secret, grant_type='client_credentials'))
    assert token.status_code == 200
    again = tenant.patch(path, json=[dict(op='replace', path='/description', value='d')])
    assert again.status_code == 204 and again.content == b''


@pytest.mark.emulator(oauth_patch_secret=False)
def test_the_204_style_adds_the_method_without_a_secret(tenant):
    made = tenant.post(CLIENTS, json=dict(clientName='jwt', appType='web', allowedAuthMethods=['private_key_jwt'],
                                          publicKeys=[JWK])).json()
    path = CLIENTS + '/' + made['clientId']
    answer = tenant.patch(path, json=[dict(op='replace', path='/allowedAuthMethods', value=['client_secret'])])
    assert answer.status_code == 204 and tenant.get(path).json()['clientSecrets'] == []


def test_the_oauth_client_list_sorts_counts_and_pages_both_ways(tenant):
    for name in ('delta', 'alpha', 'charlie', 'bravo', 'echo'):
        assert tenant.post(CLIENTS, json=dict(clientName=name, appType='web')).status_code == 201
    first = tenant.get(CLIENTS, params=dict(sort='clientName', limit=2, totalResults='true')).json()
    assert [c['clientName'] for c in first['data']] == ['alpha', 'bravo'] and first['totalResults'] == 5
    assert 'prev' not in first['links']
    second = tenant.session.get(first['links']['next']['href']).json()
    assert [c['clientName'] for c in second['data']] == ['charlie', 'delta'] and 'totalResults' in second
    back = tenant.session.get(second['links']['prev']['href']).json()
    assert [c['clientName'] for c in back['data']] == ['alpha', 'bravo']
    down = tenant.get(CLIENTS, params=dict(sort='-clientName')).json()
    assert [c['clientName'] for c in down['data']] == ['echo', 'delta', 'charlie', 'bravo', 'alpha']
    assert 'totalResults' not in down
    error_of(tenant.get(CLIENTS, params=dict(sort='secret')), 400)
    filtered = tenant.get(CLIENTS, params=dict(filter='clientName eq "alpha" or clientName sw "ec"')).json()
    assert sorted(c['clientName'] for c in filtered['data']) == ['alpha', 'echo']
    error_of(tenant.get(CLIENTS, params=dict(filter='clientSecret eq "x"')), 400)


# ------------------------------------------------------------------ API keys

def test_the_api_key_configuration_is_patched_with_204(emulator, tenant):
    path = KEYS + '/configs/' + emulator.source_tenant.id
    answer = tenant.patch(path, json=[dict(op='replace', path='/max_keys_per_user', value=1),
                                      dict(op='replace', path='/max_api_key_expiry', value='P30D')])
    assert answer.status_code == 204 and answer.content == b''
    assert tenant.get(path).json() == dict(max_api_key_expiry='P30D', max_keys_per_user=1,
                                           scim_externalClient_expiry='P365D')
    error_of(tenant.patch(path, json=[dict(op='replace', path='/max_keys_per_user', value='many')]), 400)
    error_of(tenant.patch(path, json=[dict(op='add', path='/max_keys_per_user', value=2)]), 400)
    assert tenant.post(KEYS, json=dict(description='one', expiry='P31D')).status_code == 400
    assert tenant.post(KEYS, json=dict(description='one')).status_code == 201
    assert tenant.post(KEYS, json=dict(description='two')).status_code == 400  # one key per user now
    assert tenant.patch(KEYS + '/configs/someone-else', json=[
        dict(op='replace', path='/max_keys_per_user', value=3)]).status_code == 404


@pytest.mark.emulator(max_keys_per_user=10)
def test_api_keys_page_both_ways_sort_and_filter(emulator, tenant):
    made = [tenant.post(KEYS, json=dict(description=d)).json() for d in ('c', 'a', 'e', 'b', 'd')]
    page = tenant.get(KEYS, params=dict(sort='description', limit=2)).json()
    assert [k['description'] for k in page['data']] == ['a', 'b'] and 'prev' not in page['links']
    page2 = tenant.session.get(page['links']['next']['href']).json()
    assert [k['description'] for k in page2['data']] == ['c', 'd'] and 'startingAfter=' in page['links']['next']['href']
    back = tenant.session.get(page2['links']['prev']['href']).json()
    assert [k['description'] for k in back['data']] == ['a', 'b'] and 'endingBefore=' in page2['links']['prev']['href']
    down = tenant.get(KEYS, params=dict(sort='-created')).json()['data']
    assert [k['id'] for k in down] == [k['id'] for k in reversed(made)]
    error_of(tenant.get(KEYS, params=dict(sort='expiry')), 400)
    error_of(tenant.get(KEYS, params=dict(startingAfter=made[0]['id'], endingBefore=made[1]['id'])), 400)
    me = emulator.config.client_id
    assert len(tenant.get(KEYS, params=dict(createdByUser=me)).json()['data']) == 5
    assert tenant.get(KEYS, params=dict(createdByUser='nobody')).json()['data'] == []
    scim = tenant.post(KEYS, json=dict(description='idp', sub='SCIM\\idp-1', subType='externalClient'))
    assert scim.status_code == 201, scim.text
    assert (scim.json()['sub'], scim.json()['subType']) == ('SCIM\\idp-1', 'externalClient')
    assert [k['id'] for k in tenant.get(KEYS, params=dict(subType='externalClient')).json()['data']] == [
        scim.json()['id']]
    assert [k['id'] for k in tenant.get(KEYS, params=dict(sub='SCIM\\idp-1')).json()['data']] == [scim.json()['id']]
    error_of(tenant.post(KEYS, json=dict(description='x', sub='idp-1', subType='externalClient')), 400)
    error_of(tenant.get(KEYS, params=dict(status='lost')), 400)


# ------------------------------------------------------------------ Organization API

def org(console, emulator, expression='', **params):
    text = 'subscriptionId eq "%s"' % emulator.config.subscription_id
    return console.get('/api/core/tenants', params=dict(params, filter=text + (' and ' + expression if expression
                                                                               else '')))


@pytest.mark.parametrize('expression', ['name co "acme"', 'regionCode co "eu"', 'hostnames sw "a"', 'id ne "x"',
                                        'status gt "a"', 'secret eq "x"', 'name eq', 'not name eq "a"',
                                        '(name eq "a"', 'name eq "a" xor name eq "b"'])
def test_the_organization_api_refuses_the_filters_qlik_refuses(emulator, console, expression):
    error = error_of(org(console, emulator, expression), 400)
    assert error['title'] == 'Invalid filter', error


def test_the_organization_api_takes_or_not_and_parentheses(emulator, console):
    for name in ('acme-a', 'acme-b', 'acme-c'):
        emulator.add_tenant(name=name)
    emulator.add_tenant(name='uk-one', datacenter='eu-west-2')

    def names(expression):
        answer = org(console, emulator, expression)
        assert answer.status_code == 200, answer.text
        return sorted(t['name'] for t in answer.json()['data'])
    assert names('(name eq "acme-a" or name eq "acme-c")') == ['acme-a', 'acme-c']
    assert names('not (regionCode eq "eu-west-1")') == ['uk-one']
    assert names('regionCode ne "eu-west-1" or name eq "acme-b"') == ['acme-b', 'uk-one']
    assert names('status eq "active" and not (name eq "acme-a" or name eq "acme-b")') == sorted(
        ['acme-c', 'uk-one', emulator.source_tenant.name])


def test_the_organization_api_sorts_and_pages_back(emulator, console):
    for name in ('d-tenant', 'b-tenant', 'c-tenant', 'a-tenant'):
        emulator.add_tenant(name=name)
    emulator.source_tenant.name = 'z-source'
    first = org(console, emulator, sort='name', limit=2).json()
    assert [t['name'] for t in first['data']] == ['a-tenant', 'b-tenant'] and 'prev' not in first['links']
    second = console.session.get(first['links']['next']['href']).json()
    assert [t['name'] for t in second['data']] == ['c-tenant', 'd-tenant']
    back = console.session.get(second['links']['prev']['href']).json()
    assert [t['name'] for t in back['data']] == ['a-tenant', 'b-tenant']
    down = org(console, emulator, sort='-name', limit=1).json()
    assert [t['name'] for t in down['data']] == ['z-source']
    error_of(org(console, emulator, sort='licenseKey'), 400)


# ------------------------------------------------------------------ every list: a bad limit

@pytest.mark.parametrize('limit', ['0', '101', '-1', 'ten', '2.5'])
def test_a_bad_limit_is_a_400_on_every_list(emulator, tenant, console, limit):
    for path in (CLIENTS, KEYS, '/api/v1/data-connections', '/api/v1/automations', '/api/v1/automation-connections',
                 '/api/workflows/automations'):
        assert tenant.get(path, params=dict(limit=limit)).status_code == 400, (path, limit)
    organization = org(console, emulator, limit=limit)
    assert organization.status_code == (200 if limit == '0' else 400), (limit, organization.text)


# ------------------------------------------------------------------ errors, product info, users/me, licenses

def test_errors_status_has_the_type_each_apis_typings_give(emulator, tenant):
    registration = Http(emulator, emulator.registration_url)
    assert error_of(registration.get('/api/v1/tenants/nope'), 404)['status'] == '404'         # Tenants: string
    assert error_of(tenant.get(KEYS + '/nope'), 404)['status'] == 404                         # API keys: number
    assert error_of(tenant.get('/api/v1/data-connections/nope'), 404)['status'] == 404        # Data connections
    assert error_of(Http(emulator, token=False).get('/api/v1/users/me'), 401)['status'] == 401  # Users: number
    assert 'status' not in error_of(tenant.get(CLIENTS + '/nope'), 404)                       # OAuth clients: none
    assert 'status' not in error_of(tenant.get(ENC + '/nope'), 404)                           # Encryption: none
    licenses = Http(emulator, token=False).get('/api/v1/licenses/overview')
    body = licenses.json()
    assert licenses.status_code == 401 and 'status' not in body['errors'][0]                  # Licenses: none ...
    assert body['error'] and body['message']                                                 # ... and these two


@pytest.mark.emulator(tier1_per_minute=2)
def test_product_info_is_answered_without_a_token_and_counts_against_no_tier(emulator, tenant, console):
    anonymous = Http(emulator, token=False)
    for dummy in range(3):
        info = anonymous.get('/resources/autogenerated/product-info.json')
        assert info.status_code == 200
    composition = info.json()['composition']
    assert composition['deploymentType'] == 'cloud' and composition['productName'] == 'Qlik Cloud'
    assert info.json()['externalUrls']['qlikWebPageUrl']
    assert Http(emulator, emulator.console_url, token=False).get(
        '/resources/autogenerated/product-info.json').json()['composition']['deploymentType'] == 'cloud-console'
    assert tenant.get('/api/v1/users/me').status_code == 200
    assert tenant.get('/api/v1/users/me').status_code == 200
    assert tenant.get('/api/v1/users/me').status_code == 429  # the third read of the minute: the tier counts reads


def test_users_me_gives_role_ids_and_licenses_give_validity_intervals(tenant):
    me = tenant.get('/api/v1/users/me').json()
    assert me['assignedRoles'] and all(isinstance(r['id'], str) and r['id'] for r in me['assignedRoles'])
    overview = tenant.get('/api/v1/licenses/overview').json()
    assert overview['parameters'] and all(isinstance(p['valid'], str) and '/' in p['valid']
                                          for p in overview['parameters'])
