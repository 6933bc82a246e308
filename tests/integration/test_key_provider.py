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
    assert log == [('GET', ENC + '/actions/list', None), ('POST', ENC, 'drop_after'), ('GET', ENC, None)]
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
    assert run.task('417')['status'] == 417
    assert 'Failed to validate AWS-KMS ARN structure' in run.task('417')['msg']
    assert 'client credentials (client_id/client_secret) were rejected' in run.task('401')['msg']
    assert 'the access token was rejected' in run.task('401 token')['msg']
    assert 'wrong-secret-value' not in run.stdout + run.stderr
    assert 'not-a-valid-token' not in run.stdout + run.stderr
    # the only writes are the two refused POSTs (403, 417); nothing was registered
    assert [(m, p) for m, p, b in writes(emulator, mark)] == [('POST', ENC), ('POST', ENC)]
    assert providers(emulator) == []
