"""qlik_aws_kms_key against a moto server (tests/harness/moto.py), with real ansible-playbook runs.

Where moto differs from AWS (fact sheet /work/shared/api-docs/aws-kms-for-qlik-cmk.md, section 6), the tests say
so beside the assertion it affects:
- ReplicateKey ignores Policy, Description and Tags (the replica is a copy of the primary, without tags): the module
  reads the replica back and puts right what differs, so on moto a new replica costs a TagResource that AWS does
  not need (``REPLICA_FIXUP``).
- MultiRegionKeyType of the primary flips to REPLICA once the replica is described: no test reads it; the module
  and the harness's ``kms_state`` compare the primary's ARN instead.
- An alias made in the primary region also resolves in the replica's region (moto 5.2; not 5.0): no test asserts
  that the DR region has no alias, and the one test that needs an alias there makes it only where moto lacks it.
- EnableKey, CancelKeyDeletion and ScheduleKeyDeletion answer 500 when given an ARN: the module sends key ids.
- Key policies are not enforced, so Qlik's access is asserted on the policy documents, not by calling KMS as Qlik.
- Multi-Region key ids are ``mrk-`` + a UUID with dashes (AWS: 32 hex digits): assertions use moto's ARNs as given.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.harness.plays import task
from tests.harness.playbook import Ansible

MODULE = 'qlikcloud.platform.qlik_aws_kms_key'
QLIK_ROLE = 'arn:aws:iam::338144066592:role/byok-encryption-proxy-role'
QLIK_SID = 'Enable KMS Key policy for proxy account'
QLIK_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*']
ROOT = 'arn:aws:iam::123456789012:root'
# moto only: the tags ReplicateKey was given are put on the new replica afterwards (AWS applies them itself)
REPLICA_FIXUP = [('eu-west-3', 'TagResource')]


@pytest.fixture
def playbook(aws, collections_path, tmp_path):
    """``playbook(tasks, **run_options)``: ansible-playbook with the moto server's environment (fake keys, empty
    AWS files); each task gets ``aws_endpoint_url`` unless it sets its own."""
    runner = Ansible(None, collections_path, str(tmp_path))

    def run(tasks, env=None, **options):
        for item in tasks:
            if MODULE in item:
                item[MODULE] = dict(dict(aws_endpoint_url=aws.url), **item[MODULE])
        return runner.run(tasks, env=dict(aws.env(), **(env or {})), **options)
    return run


def key_task(name, register=None, **args):
    extra = dict(register=register) if register else {}
    return task(name, dict(dict(region='eu-west-1', alias='qlik-acme'), **args), module=MODULE, **extra)


def policy(aws, region, key_id):
    return json.loads(aws.client(region).get_key_policy(KeyId=key_id, PolicyName='default')['Policy'])


def statement(document, sid):
    found = [s for s in document['Statement'] if s.get('Sid') == sid]
    assert len(found) == 1, document
    return found[0]


def tags(aws, region, key_id):
    return dict((t['TagKey'], t['TagValue']) for t in aws.client(region).list_resource_tags(KeyId=key_id)['Tags'])


def make_key(aws, alias='qlik-acme', region='eu-west-1', dr_region='eu-west-3', multi_region=True):
    """A key made directly in moto with AWS's default policy (and a replica in ``dr_region``); its key id."""
    client = aws.client(region)
    key_id = client.create_key(MultiRegion=multi_region, Description='by hand')['KeyMetadata']['KeyId']
    client.create_alias(AliasName='alias/' + alias, TargetKeyId=key_id)
    if dr_region:
        client.replicate_key(KeyId=key_id, ReplicaRegion=dr_region)
    return key_id


def assert_fit_for_qlik(aws, key_id, regions):
    for region in regions:
        document = policy(aws, region, key_id)
        qlik = statement(document, QLIK_SID)
        assert (qlik['Effect'], qlik['Principal'], sorted(qlik['Action']), qlik['Resource']) == (
            'Allow', {'AWS': [QLIK_ROLE]}, QLIK_ACTIONS, '*')
        admin = statement(document, 'Enable IAM User Permissions')
        assert (admin['Principal'], admin['Action']) == ({'AWS': ROOT}, 'kms:*')
        metadata = aws.client(region).describe_key(KeyId=key_id)['KeyMetadata']
        assert (metadata['KeyState'], metadata['KeySpec'], metadata['MultiRegion']) == (
            'Enabled', 'SYMMETRIC_DEFAULT', True)


def test_create_with_replica_and_policy_then_nothing_to_do(aws, playbook):
    args = dict(description='Qlik tenant acme', tags=dict(owner='platform', cost=42), enable_key_rotation=True)
    before = aws.kms_state()
    mark = aws.last_seq()
    run = playbook([key_task('plan', **args)], check=True, diff=True)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['arn'] is None and plan['dr_compliant'] is False
    assert [(c['region'], c['operation']) for c in plan['calls']] == [
        ('eu-west-1', 'CreateKey'), ('eu-west-1', 'CreateAlias'), ('eu-west-1', 'EnableKeyRotation'),
        ('eu-west-1', 'ReplicateKey')]
    assert plan['diff']['before'] == {'state': 'absent'}
    after = plan['diff']['after']
    assert statement(after['policy'], QLIK_SID)['Principal'] == {'AWS': [QLIK_ROLE]} and after['arn'] is None
    assert after['replicas']['eu-west-3']['policy'] == after['policy'] and after['replicas']['eu-west-3']['arn'] is None
    assert after['replicas']['eu-west-3']['tags'] == dict(owner='platform', cost='42')
    assert aws.writes(mark) == [] and aws.kms_state() == before

    mark = aws.last_seq()
    run = playbook([key_task('create', **args), key_task('again', **args)], diff=True)
    assert run.rc == 0, run.output()
    made, again = run.task('create'), run.task('again')
    assert made['changed'] is True and made['dr_compliant'] is True and made['missing'] == []
    assert again['changed'] is False and again['calls'] == [] and again['dr_compliant'] is True
    assert aws.writes(mark) == [('eu-west-1', 'CreateKey'), ('eu-west-1', 'CreateAlias'),
                                ('eu-west-1', 'EnableKeyRotation'), ('eu-west-1', 'ReplicateKey')] + REPLICA_FIXUP
    create = [r for r in aws.requests(mark) if r['operation'] == 'CreateKey'][0]['body']
    assert (create['MultiRegion'], create['KeySpec'], create['KeyUsage'], create['Description']) == (
        True, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Qlik tenant acme')
    assert [r['service'] for r in aws.requests(mark) if r['operation'] == 'GetCallerIdentity'] == ['sts']

    key_id = made['key_id']
    client = aws.client('eu-west-1')
    assert client.describe_key(KeyId='alias/qlik-acme')['KeyMetadata']['Arn'] == made['arn']
    assert made['arn'] == 'arn:aws:kms:eu-west-1:123456789012:key/' + key_id and key_id.startswith('mrk-')
    assert made['replica_arn'] == 'arn:aws:kms:eu-west-3:123456789012:key/' + key_id
    assert made['replicas'] == [dict(region='eu-west-3', arn=made['replica_arn'])] and made['dr_region'] == 'eu-west-3'
    # the primary's ReplicaKeys (not MultiRegionKeyType, which moto rewrites) says where the replica is
    replicas = client.describe_key(KeyId=key_id)['KeyMetadata']['MultiRegionConfiguration']['ReplicaKeys']
    assert replicas == [dict(Arn=made['replica_arn'], Region='eu-west-3')]
    assert_fit_for_qlik(aws, key_id, ['eu-west-1', 'eu-west-3'])
    for region in ('eu-west-1', 'eu-west-3'):
        assert tags(aws, region, key_id) == dict(owner='platform', cost='42')
        assert aws.client(region).describe_key(KeyId=key_id)['KeyMetadata']['Description'] == 'Qlik tenant acme'
    assert client.get_key_rotation_status(KeyId=key_id)['KeyRotationEnabled'] is True
    assert made['key']['replicas']['eu-west-3']['policy'] == policy(aws, 'eu-west-3', key_id)
    assert 'diff' not in again or again['diff']['before'] == again['diff']['after']


def test_policy_drift_shown_in_check_mode_then_repaired(aws, playbook):
    key_id = make_key(aws)
    aws.client('eu-west-1').tag_resource(KeyId=key_id, Tags=[dict(TagKey='stale', TagValue='x')])
    args = dict(tags=dict(owner='platform'))
    run = playbook([key_task('converge', **args)])
    assert run.rc == 0 and run.task('converge')['dr_compliant'] is True, run.output()

    # drift: the replica's Qlik statement loses GenerateDataKey (Qlik's Encryption-88), the primary loses its
    # administration statement, and someone adds a statement of their own that must be kept
    own = dict(Sid='Auditors', Effect='Allow', Principal=dict(AWS='arn:aws:iam::123456789012:role/audit'),
               Action='kms:DescribeKey', Resource='*')
    replica_policy = policy(aws, 'eu-west-3', key_id)
    statement(replica_policy, QLIK_SID)['Action'] = ['kms:Decrypt', 'kms:Encrypt', 'kms:DescribeKey']
    replica_policy['Statement'].append(own)
    aws.client('eu-west-3').put_key_policy(KeyId=key_id, PolicyName='default', Policy=json.dumps(replica_policy))
    primary_policy = policy(aws, 'eu-west-1', key_id)
    primary_policy['Statement'] = [s for s in primary_policy['Statement'] if s.get('Sid') == QLIK_SID]
    aws.client('eu-west-1').put_key_policy(KeyId=key_id, PolicyName='default', Policy=json.dumps(primary_policy))

    before = aws.kms_state()
    mark = aws.last_seq()
    run = playbook([key_task('plan', **args)], check=True, diff=True)
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['dr_compliant'] is False
    assert plan['missing'] == ['the key policy of replica arn:aws:kms:eu-west-3:123456789012:key/%s does not let %s '
                               'use kms:GenerateDataKey*' % (key_id, QLIK_ROLE)]
    assert [(c['region'], c['operation']) for c in plan['calls']] == [
        ('eu-west-1', 'PutKeyPolicy'), ('eu-west-3', 'PutKeyPolicy')]
    after = plan['diff']['after']
    assert 'Enable IAM User Permissions' not in json.dumps(plan['diff']['before']['policy'])
    assert 'Enable IAM User Permissions' in json.dumps(after['policy'])
    assert sorted(statement(after['replicas']['eu-west-3']['policy'], QLIK_SID)['Action']) == QLIK_ACTIONS
    assert own in after['replicas']['eu-west-3']['policy']['Statement']
    printed = [line.replace(' ', '') for line in run.stdout.splitlines()]   # what --diff prints
    assert '+"kms:GenerateDataKey*"' in printed and '+"Sid":"EnableIAMUserPermissions"' in printed
    assert '-"Sid":"Auditors"' not in printed and '+"Sid":"Auditors"' not in printed   # kept in its place
    assert aws.writes(mark) == [] and aws.kms_state() == before

    mark = aws.last_seq()
    run = playbook([key_task('repair', **args), key_task('again', **args)], diff=True)
    assert run.rc == 0, run.output()
    assert run.task('repair')['changed'] is True and run.task('repair')['dr_compliant'] is True
    assert run.task('again')['changed'] is False
    assert aws.writes(mark) == [('eu-west-1', 'PutKeyPolicy'), ('eu-west-3', 'PutKeyPolicy')]
    assert_fit_for_qlik(aws, key_id, ['eu-west-1', 'eu-west-3'])
    assert own in policy(aws, 'eu-west-3', key_id)['Statement']


def test_converges_a_key_made_by_hand_and_brings_back_a_deleted_one(aws, playbook):
    """A key made without the module (AWS's default policy, a replica without tags, an extra tag) is converged
    with exactly the writes it needs; a disabled key pending deletion is brought back."""
    key_id = make_key(aws)
    aws.client('eu-west-1').tag_resource(KeyId=key_id, Tags=[dict(TagKey='stale', TagValue='x')])
    mark = aws.last_seq()
    run = playbook([key_task('adopt', tags=dict(owner='platform'), description='Qlik tenant acme')])
    assert run.rc == 0 and run.task('adopt')['dr_compliant'] is True, run.output()
    assert aws.writes(mark) == [
        ('eu-west-1', 'UpdateKeyDescription'), ('eu-west-1', 'UntagResource'), ('eu-west-1', 'TagResource'),
        ('eu-west-1', 'PutKeyPolicy'), ('eu-west-3', 'UpdateKeyDescription'), ('eu-west-3', 'TagResource'),
        ('eu-west-3', 'PutKeyPolicy')]
    assert tags(aws, 'eu-west-1', key_id) == tags(aws, 'eu-west-3', key_id) == dict(owner='platform')
    assert_fit_for_qlik(aws, key_id, ['eu-west-1', 'eu-west-3'])

    aws.client('eu-west-3').schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    aws.client('eu-west-1').disable_key(KeyId=key_id)
    mark = aws.last_seq()
    run = playbook([dict(key_task('plan'), check_mode=True), key_task('back'), key_task('again')])
    assert run.rc == 0, run.output()
    plan = run.task('plan')
    assert plan['changed'] is True and plan['dr_compliant'] is False
    assert sorted(plan['missing']) == sorted([
        'arn:aws:kms:eu-west-1:123456789012:key/%s is Disabled, not Enabled' % key_id,
        'replica arn:aws:kms:eu-west-3:123456789012:key/%s is PendingDeletion, not Enabled' % key_id])
    assert run.task('back')['changed'] is True and run.task('back')['dr_compliant'] is True
    assert run.task('again')['changed'] is False
    assert aws.writes(mark) == [('eu-west-1', 'EnableKey'), ('eu-west-3', 'CancelKeyDeletion'),
                                ('eu-west-3', 'EnableKey')]
    assert_fit_for_qlik(aws, key_id, ['eu-west-1', 'eu-west-3'])


def test_region_without_dr_needs_no_replica_and_unknown_region_takes_dr_region(aws, playbook):
    mark = aws.last_seq()
    run = playbook([key_task('sweden', region='eu-north-1', alias='qlik-se'),
                    key_task('unlisted', region='us-west-2', dr_region='us-west-1', alias='qlik-other')])
    assert run.rc == 0, run.output()
    sweden, other = run.task('sweden'), run.task('unlisted')
    assert (sweden['dr_region'], sweden['replica_arn'], sweden['replicas'], sweden['dr_compliant']) == (
        None, None, [], True)
    assert other['replica_arn'].startswith('arn:aws:kms:us-west-1:') and other['dr_compliant'] is True
    assert aws.writes(mark) == [('eu-north-1', 'CreateKey'), ('eu-north-1', 'CreateAlias'),
                                ('us-west-2', 'CreateKey'), ('us-west-2', 'CreateAlias'), ('us-west-2', 'ReplicateKey')]
    assert_fit_for_qlik(aws, sweden['key_id'], ['eu-north-1'])
    assert_fit_for_qlik(aws, other['key_id'], ['us-west-2', 'us-west-1'])


def test_absent_schedules_deletion_of_replica_and_primary(aws, playbook):
    key_id = make_key(aws)
    before = aws.kms_state()
    mark = aws.last_seq()
    run = playbook([key_task('plan', state='absent', pending_window_days=7)], check=True, diff=True)
    assert run.rc == 0 and run.task('plan')['changed'] is True, run.output()
    assert [(c['region'], c['operation']) for c in run.task('plan')['calls']] == [
        ('eu-west-3', 'ScheduleKeyDeletion'), ('eu-west-1', 'ScheduleKeyDeletion')]
    assert run.task('plan')['diff']['after'] == {'state': 'absent'}
    assert aws.writes(mark) == [] and aws.kms_state() == before

    mark = aws.last_seq()
    run = playbook([key_task('delete', state='absent', pending_window_days=7),
                    key_task('again', state='absent', pending_window_days=7)])
    assert run.rc == 0, run.output()
    assert run.task('delete')['changed'] is True and run.task('again')['changed'] is False
    assert run.task('delete')['arn'] == 'arn:aws:kms:eu-west-1:123456789012:key/' + key_id
    deletions = [r for r in aws.requests(mark) if r['operation'] == 'ScheduleKeyDeletion']
    assert [(r['region'], r['body']) for r in deletions] == [
        ('eu-west-3', dict(KeyId=key_id, PendingWindowInDays=7)), ('eu-west-1', dict(KeyId=key_id, PendingWindowInDays=7))]
    assert aws.writes(mark) == [('eu-west-3', 'ScheduleKeyDeletion'), ('eu-west-1', 'ScheduleKeyDeletion')]
    for region in ('eu-west-1', 'eu-west-3'):
        assert aws.client(region).describe_key(KeyId=key_id)['KeyMetadata']['KeyState'] == 'PendingDeletion'
    assert run.task('again')['key']['key_state'] == 'PendingDeletion'

    run = playbook([key_task('nothing', alias='qlik-never', state='absent')])
    assert run.rc == 0 and run.task('nothing')['changed'] is False and run.task('nothing')['arn'] is None


def test_bad_input_is_refused_before_any_aws_call(aws, playbook):
    cases = [
        (dict(region='ca-central-1'), 'region ca-central-1 is not in the table of Qlik Cloud regions'),
        (dict(dr_region='eu-west-2'), "dr_region is eu-west-2, but Qlik's DR (backup) region for eu-west-1 is eu-west-3"),
        (dict(region='eu-north-1', dr_region='eu-north-1'), 'dr_region must differ from region (eu-north-1)'),
        (dict(region='EU-WEST-1'), "region must be an AWS region code such as eu-west-1, got 'EU-WEST-1'"),
        (dict(alias='alias/aws/s3'), "alias must be a KMS alias name"),
        (dict(alias='has space'), "alias must be a KMS alias name"),
        (dict(pending_window_days=3, state='absent'), 'pending_window_days must be between 7 and 30'),
        (dict(qlik_principal=['qlik']), "qlik_principal must hold IAM ARNs"),
        (dict(qlik_actions=['Decrypt']), "qlik_actions must hold KMS actions such as kms:Decrypt, got 'Decrypt'"),
        (dict(tags={'aws:owner': 'x'}), 'tags keys must be non-empty strings not starting with aws:'),
        (dict(aws_endpoint_url='ftp://127.0.0.1'), 'aws_endpoint_url must be an http(s) URL'),
        (dict(aws_profile='ops', aws_access_key_id='AKIDEXAMPLE00000001', aws_secret_access_key='wJalrXUtnFEMIbPxRfiCY'),
         'aws_profile (or AWS_PROFILE) and aws_access_key_id/aws_secret_access_key'),
        (dict(aws_session_token='FwoGZXIvYXdzEJr', aws_access_key_id=None, aws_secret_access_key=None),
         'aws_session_token needs aws_access_key_id and aws_secret_access_key'),
        (dict(state='gone'), 'value of state must be one of: present, absent, got: gone'),
    ]
    tasks = [dict(key_task('case %d' % n, **args), ignore_errors=True) for n, (args, dummy) in enumerate(cases)]
    tasks.append(dict(key_task('half a key pair', aws_access_key_id='AKIDONLY', aws_secret_access_key=''),
                      ignore_errors=True))
    mark = aws.last_seq()
    run = playbook(tasks)
    assert run.rc == 0, run.output()
    for n, (args, message) in enumerate(cases):
        result = run.task('case %d' % n)
        assert run.status('case %d' % n) == 'failed' and message in result['msg'], (args, result.get('msg'))
    assert run.task('half a key pair')['msg'].startswith(
        'aws_access_key_id and aws_secret_access_key go together')
    assert aws.requests(mark) == []   # not even a read


def test_key_qlik_cannot_use_is_refused_before_any_write(aws, playbook):
    make_key(aws, alias='single', dr_region=None, multi_region=False)
    replica_of = make_key(aws, alias='elsewhere', region='eu-west-3', dr_region='eu-west-1')
    # the same alias on the replica in eu-west-1, as AWS needs it made there (aliases are regional). moto 5.2 already
    # resolves the primary's alias in the replica's region and refuses a second one; moto 5.0 does neither.
    client = aws.client('eu-west-1')
    try:
        client.describe_key(KeyId='alias/elsewhere')
    except client.exceptions.NotFoundException:
        client.create_alias(AliasName='alias/elsewhere', TargetKeyId=replica_of)
    mark = aws.last_seq()
    run = playbook([dict(key_task('single', alias='single'), ignore_errors=True),
                    dict(key_task('replica', alias='elsewhere'), ignore_errors=True)])
    assert run.rc == 0, run.output()
    single = run.task('single')['msg']
    assert single.startswith('alias/single in eu-west-1 (arn:aws:kms:eu-west-1:123456789012:key/')
    assert 'is a single-Region key, and a key cannot become multi-Region' in single
    assert run.task('replica')['msg'] == (
        "alias/elsewhere in eu-west-1 (arn:aws:kms:eu-west-1:123456789012:key/%s) is a replica whose primary is in "
        "eu-west-3 (arn:aws:kms:eu-west-3:123456789012:key/%s); Qlik needs the primary key in the tenant's region"
        % (replica_of, replica_of))
    assert aws.writes(mark) == []


def test_credentials_as_options_never_appear_in_output(aws, playbook):
    secret, token = 'QlikTestSecret/0123456789abcdefghij', 'QlikTestSessionToken0123456789'
    args = dict(aws_access_key_id='AKIAQLIKTESTKEY00001', aws_secret_access_key=secret, aws_session_token=token)
    mark = aws.last_seq()
    run = playbook([key_task('create', **args)], env=dict(AWS_ACCESS_KEY_ID='', AWS_SECRET_ACCESS_KEY=''),
                   diff=True, extra_args=['-v'])
    assert run.rc == 0 and run.task('create')['dr_compliant'] is True, run.output()
    assert {r['region'] for r in aws.requests(mark)} == {'eu-west-1', 'eu-west-3'}
    shown = run.stdout + run.stderr + json.dumps(run.results)
    for value in (secret, token, 'AKIAQLIKTESTKEY00001'):
        assert value not in shown


def test_without_boto3_the_error_names_the_python_and_the_requirement(aws, playbook, tmp_path):
    # the Python that runs ansible-playbook cannot import boto3: a package of that name that fails to import
    # comes first on its path
    hidden = tmp_path / 'no-boto3'
    (hidden / 'boto3').mkdir(parents=True)
    (hidden / 'boto3' / '__init__.py').write_text('raise ImportError("No module named boto3 (hidden by the test)")\n')
    mark = aws.last_seq()
    run = playbook([dict(key_task('key'), ignore_errors=True)],
                   env=dict(PYTHONPATH=os.pathsep.join([str(hidden), os.environ.get('PYTHONPATH', '')])))
    assert run.rc == 0, run.output()
    message = run.task('key')['msg']
    assert message == (
        "qlikcloud.platform runs its modules on the Ansible controller and needs the Python library 'boto3' there, "
        "importable by the Python that runs ansible-playbook (%s): %s -m pip install 'boto3>=1.34.0'" % (
            sys.executable, sys.executable))
    assert aws.requests(mark) == []
