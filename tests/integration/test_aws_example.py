"""examples/aws_key_and_tenant.yml against a moto server and the emulator, as a user runs it: the AWS key, then a
new tenant on it; check mode writes nothing in either cloud, a re-run changes nothing.

moto's divergences (fact sheet /work/shared/api-docs/aws-kms-for-qlik-cmk.md, section 6) that matter here: its
multi-Region key ids are ``mrk-`` and a UUID with dashes (the collection accepts them), and its replica is a copy of
the primary until the module puts the replica's tags right (one TagResource more than on AWS, first run only).
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.harness.collection import recap
from tests.harness.plays import writes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, 'examples', 'aws_key_and_tenant.yml')
INVENTORY = os.path.join(REPO, 'examples', 'inventory.yml')   # one tenant, acme-prod


def test_the_example_makes_the_key_then_a_tenant_on_it(emulator, ansible, aws):
    emulator.config.kms_endpoint = aws.url  # the emulator reads the key in AWS, as Qlik does
    env = ansible.env(dict(emulator.env(), **aws.env()))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY, PLAYBOOK,
               '-e', 'aws_endpoint_url=' + aws.url]

    def play(*extra):
        proc = subprocess.run(command + list(extra), env=env, cwd=os.path.join(REPO, 'examples'), capture_output=True,
                              text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return recap(proc.stdout)['acme-prod'], proc.stdout

    # check mode from nothing: nothing written in AWS nor in Qlik
    aws_mark, qlik_mark = aws.last_seq(), emulator.last_seq()
    planned, dummy = play('--check')
    assert planned['changed'] >= 1
    assert aws.writes(aws_mark) == [] and writes(emulator, qlik_mark) == []
    assert not [t for t in emulator.model.list_tenants() if t.name == 'acme-prod']

    # the key in eu-west-1 with its replica in eu-west-3, then the tenant, created in eu-west-1 and put on it
    first, output = play()
    assert first['changed'] == 2 and first['failed'] == 0, output  # the AWS key, then the tenant's report
    state = aws.kms_state()
    primary = [k for k in state['keys'] if k['region'] == 'eu-west-1']
    assert len(primary) == 1 and primary[0]['id'].startswith('mrk-')
    arn = primary[0]['arn']
    assert [k['region'] for k in state['keys'] if k['id'] == primary[0]['id']] == ['eu-west-1', 'eu-west-3']
    assert any('alias/qlik-acme-prod' in a for a in state['aliases'])
    tenant = [t for t in emulator.model.list_tenants() if t.name == 'acme-prod'][0]
    assert tenant.datacenter == 'eu-west-1'
    assert tenant.current is not None and tenant.providers[tenant.current].arn == arn
    assert [p.arn for p in tenant.providers.values()] == [arn]
    assert 'runs on %s' % arn in output

    # a re-run: changed=0, no write in either cloud
    aws_mark, qlik_mark = aws.last_seq(), emulator.last_seq()
    second, output = play()
    assert second['changed'] == 0, output
    assert aws.writes(aws_mark) == [] and writes(emulator, qlik_mark) == []
