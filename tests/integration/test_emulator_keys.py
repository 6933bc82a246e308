"""The emulator is no kinder than Qlik about keys: a key nobody declared is refused, and with --kms-endpoint a key
is validated in a KMS (a moto server) as Qlik validates it in AWS."""

from __future__ import annotations

import json

import pytest
import requests

from qlik_cloud_emulator.cli import parse_args
from tests.harness import api
from tests.harness.moto import ACCOUNT_ID

ENC = '/api/v1/encryption/keyproviders'
QLIK_ROLE = 'arn:aws:iam::338144066592:role/byok-encryption-proxy-role'
QLIK_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*']
# a key of an AWS account the tests' emulators do not know (tests/harness/plays.py TEST_KEYS)
UNKNOWN = 'arn:aws:kms:eu-west-1:999988887777:key/mrk-1237c011a37e4f067e0987c7612a4560'
# the region typo of issue 22, in an account the tests' emulators know otherwise
TYPO = 'arn:aws:kms:eu-wset-1:111122223333:key/mrk-1237c011a37e4f067e0987c7612a4560'


class Http(api.Http):
    """Raw HTTP to a tenant, with the key-provider calls these tests make."""

    def create(self, arn, name='k'):
        return self.post(ENC, json=dict(name=name, arn=arn, keyprovider='AWS-KMS'))


@pytest.fixture
def tenant(emulator):
    return Http(emulator)


def assert_forbidden(answer):
    assert answer.status_code == 403, answer.text
    error = answer.json()['errors'][0]
    assert error['code'] == 'Encryption-3' and 'status' not in error  # the Encryption API's errors have none
    assert error['title'] == 'Unable to access the provided AWS-KMS key, access is forbidden'


# ------------------------------------------------------------------ declared keys

@pytest.mark.parametrize('arn', [UNKNOWN, TYPO])
def test_an_undeclared_key_is_refused_at_create(emulator, tenant, arn):
    assert_forbidden(tenant.create(arn))
    assert emulator.model.snapshot()['tenants'][0]['key_providers'] == []


def test_a_key_no_longer_known_is_refused_at_test_and_at_migrate(emulator, tenant):
    emulator.config.key_behaviours[UNKNOWN] = 'ok'
    created = tenant.create(UNKNOWN)
    assert created.status_code == 201, created.text
    fingerprint = created.json()['arnFingerPrint']
    assert tenant.post(ENC + '/%s/actions/test' % fingerprint).status_code == 201
    del emulator.config.key_behaviours[UNKNOWN]
    assert_forbidden(tenant.post(ENC + '/%s/actions/test' % fingerprint))
    migrate = tenant.post(ENC + '/%s/actions/migrate' % fingerprint)
    assert migrate.status_code == 412 and migrate.json()['errors'][0]['code'] == 'Encryption-12'
    assert emulator.source_tenant.current is None


@pytest.mark.emulator(key_behaviours={'arn:aws:kms:eu-west-1:999988887777:key/*': 'ok'})
def test_a_pattern_declares_keys_and_a_declared_key_elsewhere_is_not_dr_compliant(emulator, tenant):
    assert tenant.create(UNKNOWN).json()['drCompliant'] is True
    elsewhere = 'arn:aws:kms:eu-west-2:111122223333:key/mrk-2678f8123a236c3123469387dc2ce561'
    provider = tenant.create(elsewhere).json()
    assert provider['drCompliant'] is False
    assert provider['complianceError']['code'] == 'Encryption-87' and provider['complianceError']['region'] == 'eu-west-2'


def test_command_line_declares_keys_from_options_and_files(tmp_path):
    keys = tmp_path / 'keys.txt'
    keys.write_text('# keys of the rehearsal\n%s=ok\n\narn:aws:kms:eu-west-1:1:key/*=forbidden\n' % UNKNOWN)
    args = parse_args(['--keys-file', str(keys), '--key', UNKNOWN + '=noncompliant', '--kms-endpoint',
                       'http://127.0.0.1:5000'])
    assert dict(p for listed in args.keys_file for p in listed) == {
        UNKNOWN: 'ok', 'arn:aws:kms:eu-west-1:1:key/*': 'forbidden'}
    assert args.key == [(UNKNOWN, 'noncompliant')] and args.kms_endpoint == 'http://127.0.0.1:5000'
    with pytest.raises(SystemExit):
        parse_args(['--key', UNKNOWN + '=maybe'])


# ------------------------------------------------------------------ keys read in a KMS (moto)

def policy(account=ACCOUNT_ID, qlik=True, actions=None):
    statements = [dict(Sid='Enable IAM User Permissions', Effect='Allow',
                       Principal=dict(AWS='arn:aws:iam::%s:root' % account), Action='kms:*', Resource='*')]
    if qlik:
        statements.append(dict(Sid='Enable KMS Key policy for proxy account', Effect='Allow',
                               Principal=dict(AWS=[QLIK_ROLE]), Action=actions or QLIK_ACTIONS, Resource='*'))
    return json.dumps(dict(Version='2012-10-17', Statement=statements))


def make_key(aws, region='eu-west-1', multi_region=True, dr_region='eu-west-3', key_policy=None):
    """A key made in moto with a policy that lets Qlik in (and its replica in ``dr_region``); its ARN."""
    client = aws.client(region)
    meta = client.create_key(MultiRegion=multi_region, Policy=key_policy or policy())['KeyMetadata']
    if multi_region and dr_region:
        client.replicate_key(KeyId=meta['KeyId'], ReplicaRegion=dr_region)  # moto: the replica gets the policy
    return meta['Arn']


@pytest.fixture
def kms_tenant(emulator, aws):
    emulator.config.kms_endpoint = aws.url
    return Http(emulator)


def provider_of(answer):
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_good_key_in_kms_is_accepted_tested_and_migrated_to(emulator, aws, kms_tenant):
    arn = make_key(aws)
    provider = provider_of(kms_tenant.create(arn))
    assert provider['drCompliant'] is True and provider['multiRegion'] is True
    assert provider['replicaKeys'] == [dict(arn=arn.replace('eu-west-1', 'eu-west-3'), region='eu-west-3')]
    assert provider['complianceError'] == dict(code='', region='', message='')
    fingerprint = provider['arnFingerPrint']
    assert provider_of(kms_tenant.post(ENC + '/%s/actions/test' % fingerprint))['drCompliant'] is True
    assert kms_tenant.post(ENC + '/%s/actions/migrate' % fingerprint).status_code == 200
    read = [(r['region'], r['operation']) for r in aws.requests()]
    assert ('eu-west-1', 'DescribeKey') in read and ('eu-west-3', 'GetKeyPolicy') in read
    assert aws.writes() == [('eu-west-1', 'CreateKey'), ('eu-west-1', 'ReplicateKey')]  # the emulator only reads


def assert_not_compliant(provider, code, region, text):
    assert provider['drCompliant'] is False, provider
    error = provider['complianceError']
    assert (error['code'], error['region']) == (code, region) and text in error['message'], error


def test_a_single_region_key_is_not_dr_compliant(aws, kms_tenant):
    provider = provider_of(kms_tenant.create(make_key(aws, multi_region=False)))
    assert provider['multiRegion'] is False and provider['replicaKeys'] == []
    assert_not_compliant(provider, 'Encryption-89', 'eu-west-3', 'is not a multi-Region key')


def test_a_key_in_another_region_than_the_tenant_is_not_dr_compliant(aws, kms_tenant):
    provider = provider_of(kms_tenant.create(make_key(aws, region='eu-west-2', dr_region='eu-south-2')))
    assert_not_compliant(provider, 'Encryption-87', 'eu-west-2', "not in the tenant's region eu-west-1")


def test_a_key_without_its_dr_replica_is_not_dr_compliant(aws, kms_tenant):
    provider = provider_of(kms_tenant.create(make_key(aws, dr_region='eu-central-1')))
    assert [r['region'] for r in provider['replicaKeys']] == ['eu-central-1']
    assert_not_compliant(provider, 'Encryption-89', 'eu-west-3', 'has no replica key in the DR region eu-west-3')


def test_a_replica_whose_policy_lacks_qliks_principal_is_not_dr_compliant(aws, kms_tenant):
    arn = make_key(aws)
    replica = arn.replace('eu-west-1', 'eu-west-3')
    aws.client('eu-west-3').put_key_policy(KeyId=replica, PolicyName='default', Policy=policy(qlik=False))
    provider = provider_of(kms_tenant.create(arn))
    # Qlik's own example of complianceError (encryption API reference)
    assert_not_compliant(provider, 'Encryption-88', 'eu-west-3',
                         'The policy of the provided key does not allow the required action [eu-west-3] '
                         '[GenerateDataKey].')


def test_test_reads_the_key_again(aws, kms_tenant):
    arn = make_key(aws)
    fingerprint = provider_of(kms_tenant.create(arn))['arnFingerPrint']
    aws.client('eu-west-1').put_key_policy(KeyId=arn, PolicyName='default',
                                           Policy=policy(actions=['kms:Decrypt', 'kms:DescribeKey']))
    assert kms_tenant.get(ENC + '/' + fingerprint).json()['drCompliant'] is True  # a read does not re-validate
    tested = provider_of(kms_tenant.post(ENC + '/%s/actions/test' % fingerprint))
    assert_not_compliant(tested, 'Encryption-88', 'eu-west-1', '[eu-west-1] [GenerateDataKey]')
    assert kms_tenant.get(ENC + '/' + fingerprint).json()['drCompliant'] is False


def test_a_key_whose_policy_does_not_let_qlik_in_is_refused_at_create(aws, kms_tenant):
    assert_forbidden(kms_tenant.create(make_key(aws, key_policy=policy(qlik=False))))


def test_a_key_that_does_not_exist_in_kms_is_refused(kms_tenant):
    assert_forbidden(kms_tenant.create('arn:aws:kms:eu-west-1:%s:key/mrk-00000000000000000000000000000000' % ACCOUNT_ID))


def test_a_disabled_or_asymmetric_key_is_refused_with_406(aws, kms_tenant):
    arn = make_key(aws)
    aws.client('eu-west-1').disable_key(KeyId=arn.rsplit('/', 1)[1])
    refused = kms_tenant.create(arn)
    assert refused.status_code == 406, refused.text
    assert refused.json()['errors'][0]['title'] == 'Failed to register the provided AWS-KMS key'
    signing = aws.client('eu-west-1').create_key(KeySpec='RSA_2048', KeyUsage='SIGN_VERIFY',
                                                 Policy=policy())['KeyMetadata']['Arn']
    assert kms_tenant.create(signing).status_code == 406


@pytest.mark.emulator(kms_timeout=2.0)
def test_a_kms_that_does_not_answer_is_a_408(emulator, kms_tenant):
    emulator.config.kms_endpoint = 'http://127.0.0.1:9'  # nothing listens on the discard port
    answer = kms_tenant.create('arn:aws:kms:eu-west-1:%s:key/mrk-00000000000000000000000000000000' % ACCOUNT_ID)
    assert answer.status_code == 408 and answer.json()['errors'][0]['code'] == 'Encryption-8'


def test_a_declared_key_wins_over_the_kms(emulator, aws, kms_tenant):
    arn = make_key(aws, multi_region=False)
    emulator.config.key_behaviours[arn] = 'forbidden'
    mark = aws.last_seq()
    assert_forbidden(kms_tenant.create(arn))
    assert aws.requests(since=mark) == []


def test_the_command_line_declares_clients_regions_and_reads_keys_in_kms(tmp_path, aws):
    from tests.integration.test_emulator import _command_line  # pylint: disable=import-outside-toplevel

    keys = tmp_path / 'keys.txt'
    keys.write_text('%s=ok\n' % UNKNOWN)
    proc, text, variables, dummy = _command_line(tmp_path, '--kms-endpoint', aws.url, '--keys-file', str(keys),
                                                 '--client', 'viewer:', '--regions', 'eu,us')
    try:
        assert variables['QLIK_EMULATOR_CLIENT_VIEWER_ID'] == 'emulator-client-viewer'
        assert variables['QLIK_EMULATOR_CLIENT_VIEWER_SECRET'] in text  # printed too, for the one who started it
        assert variables['QLIK_EMULATOR_REGION_US_CLIENT_ID'] == 'emulator-client-us'
        assert variables['QLIK_EMULATOR_REGION_US_REGISTRATION_URL'] != variables['QLIK_REGISTRATION_URL']
        session = requests.Session()
        session.verify = variables['QLIK_CA_PATH']
        session.trust_env = False
        source = variables['QLIK_SOURCE_TENANT_URL']
        token = session.post(source + '/oauth/token', json=dict(
            client_id=variables['QLIK_CLIENT_ID'], client_secret=variables['QLIK_CLIENT_SECRET'],
            grant_type='client_credentials')).json()['access_token']
        session.headers['Authorization'] = 'Bearer ' + token

        def create(arn):
            return session.post(source + ENC, json=dict(name='k', arn=arn, keyprovider='AWS-KMS'))
        assert create(UNKNOWN).status_code == 201  # declared in the keys file
        good = create(make_key(aws))
        assert good.status_code == 201 and good.json()['drCompliant'] is True
        single = create(make_key(aws, multi_region=False)).json()
        assert single['drCompliant'] is False and single['complianceError']['code'] == 'Encryption-89'
        assert_forbidden(create(TYPO))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_migrate_reads_the_key_again_and_refuses_one_qlik_can_no_longer_use(emulator, aws, kms_tenant):
    arn = make_key(aws)
    fingerprint = provider_of(kms_tenant.create(arn))['arnFingerPrint']
    aws.client('eu-west-1').put_key_policy(KeyId=arn, PolicyName='default', Policy=policy(qlik=False))
    refused = kms_tenant.post(ENC + '/%s/actions/migrate' % fingerprint)
    assert refused.status_code == 412 and refused.json()['errors'][0]['code'] == 'Encryption-12'
    assert emulator.source_tenant.migration is None
    assert_forbidden(kms_tenant.post(ENC + '/%s/actions/test' % fingerprint))
