"""Unit tests of plugins/module_utils/aws_kms.py: Qlik's DR table, key policies, compliance, the replica wait."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.qlikcloud.platform.plugins.module_utils import aws_kms

ROOT = 'arn:aws:iam::111122223333:root'
QLIK = list(aws_kms.QLIK_PRINCIPALS)
ACTIONS = list(aws_kms.QLIK_ACTIONS)
ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab'
REPLICA_ARN = ARN.replace('eu-west-1', 'eu-west-3')


def default_policy():
    return {'Version': '2012-10-17', 'Id': 'key-default-1', 'Statement': [aws_kms.admin_statement('aws', '111122223333')]}


def fit_policy():
    return aws_kms.wanted_policy(default_policy(), 'aws', '111122223333', QLIK, ACTIONS)


def test_dr_regions_follow_qlik_table_and_refuse_what_qlik_would_not_check():
    assert aws_kms.dr_region_for('eu-west-1') == ('eu-west-3', True)
    assert aws_kms.dr_region_for('eu-north-1') == (None, True)             # Qlik lists no DR region
    assert aws_kms.dr_region_for('eu-north-1', 'eu-west-1') == ('eu-west-1', True)   # an extra replica is allowed
    assert aws_kms.dr_region_for('ca-central-1', 'ca-west-1') == ('ca-west-1', False)
    with pytest.raises(ValueError, match='region ca-central-1 is not in the table'):
        aws_kms.dr_region_for('ca-central-1')
    with pytest.raises(ValueError, match="Qlik's DR \\(backup\\) region for eu-west-1 is eu-west-3"):
        aws_kms.dr_region_for('eu-west-1', 'eu-central-1')
    with pytest.raises(ValueError, match='dr_region must differ'):
        aws_kms.dr_region_for('us-west-2', 'us-west-2')
    assert all(dr is None or aws_kms.REGION.match(dr) for dr in aws_kms.DR_REGIONS.values())


def test_aliases_principals_actions_and_tags_are_checked():
    assert aws_kms.validate_alias('qlik-acme') == aws_kms.validate_alias(' alias/qlik-acme ') == 'alias/qlik-acme'
    for bad in ('', 'alias/', 'alias/aws/ebs', 'a b', None):
        with pytest.raises(ValueError, match='alias must be a KMS alias name'):
            aws_kms.validate_alias(bad)
    assert aws_kms.validate_principals(QLIK + QLIK + ['111122223333']) == ['111122223333'] + QLIK
    with pytest.raises(ValueError, match='at least one'):
        aws_kms.validate_principals([])
    with pytest.raises(ValueError, match='kms:Decrypt'):
        aws_kms.validate_actions(['kms:Decrypt', 'kms decrypt'])
    assert aws_kms.validate_tags({'n': 1, 'empty': None}) == {'n': '1', 'empty': ''}


def test_a_new_key_policy_keeps_the_account_and_grants_qlik():
    wanted = aws_kms.wanted_policy(None, 'aws-cn', '111122223333', QLIK, ACTIONS)
    admin, qlik = wanted['Statement']
    assert admin == aws_kms.admin_statement('aws-cn', '111122223333')
    assert admin['Principal'] == {'AWS': 'arn:aws-cn:iam::111122223333:root'}
    assert qlik == {'Sid': aws_kms.QLIK_SID, 'Effect': 'Allow', 'Principal': {'AWS': QLIK}, 'Action': ACTIONS,
                    'Resource': '*'}


def test_a_policy_that_says_the_same_in_another_form_is_no_change():
    same = copy.deepcopy(fit_policy())
    qlik = same['Statement'][1]
    qlik.update(Principal={'AWS': QLIK[0]}, Action=list(reversed(qlik['Action'])), Resource=['*'])
    same['Statement'][0]['Principal'] = {'AWS': '111122223333'}   # AWS accepts the bare account id
    assert aws_kms.wanted_policy(same, 'aws', '111122223333', QLIK, ACTIONS) is same


def test_drift_is_repaired_in_place_and_other_statements_are_kept():
    own = {'Sid': 'Auditors', 'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::111122223333:role/audit'},
           'Action': 'kms:DescribeKey', 'Resource': '*'}
    drifted = fit_policy()
    qlik = drifted['Statement'][1]
    drifted['Statement'] = [dict(qlik, Action=['kms:Decrypt'], Condition={'Bool': {'aws:SecureTransport': 'true'}}),
                            own, dict(qlik, Action='kms:*')]   # a duplicate Sid, as someone could paste it
    repaired = aws_kms.wanted_policy(drifted, 'aws', '111122223333', QLIK, ACTIONS)
    assert repaired['Statement'] == [aws_kms.admin_statement('aws', '111122223333'),
                                     aws_kms.qlik_statement(QLIK, ACTIONS), own]
    assert repaired['Id'] == 'key-default-1' and drifted['Statement'][1] is own   # the input is not changed


def test_policy_gaps_read_wildcards_denials_and_conditions_as_iam_does():
    assert aws_kms.policy_gaps(fit_policy(), QLIK, ACTIONS) == []
    assert aws_kms.policy_gaps(fit_policy(), QLIK, ['kms:GenerateDataKeyWithoutPlaintext']) == []   # GenerateDataKey*
    everyone = {'Statement': {'Effect': 'Allow', 'Principal': '*', 'Action': 'KMS:*', 'Resource': '*'}}
    assert aws_kms.policy_gaps(everyone, QLIK, ACTIONS) == []
    denied = fit_policy()
    denied['Statement'].append({'Effect': 'Deny', 'Principal': {'AWS': QLIK}, 'Action': 'kms:Encrypt', 'Resource': '*'})
    assert aws_kms.policy_gaps(denied, QLIK, ACTIONS) == [(QLIK[0], 'kms:Encrypt')]
    conditional = {'Statement': [dict(aws_kms.qlik_statement(QLIK, ACTIONS), Condition={'x': {}})]}
    assert len(aws_kms.policy_gaps(conditional, QLIK, ACTIONS)) == 4
    assert aws_kms.policy_gaps(None, QLIK, ['kms:Decrypt']) == [(QLIK[0], 'kms:Decrypt')]


def metadata(arn=ARN, primary=ARN, multi_region=True, **extra):
    out = dict(Arn=arn, KeyId=arn.rpartition('/')[2], KeyState='Enabled', KeySpec='SYMMETRIC_DEFAULT',
               KeyUsage='ENCRYPT_DECRYPT', KeyManager='CUSTOMER', MultiRegion=multi_region,
               # moto writes REPLICA here for the primary too once a replica was described: not read
               MultiRegionConfiguration=dict(MultiRegionKeyType='REPLICA', PrimaryKey=dict(Arn=primary),
                                             ReplicaKeys=[dict(Arn=REPLICA_ARN, Region='eu-west-3')]))
    out.update(extra)
    return out


def record(**fields):
    out = dict(arn=ARN, key_state='Enabled', policy=fit_policy(), metadata=metadata(), replica_region='eu-west-3',
               replica_arn=REPLICA_ARN, replica_key_state='Enabled', replica_policy=fit_policy())
    out.update(fields)
    return out


def test_compliance_says_what_qlik_would_find_missing():
    assert aws_kms.compliance(record(), 'eu-west-1', 'eu-west-3') == (True, [])
    assert aws_kms.compliance(record(replica_region=None), 'eu-west-1', None) == (True, [])   # eu-north-1 style
    ok, missing = aws_kms.compliance(record(replica_region=None, key_state='Disabled'), 'eu-west-1', 'eu-west-3')
    assert not ok and missing == ['%s is Disabled, not Enabled' % ARN,
                                  '%s has no replica in eu-west-3, the DR region Qlik checks for eu-west-1' % ARN]
    broken = fit_policy()
    broken['Statement'][1]['Action'] = ['kms:Decrypt']
    assert aws_kms.compliance(record(replica_policy=broken), 'eu-west-1', 'eu-west-3')[1] == [
        'the key policy of replica %s does not let %s use kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*' % (
            REPLICA_ARN, QLIK[0])]
    assert aws_kms.compliance(None, 'eu-west-1', 'eu-west-3', alias='alias/x') == (
        False, ['no key has alias/x in eu-west-1'])


def test_keys_qlik_cannot_use_are_named_with_the_reason():
    assert aws_kms.unfit(metadata(), 'alias/k', 'eu-west-1') is None
    assert 'single-Region key' in aws_kms.unfit(metadata(multi_region=False), 'alias/k', 'eu-west-1')
    assert 'is a replica whose primary is in' in aws_kms.unfit(metadata(primary=REPLICA_ARN), 'alias/k', 'eu-west-1')
    assert 'not a symmetric' in aws_kms.unfit(metadata(KeySpec='RSA_2048'), 'alias/k', 'eu-west-1')
    assert 'AWS managed key' in aws_kms.unfit(metadata(KeyManager='AWS'), 'alias/k', 'eu-west-1')
    assert aws_kms.is_primary(metadata()) and not aws_kms.is_primary(metadata(primary=REPLICA_ARN))


class FakeAWS:
    """``call`` answers DescribeKey from a script: None (NotFoundException) or a KeyState, one per call."""

    def __init__(self, states):
        self.states = list(states)
        self.calls = 0

    def call(self, region, operation, **kwargs):
        assert operation == 'DescribeKey' and region == 'eu-west-3'
        self.calls += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if state is None:
            raise aws_kms.AWSError('DescribeKey in eu-west-3 failed: NotFoundException: no', code='NotFoundException')
        return dict(KeyMetadata=metadata(arn=REPLICA_ARN, KeyState=state))


def fake_key(states):
    clock = dict(now=0.0)

    def sleep(seconds):
        clock['now'] += seconds

    key = aws_kms.QlikKey(FakeAWS(states), 'eu-west-1', 'eu-west-3', 'alias/k', sleep=sleep, clock=lambda: clock['now'])
    return key, clock


def test_a_new_replica_is_waited_for_until_aws_has_made_it():
    key, clock = fake_key([None, 'Creating', 'Creating', 'Enabled'])
    assert key._settled('eu-west-3', 'mrk-1')['KeyState'] == 'Enabled'   # pylint: disable=protected-access
    assert key.aws.calls == 4 and clock['now'] == 3 * key.SETTLE_POLL


def test_the_wait_for_a_replica_is_bounded():
    key, clock = fake_key(['Creating'])
    assert key._settled('eu-west-3', 'mrk-1')['KeyState'] == 'Creating'   # pylint: disable=protected-access
    assert clock['now'] == key.SETTLE_SECONDS
    key, clock = fake_key([None])
    assert key._settled('eu-west-3', 'mrk-1') is None   # pylint: disable=protected-access


def test_plans_name_every_write_in_order():
    key = aws_kms.QlikKey(None, 'eu-west-1', 'eu-west-3', 'alias/k')
    current = dict(record(), key_id='mrk-1', key_state='PendingDeletion', tags={'old': '1', 'keep': 'a'},
                   replica_key_state='Disabled', replica_tags={})
    changes = dict(key_state='Enabled', tags={'keep': 'b'}, key_rotation=False, replica_key_state='Enabled',
                   replica_tags={'keep': 'b'}, replica_description='d')
    assert [(r, o, a.get('TagKeys') or a.get('Tags')) for r, o, a in key.plan(current, changes)] == [
        ('eu-west-1', 'CancelKeyDeletion', None), ('eu-west-1', 'EnableKey', None),
        ('eu-west-1', 'UntagResource', ['old']), ('eu-west-1', 'TagResource', [dict(TagKey='keep', TagValue='b')]),
        ('eu-west-1', 'DisableKeyRotation', None), ('eu-west-3', 'EnableKey', None),
        ('eu-west-3', 'UpdateKeyDescription', None), ('eu-west-3', 'TagResource', [dict(TagKey='keep', TagValue='b')])]
    assert all(a['KeyId'] == 'mrk-1' for r, o, a in key.plan(current, changes))   # key ids, never ARNs (moto)
