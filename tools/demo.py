"""`make demo`: the collection's main job, end to end, against the embedded Qlik Cloud emulator.

1. start the emulator (a region with one source tenant that holds the license),
2. run examples/encrypted_tenant.yml: create the tenant, register the key, migrate, wait,
3. run it again: changed=0,
4. rotate to a second key (and prune the first),
5. rotate the secret of the new tenant's pipeline OAuth client,
6. audit every secret the tenant holds (examples/secrets_audit.yml, one CSV), then stop the emulator.

The same playbook runs against Qlik Cloud with other QLIK_* environment variables.
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROTATED_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
EXAMPLE_KEYS = 'arn:aws:kms:eu-west-1:111122223333:key/*'  # the keys the emulator knows: the examples'


def _play(title, env, extra=(), playbook='encrypted_tenant.yml'):
    print('\n=== %s ===' % title, flush=True)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               '-i', os.path.join(REPO, 'examples', 'inventory.yml'),
               os.path.join(REPO, 'examples', playbook)] + list(extra)
    started = time.time()
    proc = subprocess.run(command, env=env, text=True, capture_output=True, check=False)
    print(proc.stdout + proc.stderr)
    print('(%.1f s)' % (time.time() - started))
    if proc.returncode:
        raise SystemExit('demo step failed: %s' % title)
    return recap(proc.stdout)


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
    ok = first['acme-prod']['changed'] > 0 and second['acme-prod']['changed'] == 0 and current == ROTATED_ARN \
        and names == ['ACME CMK 2027'] and secrets == [stored] and 'oauth_client_secret' in audit \
        and stored not in audit
    print('demo %s' % ('succeeded' if ok else 'FAILED'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
