"""The encrypted_tenant role with encrypted_tenant_create_kms_key, end to end against a moto server and the emulator:
the key made in AWS first, a new tenant created in its region and put on it, a re-run that changes nothing in
either cloud.

moto's divergences that matter here (fact sheet /work/shared/api-docs/aws-kms-for-qlik-cmk.md, section 6): its
multi-Region key ids are ``mrk-`` and a UUID with dashes (the collection accepts them); its replica is a copy of
the primary until the module puts it right (first run only).
"""

from __future__ import annotations

from tests.harness.plays import REPORT_TASK, create_vars, role_facts, role_play, role_step, writes


def role_vars(emulator, aws, **extra):
    variables = create_vars(emulator, name='acme-aws')
    del variables['encrypted_tenant_key']   # the role sets it to the ARN of the key it ensures
    variables.update(encrypted_tenant_create_kms_key=True, encrypted_tenant_datacenter='eu-west-1',
                     encrypted_tenant_kms_key_name='CMK acme-aws', encrypted_tenant_aws_endpoint_url=aws.url)
    variables.update(extra)
    return variables


def test_the_role_makes_the_aws_key_then_puts_a_new_tenant_on_it(emulator, ansible, aws):
    emulator.config.kms_endpoint = aws.url  # the emulator reads the key in AWS, as Qlik does
    play = role_play(emulator, **role_vars(emulator, aws))

    # check mode from nothing: nothing written in AWS nor in Qlik
    aws_mark, qlik_mark = aws.last_seq(), emulator.last_seq()
    run = ansible.run(play=play, check=True, env=aws.env())
    assert run.rc == 0, run.output()
    assert role_step(run, 'aws_key')['changed'] is True
    assert run.task(REPORT_TASK)['msg'].startswith('would make the AWS KMS key (arn:aws:kms:eu-west-1:000000000000:key/mrk-'), run.task(REPORT_TASK)['msg']
    assert aws.writes(aws_mark) == [] and writes(emulator, qlik_mark) == []
    assert not [t for t in emulator.model.list_tenants() if t.name == 'acme-aws']

    # the key in eu-west-1 (the tenant's datacenter) with its replica in eu-west-3, then the tenant on it
    run = ansible.run(play=play, env=aws.env())
    assert run.rc == 0, run.output()
    made = role_step(run, 'aws_key')
    assert made['changed'] is True and made['dr_compliant'] is True, made
    arn = made['arn']
    assert arn.startswith('arn:aws:kms:eu-west-1:123456789012:key/mrk-')
    assert made['replica_arn'] == arn.replace(':eu-west-1:', ':eu-west-3:')
    assert aws.client('eu-west-1').describe_key(KeyId='alias/qlik-acme-aws')['KeyMetadata']['Arn'] == arn
    tenant = [t for t in emulator.model.list_tenants() if t.name == 'acme-aws'][0]
    assert tenant.datacenter == 'eu-west-1'
    assert [(p.arn, p.name) for p in tenant.providers.values()] == [(arn, 'CMK acme-aws')]
    assert tenant.current is not None and tenant.providers[tenant.current].arn == arn
    assert role_facts(run)['key_provider']['arn'] == arn

    # a re-run: changed=0, no write in either cloud
    aws_mark, qlik_mark = aws.last_seq(), emulator.last_seq()
    run = ansible.run(play=play, env=aws.env())
    assert run.rc == 0 and run.recap()['localhost']['changed'] == 0, run.output()
    assert aws.writes(aws_mark) == [] and writes(emulator, qlik_mark) == []


def test_an_arn_given_with_create_kms_key_is_refused_before_anything(emulator, ansible, aws):
    variables = role_vars(emulator, aws, encrypted_tenant_key=dict(arn='arn:aws:kms:eu-west-1:123456789012:key/'
                                                                   'mrk-aa860cf0-ce4b-42e4-b399-27f90d0d3d63'))
    aws_mark, qlik_mark = aws.last_seq(), emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **variables), env=aws.env())
    assert run.rc != 0
    assert 'no encrypted_tenant_key.arn' in run.task(REPORT_TASK)['msg']
    assert aws.requests(aws_mark) == [] and writes(emulator, qlik_mark) == []
