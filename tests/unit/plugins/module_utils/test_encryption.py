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
    'arn:aws:kms:eu-west-1:123456789012:key/mrk-aa860cf0-ce4b-42e4-b399-27f90d0d3d63',  # moto's multi-Region id
    'arn:aws:kms:eu-west-1:123456789012:key/aa860cf0-ce4b-42e4-b399-27f90d0d3d63',  # moto's single-Region id
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


# ------------------------------------------------------------------------------- the key before Qlik sees it
@pytest.mark.parametrize('host,region', [
    ('acme.eu.qlikcloud.com', 'eu-west-1'), ('ACME.US.qlikcloud.com', 'us-east-1'),
    ('acme.de.qlikcloud.com:443', 'eu-central-1'),
    ('acme.uk.qlikcloud.com', 'eu-west-2'), ('acme.jp.qlikcloud.com', 'ap-northeast-1'),
    # ap and sg: paired the other way round by qlik-cli's help than by AWS, so the tenant's record is read
    ('acme.ap.qlikcloud.com', None), ('acme.sg.qlikcloud.com', None),
    ('analytics.example.com', None), ('127.0.0.1:8443', None), ('acme.eu.qlikcloud.com.evil.example', None),
])
def test_the_tenant_region_from_its_host_name_only_where_it_is_not_in_doubt(host, region):
    assert encryption.region_from_host(host) == region


class _Region:
    def __init__(self, region, source='its datacenter'):
        self.answer = (region, source)
        self.client = type('Client', (), {'host': 'acme.example'})()

    def get(self):
        return self.answer


def test_key_region_checks():
    warnings = []
    mrk = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-aa860cf0-ce4b-42e4-b399-27f90d0d3d63'
    single = 'arn:aws:kms:eu-west-1:123456789012:key/aa860cf0-ce4b-42e4-b399-27f90d0d3d63'
    encryption.check_key_region(mrk, _Region('eu-west-1'), warnings.append, require_dr_compliant=True)
    assert warnings == []
    with pytest.raises(ValueError) as info:
        encryption.check_key_region(mrk, _Region('us-east-1'), warnings.append)
    assert 'is a key in eu-west-1, but tenant acme.example is in us-east-1' in str(info.value)
    encryption.check_key_region(single, _Region('eu-west-1'), warnings.append)
    assert len(warnings) == 1 and 'single-Region key' in warnings[0] and 'eu-west-3' in warnings[0]
    with pytest.raises(ValueError):
        encryption.check_key_region(single, _Region('eu-west-1'), warnings.append, require_dr_compliant=True)
    # a region with no DR region in Qlik's table (Sweden) needs no replica: no warning for a single-Region key
    warnings[:] = []
    encryption.check_key_region(single.replace('eu-west-1', 'eu-north-1'), _Region('eu-north-1'), warnings.append,
                                require_dr_compliant=True)
    assert warnings == []
    # the tenant's region unknown: said, and the DR check still made from the key's own region
    encryption.check_key_region(single, _Region(None, 'GET /api/v1/tenants/me failed'), warnings.append)
    assert 'was not checked' in warnings[0] and 'single-Region key' in warnings[1]
