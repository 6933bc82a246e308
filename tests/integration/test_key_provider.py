"""qlik_key_provider and qlik_key_provider_info against the emulator, one real play per step."""

from __future__ import annotations

import pytest

from tests.harness.plays import ARN, ARN2, ENC, make_current, providers, task, writes

MODULE = 'qlikcloud.platform.qlik_key_provider'
INFO = 'qlikcloud.platform.qlik_key_provider_info'


@pytest.mark.parametrize('style', [
    pytest.param(dict(), id='array'),
    pytest.param(dict(list_style='wrapped', compliance_style='array'), id='wrapped-list'),
])
def test_lifecycle(request, emulator, ansible, style):
    emulator.config.update(style)
    conn = ansible.connection()
    create = dict(conn, arn=ARN, name='CMK 01', description='first key')

    # check-mode create: changed, nothing written, the provider as it would be
    mark = emulator.last_seq()
    run = ansible.run([task('create', create)], check=True, diff=True)
    result = run.task('create')
    assert run.rc == 0, run.output()
    assert result['changed'] is True
    assert result['key_provider']['arn'] == ARN and result['key_provider']['name'] == 'CMK 01'
    assert result['diff']['before'] == {'state': 'absent'}
    assert result['diff']['after']['state'] == 'present'
    assert writes(emulator, mark) == []
    assert providers(emulator) == []

    # create: exactly one POST with the documented body
    mark = emulator.last_seq()
    run = ansible.run([task('create', create)])
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    posted = dict(arn=ARN, name='CMK 01', keyprovider='AWS-KMS', description='first key')
    assert writes(emulator, mark) == [('POST', ENC, posted)]
    fingerprint = result['key_provider']['arnFingerPrint']
    assert [p['arnFingerPrint'] for p in providers(emulator)] == [fingerprint]
    assert result['key_provider']['current'] is False

    # rerun: ok, zero writes, one token exchange and one list read
    mark = emulator.last_seq()
    run = ansible.run([task('create', create)])
    assert run.rc == 0 and run.task('create')['changed'] is False, run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list')]

    # check-mode rename by fingerprint: diff shown, nothing written
    rename = dict(conn, fingerprint=fingerprint, name='CMK 01 renamed')
    mark = emulator.last_seq()
    run = ansible.run([task('rename', rename)], check=True, diff=True)
    result = run.task('rename')
    assert result['changed'] is True, run.output()
    assert result['diff']['before']['name'] == 'CMK 01'
    assert result['diff']['after']['name'] == 'CMK 01 renamed'
    assert 'CMK 01 renamed' in run.stdout  # the diff is printed
    assert writes(emulator, mark) == []

    # rename: exactly one PATCH that replaces only the name
    mark = emulator.last_seq()
    run = ansible.run([task('rename', rename)])
    assert run.task('rename')['changed'] is True, run.output()
    assert writes(emulator, mark) == [('PATCH', '%s/%s' % (ENC, fingerprint),
                                       [dict(op='replace', path='/name', value='CMK 01 renamed')])]
    assert providers(emulator)[0]['name'] == 'CMK 01 renamed'
    assert providers(emulator)[0]['description'] == 'first key'

    # validate: passes, one POST /actions/test and nothing else written
    mark = emulator.last_seq()
    run = ansible.run([task('validate', dict(conn, arn=ARN, validate=True))])
    result = run.task('validate')
    assert run.rc == 0 and result['changed'] is False, run.output()
    assert result['validation']['arnFingerPrint'] == fingerprint
    assert writes(emulator, mark) == [('POST', '%s/%s/actions/test' % (ENC, fingerprint), None)]

    # validate: the current key is in use and not tested again (one read, nothing written)
    make_current(emulator, fingerprint)
    mark = emulator.last_seq()
    run = ansible.run([task('validate', dict(conn, arn=ARN, validate=True))])
    assert run.rc == 0 and 'validation' not in run.task('validate'), run.output()
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark) if e['path'] != '/oauth/token'] == [
        ('GET', ENC + '/actions/list')]
    make_current(emulator, None)

    # validate: fails with Qlik's reason
    emulator.config.key_behaviours[ARN] = 'invalid'
    run = ansible.run([task('validate', dict(conn, arn=ARN, validate=True))])
    result = run.task('validate')
    assert run.rc != 0
    assert result['msg'].startswith("key provider 'CMK 01 renamed' (%s) did not validate:" % ARN)
    assert '[Encryption-88]' in result['msg'] and 'does not allow the required action' in result['msg']
    emulator.config.key_behaviours.pop(ARN)

    # delete refused while the key is current: no DELETE sent
    make_current(emulator, fingerprint)
    mark = emulator.last_seq()
    run = ansible.run([task('delete', dict(conn, arn=ARN, state='absent'))])
    result = run.task('delete')
    assert run.rc != 0
    assert "is the tenant's current key and cannot be deleted: migrate the tenant to another key first" \
        in result['msg']
    assert writes(emulator, mark) == []

    # delete once the tenant is back on the Qlik key, then rerun absent: ok
    make_current(emulator, None)
    mark = emulator.last_seq()
    run = ansible.run([task('delete', dict(conn, arn=ARN, state='absent'))], diff=True)
    result = run.task('delete')
    assert run.rc == 0 and result['changed'] is True, run.output()
    assert result['key_provider'] == {}
    assert result['diff']['after'] == {'state': 'absent'}
    assert writes(emulator, mark) == [('DELETE', '%s/%s' % (ENC, fingerprint), None)]
    assert providers(emulator) == []
    mark = emulator.last_seq()
    run = ansible.run([task('delete', dict(conn, arn=ARN, state='absent'))])
    assert run.rc == 0 and run.task('delete')['changed'] is False
    assert writes(emulator, mark) == []


def test_info_lists_default_provider_and_current(emulator, ansible):
    conn = ansible.connection()
    ansible.run([task('a', dict(conn, arn=ARN, name='A')), task('b', dict(conn, arn=ARN2, name='B'))])
    fingerprint = [p for p in providers(emulator) if p['arn'] == ARN2][0]['arnFingerPrint']
    make_current(emulator, fingerprint)
    mark = emulator.last_seq()
    run = ansible.run([task('all', conn, module=INFO), task('one', dict(conn, name='A'), module=INFO),
                       task('none', dict(conn, arn=ARN.replace('2a4560', '2a4561')), module=INFO)], check=True)
    assert run.rc == 0, run.output()
    everything = run.task('all')
    assert [p['arn'] for p in everything['key_providers']] == ['#QLIK_MANAGED_KEY_PROVIDER#', ARN, ARN2]
    assert [p['current'] for p in everything['key_providers']] == [False, False, True]
    assert everything['current_key_provider']['arnFingerPrint'] == fingerprint
    assert everything['changed'] is False
    one = run.task('one')
    assert [p['name'] for p in one['key_providers']] == ['A']
    assert one['key_providers'][0]['multiRegion'] is True
    assert one['key_providers'][0]['complianceError'] == dict(code='', region='', message='')
    assert one['current_key_provider']['arn'] == ARN2
    assert run.task('none')['key_providers'] == []
    assert writes(emulator, mark) == []


def test_conflict_on_create_reads_again_and_converges(emulator, ansible):
    """A key registered by someone else between our read and our POST: 409, then one PATCH."""
    conn = ansible.connection()
    tenant = emulator.source_tenant
    original = emulator.model.create_provider

    def racing_create(t, body):
        emulator.model.create_provider = original
        original(t, dict(body, name='registered elsewhere'))
        return original(t, body)  # -> 409

    emulator.model.create_provider = racing_create
    mark = emulator.last_seq()
    run = ansible.run([task('create', dict(conn, arn=ARN, name='mine'))])
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    fingerprint = result['key_provider']['arnFingerPrint']
    assert [(m, p) for m, p, b in writes(emulator, mark)] == [('POST', ENC), ('PATCH', '%s/%s' % (ENC, fingerprint))]
    assert [p['name'] for p in providers(emulator, tenant)] == ['mine']


@pytest.mark.emulator(fault_rate=1.0, fault_kinds=('drop_after',), fault_methods=('POST',), fault_paths=(ENC,),
                      fault_limit=1)
def test_lost_create_answer_is_settled_by_reading_again(emulator, ansible):
    """The POST applied but its answer was lost: the module reads again instead of posting twice."""
    mark = emulator.last_seq()
    run = ansible.run([task('create', dict(ansible.connection(), arn=ARN, name='lost answer'))])
    result = run.task('create')
    assert run.rc == 0 and result['changed'] is True, run.output()
    log = [(e['method'], e['path'], e['fault']) for e in emulator.requests(since=mark) if e['path'] != '/oauth/token']
    # the tenant's record (its region, for the key check) is read before the write, as on every create
    assert log == [('GET', ENC + '/actions/list', None), ('GET', '/api/v1/tenants/me', None),
                   ('POST', ENC, 'drop_after'), ('GET', ENC, None)]
    assert len(providers(emulator)) == 1
    assert result['key_provider']['arnFingerPrint'] == providers(emulator)[0]['arnFingerPrint']


@pytest.mark.parametrize('args,words', [
    (dict(arn='arn:aws:s3:::my-bucket', name='x'), 'arn must be an AWS KMS key ARN'),
    (dict(arn='arn:aws:kms:eu-west-1:1234:key/mrk-1237c011a37e4f067e0987c7612a4560', name='x'),
     "got 'arn:aws:kms:eu-west-1:1234:key/"),
    (dict(arn=ARN, name='  '), 'name must not be empty'),
    (dict(arn=ARN), 'name is required to create the key provider'),
    (dict(fingerprint='0123456789abcdef0123456789abcdef', name='x'),
     'no key provider has fingerprint 0123456789abcdef0123456789abcdef'),
    (dict(fingerprint='not a fingerprint!', state='absent'), 'fingerprint must be a key provider fingerprint'),
    (dict(arn='#QLIK_MANAGED_KEY_PROVIDER#', state='absent'), 'default Qlik-managed key provider cannot be'),
    (dict(name='x'), 'state=present needs arn'),
])
def test_bad_input_fails_clearly_without_writes(emulator, ansible, args, words):
    mark = emulator.last_seq()
    run = ansible.run([task('bad', dict(ansible.connection(), **args))])
    assert run.rc != 0
    assert words in run.task('bad')['msg'], run.task('bad')['msg']
    assert writes(emulator, mark) == []


def test_arn_of_a_provider_named_by_fingerprint_cannot_change(emulator, ansible):
    conn = ansible.connection()
    run = ansible.run([task('create', dict(conn, arn=ARN, name='A'))])
    fingerprint = run.task('create')['key_provider']['arnFingerPrint']
    mark = emulator.last_seq()
    run = ansible.run([task('change', dict(conn, fingerprint=fingerprint, arn=ARN2, name='A'))])
    assert run.rc != 0
    assert 'the ARN of a key provider cannot change' in run.task('change')['msg']
    assert writes(emulator, mark) == []


def test_server_side_errors_are_clear(emulator, ansible):
    conn = ansible.connection()
    emulator.config.key_behaviours[ARN] = 'forbidden'
    emulator.config.key_behaviours[ARN2] = 'malformed'
    mark = emulator.last_seq()
    run = ansible.run([
        task('403', dict(conn, arn=ARN, name='x'), ignore_errors=True),
        task('417', dict(conn, arn=ARN2, name='x'), ignore_errors=True),
        task('401', dict(conn, arn=ARN, name='x', client_secret='wrong-secret-value'), ignore_errors=True),
        task('401 token', dict(ansible.connection(), client_id=None, client_secret=None,
                               access_token='not-a-valid-token', arn=ARN, name='x'), ignore_errors=True),
    ])
    forbidden = run.task('403')
    assert forbidden['status'] == 403
    assert forbidden['msg'].endswith('(trace id %s)' % forbidden['trace_id']) and len(forbidden['trace_id']) == 32
    assert 'POST /api/v1/encryption/keyproviders on' in forbidden['msg']
    assert 'HTTP 403 - [Encryption-3] Unable to access the provided AWS-KMS key' in forbidden['msg']
    # what to check, naming the key: its policy, its replica in Qlik's DR region, its region
    assert forbidden['msg'].startswith('Qlik refused to register key %s: ' % ARN)
    assert ('check in AWS that key %s is a multi-Region key with an enabled replica in eu-west-3' % ARN
            in forbidden['msg'])
    assert 'the key policy of the key and of the replica lets Qlik' in forbidden['msg']
    assert "that eu-west-1 is the tenant's region" in forbidden['msg']
    assert run.task('417')['status'] == 417
    assert 'Failed to validate AWS-KMS ARN structure' in run.task('417')['msg']
    assert 'client credentials (client_id/client_secret) were rejected' in run.task('401')['msg']
    assert 'the access token was rejected' in run.task('401 token')['msg']
    assert 'wrong-secret-value' not in run.stdout + run.stderr
    assert 'not-a-valid-token' not in run.stdout + run.stderr
    # the only writes are the two refused POSTs (403, 417); nothing was registered
    assert [(m, p) for m, p, b in writes(emulator, mark)] == [('POST', ENC), ('POST', ENC)]
    assert providers(emulator) == []


# ------------------------------------------------------------------ the collection checks the key before Qlik does
US_ARN = 'arn:aws:kms:us-east-1:111222334455:key/mrk-5a1b2c3d4e5f60718293a4b5c6d7e8f9'
SINGLE_ARN = 'arn:aws:kms:eu-west-1:111222334455:key/1234abcd-12ab-34cd-56ef-1234567890ab'
SINGLE_ARN2 = 'arn:aws:kms:eu-west-1:111222334455:key/5678abcd-12ab-34cd-56ef-1234567890ab'
# key ids as moto makes them: mrk- and a UUID with dashes, and a plain UUID (fact sheet, section 6)
MOTO_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-aa860cf0-ce4b-42e4-b399-27f90d0d3d63'
MOTO_SINGLE_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/aa860cf0-ce4b-42e4-b399-27f90d0d3d63'


def no_post_or_patch(emulator, since):
    return [(e['method'], e['path']) for e in emulator.requests(since=since)
            if e['method'] in ('POST', 'PATCH', 'PUT', 'DELETE') and e['path'] != '/oauth/token']


@pytest.mark.emulator(key_behaviours={US_ARN: 'ok', ARN: 'ok'})
@pytest.mark.parametrize('check', [False, True], ids=['run', 'check-mode'])
def test_a_key_in_another_region_than_the_tenant_is_refused_before_any_write(emulator, ansible, check):
    # the source tenant is in eu-west-1 (its datacenter); its host name (127.0.0.1:port) does not tell
    mark = emulator.last_seq()
    run = ansible.run([task('create', dict(ansible.connection(), arn=US_ARN, name='wrong region'))], check=check)
    result = run.task('create')
    assert run.rc != 0 and result.get('changed') is False, run.output()
    assert result['msg'].startswith('arn %s is a key in us-east-1, but tenant %s is in eu-west-1 (its datacenter' % (
        US_ARN, emulator.source_tenant_url.split('://')[1])), result['msg']
    assert 'nothing was written' in result['msg']
    assert no_post_or_patch(emulator, mark) == []
    # the one read beyond the list: the tenant's own record, which says its region
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark) if e['path'] != '/oauth/token'] == [
        ('GET', ENC + '/actions/list'), ('GET', '/api/v1/tenants/me')]
    assert providers(emulator) == []

    # the same key goes to a tenant in us-east-1, and an eu-west-1 key is refused there
    tenant = emulator.add_tenant(name='us-tenant', datacenter='us-east-1')
    conn = ansible.connection(tenant)
    mark = emulator.last_seq()
    run = ansible.run([task('eu key', dict(conn, arn=ARN, name='eu key'), ignore_errors=True),
                       task('us key', dict(conn, arn=US_ARN, name='us key'))], check=check)
    assert 'is a key in eu-west-1, but tenant' in run.task('eu key')['msg']
    assert 'is in us-east-1' in run.task('eu key')['msg']
    assert run.rc == 0 and run.task('us key')['changed'] is True, run.output()
    assert not run.task('us key').get('warnings')
    assert no_post_or_patch(emulator, mark) == ([] if check else [('POST', ENC)])


@pytest.mark.emulator(key_behaviours={SINGLE_ARN: 'ok', SINGLE_ARN2: 'ok'})
def test_a_single_region_key_is_warned_about_or_refused_with_require_dr_compliant(emulator, ansible):
    conn = ansible.connection()
    mark = emulator.last_seq()
    run = ansible.run([task('strict', dict(conn, arn=SINGLE_ARN2, name='single', require_dr_compliant=True),
                            ignore_errors=True),
                       task('lenient', dict(conn, arn=SINGLE_ARN, name='single'))])
    strict = run.task('strict')
    assert run.status('strict') == 'failed' and strict['changed'] is False, run.output()
    assert strict['msg'] == (
        "arn %s is a single-Region key (its key id is not mrk-...), but Qlik's table lists eu-west-3 as the DR region "
        'of eu-west-1: Qlik will find it not DR-compliant; use a multi-Region key with a replica in eu-west-3 '
        '(qlikcloud.platform.qlik_aws_kms_key makes one); refused because require_dr_compliant is true, nothing was '
        'written' % SINGLE_ARN2)
    lenient = run.task('lenient')
    assert run.rc == 0 and lenient['changed'] is True, run.output()
    assert [w for w in lenient['warnings'] if 'is a single-Region key' in w and SINGLE_ARN in w], lenient['warnings']
    assert 'is a single-Region key' in run.stdout + run.stderr   # shown to the person running the play
    # only the lenient task wrote: one POST of the single-Region key
    assert [(m, p, b['arn']) for m, p, b in writes(emulator, mark)] == [('POST', ENC, SINGLE_ARN)]
    assert [p['arn'] for p in providers(emulator)] == [SINGLE_ARN]

    # a re-run changes nothing and sends nothing but the list: no check, no warning, no tenant read
    mark = emulator.last_seq()
    run = ansible.run([task('lenient', dict(conn, arn=SINGLE_ARN, name='single', require_dr_compliant=True))])
    assert run.rc == 0 and run.task('lenient')['changed'] is False, run.output()
    assert not run.task('lenient').get('warnings')
    assert [(e['method'], e['path']) for e in emulator.requests(since=mark)] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list')]


@pytest.mark.emulator(key_behaviours={MOTO_ARN: 'ok', MOTO_SINGLE_ARN: 'ok'})
def test_key_ids_as_moto_makes_them_are_accepted(emulator, ansible):
    conn = ansible.connection()
    run = ansible.run([task('mrk', dict(conn, arn=MOTO_ARN, name='moto mrk', validate=True)),
                       task('single', dict(conn, arn=MOTO_SINGLE_ARN, name='moto single'))])
    assert run.rc == 0, run.output()
    assert run.task('mrk')['changed'] is True and run.task('mrk')['key_provider']['arn'] == MOTO_ARN
    assert not run.task('mrk').get('warnings')   # mrk-<uuid> is a multi-Region key
    assert run.task('mrk')['dr_compliant'] is True
    assert any('is a single-Region key' in w for w in run.task('single')['warnings'])
    assert sorted(p['arn'] for p in providers(emulator)) == sorted([MOTO_ARN, MOTO_SINGLE_ARN])
