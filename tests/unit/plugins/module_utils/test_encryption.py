"""Unit tests of the encryption helpers: every documented answer shape, ARNs, and the polling schedule."""

from __future__ import annotations

import pytest

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption, migration
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

PROVIDER = {'arn': 'a', 'name': 'n'}


def test_lists_come_bare_or_wrapped_in_errors():
    assert encryption.unwrap_list([PROVIDER]) == [PROVIDER]
    assert encryption.unwrap_list({'errors': [PROVIDER]}) == [PROVIDER]
    with pytest.raises(QlikAPIError):
        encryption.unwrap_list({'message': 'nope'})


def test_migration_records_in_both_documented_shapes_read_the_same():
    reference = {'id': 'm1', 'migratingToFingerprint': 'fp', 'state': 'New'}
    tutorial = {'migrationId': 'm1', 'migratingToFingerPrint': 'fp', 'state': 'New'}
    assert encryption.normalize_migration(reference) == reference
    assert encryption.normalize_migration(tutorial) == reference
    assert encryption.normalize_migration(None) == {}


def test_current_is_an_explicit_boolean():
    assert encryption.normalize_provider({'arn': 'a'})['current'] is False
    assert encryption.normalize_provider({'arn': 'a', 'current': True})['current'] is True


@pytest.mark.parametrize('arn', [
    'arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37erft67ei987c7612q456',  # the reference's own example
    'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef',
])
def test_valid_arns(arn):
    assert encryption.validate_arn(arn) == arn


@pytest.mark.parametrize('arn', [
    'arn:aws:s3:::bucket', 'arn:aws:kms:eu-west-1:1234:key/mrk-0123456789abcdef0123456789abcdef',
    'arn:aws:kms:eu-west-1:111122223333:alias/key', 'arn:aws:kms:eu-west-1:111122223333:key/nope', '',
])
def test_invalid_arns_name_the_option_and_value(arn):
    with pytest.raises(ValueError) as info:
        encryption.validate_arn(arn, option='arn')
    assert str(info.value).startswith('arn must be an AWS KMS key ARN') and repr(arn) in str(info.value)


def test_find_provider_by_arn_then_fingerprint_and_ambiguous_names():
    providers = [{'arn': 'a1', 'arnFingerPrint': 'f1', 'name': 'x'}, {'arn': 'a2', 'arnFingerPrint': 'f2', 'name': 'x'}]
    assert encryption.find_provider(providers, arn='a2')['arnFingerPrint'] == 'f2'
    assert encryption.find_provider(providers, fingerprint='f1')['arn'] == 'a1'
    assert encryption.find_provider(providers, arn='zz') is None
    with pytest.raises(ValueError):
        encryption.find_provider(providers, name='x')


def test_heads_to_matches_fingerprint_arn_or_the_qlik_key():
    target = {'arn': 'a1', 'arnFingerPrint': 'f1'}
    qlik = {'arn': encryption.QLIK_ARN, 'keyprovider': 'Qlik', 'arnFingerPrint': 't', 'tenantId': 't'}
    assert migration.heads_to({'migratingToFingerprint': 'f1'}, target)
    assert migration.heads_to({'migratingTo': 'a1'}, target)
    assert not migration.heads_to({'migratingToFingerprint': 'f2', 'migratingTo': 'a2'}, target)
    assert migration.heads_to({'migratingTo': encryption.QLIK_ARN}, qlik)


def test_polling_starts_fast_backs_off_and_aims_at_the_expected_end():
    # no progress information: 0.5 s, growing by 1.5x, capped at 15 s
    assert [round(migration._interval(n, 0, 0, 1.0), 3) for n in range(3)] == [0.5, 0.75, 1.125]
    assert migration._interval(20, 0, 0, 100.0) == migration.POLL_MAX
    # 80% done after 4 s from 0%: about 1 s left, so the next poll is in 1 s, not 2.5 s
    assert migration._interval(4, 0, 80, 4.0) == pytest.approx(1.0)
    # nearly done: never below the floor
    assert migration._interval(4, 0, 99.9, 4.0) == migration.POLL_MIN


# ------------------------------------------------------------------------------- issue 12 defects
@pytest.mark.parametrize('value', ['%s\n', ' %s ', '\t%s\r\n'])
def test_arns_are_stripped_of_surrounding_whitespace(value):
    arn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    assert encryption.validate_arn(value % arn) == arn


def test_an_arn_with_whitespace_inside_or_a_newline_before_the_end_is_refused():
    arn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    for value in (arn[:20] + ' ' + arn[20:], arn + '\nextra', arn[:-1] + '\n' + arn[-1]):
        with pytest.raises(ValueError):
            encryption.validate_arn(value)


def test_a_list_of_qlik_error_objects_is_an_error_not_an_empty_list():
    errors = {'errors': [{'code': 'HTTP-500', 'title': 'Internal Server Error'}], 'traceId': 't-1'}
    with pytest.raises(QlikAPIError) as info:
        encryption.unwrap_list(errors)
    assert 'Qlik error objects instead of a list' in info.value.message
    assert '[HTTP-500] Internal Server Error' in info.value.message
    assert encryption.unwrap_list({'errors': []}) == []


def test_a_missing_description_reads_as_empty():
    assert encryption.normalize_provider({'arn': 'a'})['description'] == ''
    assert encryption.normalize_provider({'arn': 'a', 'description': 'd'})['description'] == 'd'
