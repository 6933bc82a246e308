"""`make demo`: the collection's main job, end to end, against the embedded Qlik Cloud emulator.

1. start the emulator (a region with one source tenant that holds the license),
2. run examples/encrypted_tenant.yml: create the tenant, register the key, migrate, wait,
3. run it again: changed=0,
4. rotate to a second key (and prune the first),
5. rotate the secret of the new tenant's pipeline OAuth client,
6. audit every secret the tenant holds (examples/secrets_audit.yml, one CSV),
7. both clouds: a moto server stands in for AWS KMS (the emulator checks keys in it, as Qlik does in AWS); the
   key of a new tenant, acme-aws, is made there with qlik_aws_kms_key (a multi-Region key, its replica in Qlik's DR
   region, a key policy for Qlik), then examples/aws_key_and_tenant.yml creates the tenant and puts it on that key;
   a re-run changes nothing; a second key is made and the tenant rotated to it. Then the emulator and moto stop.

The same playbooks run against Qlik Cloud and AWS with other QLIK_* and AWS_* environment variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from qlik_cloud_emulator import Emulator, EmulatorConfig

from tests.harness.collection import link_collection, recap
from tests.harness.moto import MotoServer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROTATED_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
EXAMPLE_KEYS = 'arn:aws:kms:eu-west-1:111122223333:key/*'  # the keys the emulator knows: the examples'


INVENTORY = os.path.join(REPO, 'examples', 'inventory.yml')


def _play(title, env, extra=(), playbook='encrypted_tenant.yml', inventory=INVENTORY):
    print('\n=== %s ===' % title, flush=True)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory,
               os.path.join(REPO, 'examples', playbook)] + list(extra)
    started = time.time()
    proc = subprocess.run(command, env=env, text=True, capture_output=True, check=False)
    print(proc.stdout + proc.stderr)
    print('(%.1f s)' % (time.time() - started))
    if proc.returncode:
        raise SystemExit('demo step failed: %s' % title)
    return recap(proc.stdout)


def _make_aws_key(title, env, moto, alias, region='eu-west-1'):
    """The key alone, as an ad-hoc task: qlik_aws_kms_key against moto; returns its ARN (read back from moto)."""
    print('\n=== %s ===' % title, flush=True)
    args = dict(region=region, alias=alias, aws_endpoint_url=moto.url)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible'), 'localhost', '-i', 'localhost,',
               '-m', 'qlikcloud.platform.qlik_aws_kms_key', '-a', json.dumps(args)]
    print(' '.join(command[:-1] + ["'%s'" % command[-1]]))
    proc = subprocess.run(command, env=env, text=True, capture_output=True, check=False)
    if proc.returncode:
        print(proc.stdout + proc.stderr)
        raise SystemExit('demo step failed: %s' % title)
    result = json.loads(proc.stdout.split(' => ', 1)[1])   # the key's policies are long: the gist of the result
    print('changed=%s arn=%s\nreplica_arn=%s dr_compliant=%s\nAWS calls: %s' % (
        result['changed'], result['arn'], result['replica_arn'], result['dr_compliant'],
        ', '.join('%s (%s)' % (c['operation'], c['region']) for c in result['calls'])))
    return moto.client(region).describe_key(KeyId='alias/' + alias)['KeyMetadata']['Arn']


def _both_clouds(emulator, env, workdir):
    """Step 7: moto for AWS KMS, a new tenant acme-aws on a key made there, re-run, rotation; a summary line and
    whether it went as it should."""
    moto = MotoServer(workdir).start()
    print('\nmoto server (AWS KMS stand-in): %s' % moto.url)
    inventory = os.path.join(workdir, 'aws-inventory.yml')
    with open(inventory, 'w') as handle:
        handle.write('qlik_tenants:\n  hosts:\n    acme-aws: {}\n')
    # fake AWS keys and empty AWS files: nothing of the caller's AWS_* or ~/.aws is used
    env = dict(dict((k, v) for k, v in env.items() if not k.startswith('AWS_')), **moto.env())
    endpoint = ['-e', 'aws_endpoint_url=' + moto.url]
    # Qlik checks the key in AWS: so does the emulator, in moto (as qlik-cloud-emulator --kms-endpoint URL does) -
    # it exists and is enabled, multi-Region with its replica in the DR region, the key policies let Qlik in
    emulator.config.kms_endpoint = moto.url
    try:
        _make_aws_key('AWS: the key of acme-aws (multi-Region, replica in eu-west-3, policy for Qlik)',
                      env, moto, 'qlik-acme-aws')
        first = _play('both clouds: create acme-aws and put it on the AWS key', env, endpoint,
                      playbook='aws_key_and_tenant.yml', inventory=inventory)
        again = _play('both clouds, second run: nothing to do', env, endpoint, playbook='aws_key_and_tenant.yml',
                      inventory=inventory)
        second_arn = _make_aws_key('AWS: a second key for acme-aws', env, moto, 'qlik-acme-aws-2027')
        rotated = _play('both clouds: rotate acme-aws to the second key', env,
                        endpoint + ['-e', 'kms_key_alias=qlik-acme-aws-2027'], playbook='aws_key_and_tenant.yml',
                        inventory=inventory)
        keys = moto.kms_state()['keys']
    finally:
        emulator.config.kms_endpoint = None
        moto.stop()
    tenant = [t for t in emulator.model.tenants.values() if t.name == 'acme-aws'][0]
    current = tenant.providers[tenant.current].arn if tenant.current else 'the Qlik-managed key'
    summary = ('tenant acme-aws (%s) now runs on %s; AWS holds %d keys (primaries and replicas); both clouds: first '
               'run changed=%d, second run changed=%d, rotation changed=%d' % (
                   tenant.id, current, len(keys), first['acme-aws']['changed'], again['acme-aws']['changed'],
                   rotated['acme-aws']['changed']))
    ok = first['acme-aws']['changed'] > 0 and again['acme-aws']['changed'] == 0 and current == second_arn \
        and [p.arn for p in tenant.providers.values()] == [second_arn] and len(keys) == 4
    return summary, ok


def main():
    workdir = tempfile.mkdtemp(prefix='qlik-demo-')
    collections = link_collection(os.path.join(workdir, 'collections'))
    config = EmulatorConfig(migration_seconds=3.0, key_behaviours={EXAMPLE_KEYS: 'ok'})
    emulator = Emulator(config, workdir=workdir).start()
    print('Qlik Cloud emulator: registration %s, console %s, source tenant %s' % (
        emulator.registration_url, emulator.console_url, emulator.source_tenant_url))
    env = dict(os.environ)
    env.pop('ANSIBLE_PYTHON_INTERPRETER', None)  # the collection's tasks run in the controller's Python
    env.update(emulator.env())
    env.update(ANSIBLE_COLLECTIONS_PATH=collections,
               ANSIBLE_LOCALHOST_WARNING='False',
               ANSIBLE_NOCOLOR='1', ANSIBLE_HOME=os.path.join(workdir, 'ansible-home'))
    env['QLIK_PIPELINE_SECRET_DIR'] = workdir
    try:
        first = _play('first run: create the tenant and put it on its key', env)
        second = _play('second run: nothing to do', env)
        rotated = _play('rotation: a new key, the old provider pruned', env,
                        ['-e', json.dumps(dict(kms_key_arn=ROTATED_ARN, kms_key_name='ACME CMK 2027'))])
        tenant = [t for t in emulator.model.tenants.values() if t.name == 'acme-prod'][0]
        current = tenant.providers[tenant.current].arn if tenant.current else 'the Qlik-managed key'
        writes = emulator.requests(writes=True)
        # the pipeline's OAuth client in the new tenant: made with its first secret, then that secret rotated
        # at once (max_age P0D): a new secret proven and stored, the first one deleted
        secret_step = _play('secret rotation: the pipeline client of acme-prod gets a new secret', env,
                            ['-e', json.dumps(dict(qlik_tenant_url=emulator.url(tenant), max_age='P0D'))],
                            playbook='rotate_client_secret.yml')
        clients = emulator.model.credentials.list_clients(tenant)
        with open(os.path.join(workdir, 'acme-prod-pipeline.json')) as handle:
            stored = json.load(handle)['client_secret']
        # the rotation audit of every secret the tenant holds, one CSV on the controller (never a secret in it)
        audit_csv = os.path.join(workdir, 'secrets-audit.csv')
        _play('secrets audit: one report of every secret acme-prod holds', env,
              ['-e', json.dumps(dict(qlik_tenant_url=emulator.url(tenant), audit_csv=audit_csv))],
              playbook='secrets_audit.yml')
        with open(audit_csv) as handle:
            audit = handle.read()
        aws_summary, aws_ok = _both_clouds(emulator, env, workdir)
    finally:
        emulator.stop()
    print('\n=== summary ===')
    print('first run changed=%d, second run changed=%d, rotation changed=%d' % (
        first['acme-prod']['changed'], second['acme-prod']['changed'], rotated['acme-prod']['changed']))
    print('tenant acme-prod (%s) now runs on %s; %d key provider(s) registered; %d writes in all' % (
        tenant.id, current, len(tenant.providers), len(writes)))
    names = [p.name for p in tenant.providers.values()]
    secrets = [s.value for c in clients for s in c.secrets]
    print('pipeline client %s: %d secret(s), the stored one %s; secret rotation changed=%d' % (
        clients[0].name if clients else '-', len(secrets), 'is it' if secrets == [stored] else 'is NOT it',
        secret_step['acme-prod']['changed']))
    print('secrets audit (%s):\n%s' % (audit_csv, audit))
    print(aws_summary)
    ok = aws_ok and first['acme-prod']['changed'] > 0 and second['acme-prod']['changed'] == 0 and current == ROTATED_ARN \
        and names == ['ACME CMK 2027'] and secrets == [stored] and 'oauth_client_secret' in audit \
        and stored not in audit
    print('demo %s' % ('succeeded' if ok else 'FAILED'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
