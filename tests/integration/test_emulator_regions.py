"""Regions: one registration host per region (``--regions eu,us``), each with its own region-level OAuth client; a
client of another region is refused; tenants are created in the region of the host that made them; license keys
belong to a subscription."""

from __future__ import annotations

import pytest
import requests

from qlik_cloud_emulator.cli import parse_args

TENANTS = '/api/v1/tenants'
pytestmark = pytest.mark.emulator(regions=('eu', 'us'), licenses={'second-license-key': 'sub-second'})


def token(emulator, url, client_id, secret):
    return requests.post(url + '/oauth/token', verify=emulator.ca_path, json=dict(
        client_id=client_id, client_secret=secret, grant_type='client_credentials'))


def session(emulator, url, region):
    client_id, secret = emulator.config.region_client(region)
    answer = token(emulator, url, client_id, secret)
    assert answer.status_code == 200, answer.text
    out = requests.Session()
    out.verify = emulator.ca_path
    out.trust_env = False
    out.headers['Authorization'] = 'Bearer ' + answer.json()['access_token']
    return out


def test_each_region_has_its_registration_host_and_client(emulator):
    urls = emulator.registration_urls
    assert sorted(urls) == ['eu', 'us'] and urls['eu'] != urls['us'] and emulator.registration_url == urls['eu']
    env = emulator.env()
    assert env['QLIK_EMULATOR_REGION_US_REGISTRATION_URL'] == urls['us']
    assert (env['QLIK_EMULATOR_REGION_US_CLIENT_ID'], env['QLIK_EMULATOR_REGION_US_CLIENT_SECRET']) == \
        emulator.config.region_client('us')
    assert [r['region'] for r in emulator.describe()['regions']] == ['eu', 'us']


def test_a_client_of_another_region_is_refused(emulator):
    eu_id, eu_secret = emulator.config.region_client('eu')
    us_id, us_secret = emulator.config.region_client('us')
    refused = token(emulator, emulator.registration_urls['us'], eu_id, eu_secret)
    assert refused.status_code == 401 and refused.json()['errors'][0]['title'] == 'invalid_client'
    assert token(emulator, emulator.registration_urls['eu'], us_id, us_secret).status_code == 401
    assert token(emulator, emulator.registration_urls['us'], us_id, us_secret).status_code == 200
    # nor on a tenant host of another region
    assert token(emulator, emulator.source_tenant_url, us_id, us_secret).status_code == 401
    assert token(emulator, emulator.source_tenant_url, eu_id, eu_secret).status_code == 200


def test_tenants_are_created_in_their_region(emulator):
    us = session(emulator, emulator.registration_urls['us'], 'us')
    made = us.post(emulator.registration_urls['us'] + TENANTS,
                   json=dict(licenseKey=emulator.config.license_key, name='acme-us'))
    assert made.status_code == 201, made.text
    tenant = made.json()
    assert tenant['datacenter'] == 'us-east-1' and tenant['region'] == 'us'
    assert us.get(emulator.registration_urls['us'] + TENANTS + '/' + tenant['id']).status_code == 200
    eu = session(emulator, emulator.registration_urls['eu'], 'eu')
    assert eu.get(emulator.registration_urls['eu'] + TENANTS + '/' + tenant['id']).status_code == 404
    wrong = eu.post(emulator.registration_urls['eu'] + TENANTS,
                    json=dict(licenseKey=emulator.config.license_key, datacenter='us-east-1'))
    assert wrong.status_code == 400 and 'in region us' in wrong.json()['errors'][0]['detail']
    # its tenant host gives tokens to the client of its region only
    url = 'https://' + tenant['hostnames'][0]
    assert token(emulator, url, *emulator.config.region_client('us')).status_code == 200
    assert token(emulator, url, *emulator.config.region_client('eu')).status_code == 401
    assert len(emulator.model.tenants) == 2


def test_license_keys_belong_to_a_subscription(emulator):
    eu = session(emulator, emulator.registration_urls['eu'], 'eu')
    made = eu.post(emulator.registration_urls['eu'] + TENANTS, json=dict(licenseKey='second-license-key'))
    assert made.status_code == 201, made.text
    assert eu.post(emulator.registration_urls['eu'] + TENANTS, json=dict(licenseKey='no-such-key')).status_code == 400
    console = session(emulator, emulator.console_url, 'eu')

    def listed(subscription):
        answer = console.get(emulator.console_url + '/api/core/tenants',
                             params=dict(filter='subscriptionId eq "%s"' % subscription))
        assert answer.status_code == 200, answer.text
        return [t['id'] for t in answer.json()['data']]
    assert listed('sub-second') == [made.json()['id']]
    assert listed(emulator.config.subscription_id) == [emulator.source_tenant.id]
    overview = session(emulator, 'https://' + made.json()['hostnames'][0], 'eu').get(
        'https://' + made.json()['hostnames'][0] + '/api/v1/licenses/overview').json()
    assert overview['licenseKey'] == 'second-license-key'


def test_the_command_line_takes_regions_and_licenses():
    args = parse_args(['--regions', 'eu,us', '--license', 'k2=sub-2'])
    assert args.regions == 'eu,us' and args.license == [('k2', 'sub-2')]
    with pytest.raises(SystemExit):
        parse_args(['--license', 'no-subscription'])


def test_the_admin_api_adds_tenants_to_a_region(emulator):
    made = requests.post(emulator.admin_url + '/_emulator/tenants', verify=emulator.ca_path,
                         json=dict(name='far', region='us')).json()[0]
    assert emulator.model.tenant(made['id']).region == 'us'
    assert emulator.model.tenant(made['id']).datacenter == 'us-east-1'
    us = session(emulator, emulator.registration_urls['us'], 'us')
    assert us.get(emulator.registration_urls['us'] + TENANTS + '/' + made['id']).json()['name'] == 'far'
