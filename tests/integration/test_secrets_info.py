"""qlik_secrets_info and examples/secrets_audit.yml: one audit of every kind of secret, never a secret in it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from tests.harness.inventory import Inventory
from tests.harness.plays import task
from tests.harness.secrets import make_client

INFO = 'qlikcloud.platform.qlik_secrets_info'
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seed_everything(emulator, tenant=None):
    """One of each kind of secret in ``tenant``; returns the secret values that must never appear."""
    tenant = tenant or emulator.source_tenant
    model = emulator.model
    client_id, secret = make_client(emulator, name='old-pipeline', age_days=120, tenant=tenant)
    key = model.credentials.create_key(tenant, dict(description='monitoring', expiry='P10D'), 'someone')
    connection = model.data_connections.seed(tenant, 'orders', username='reader', password='dc-password-1')
    model.data_connections.seed(tenant, 'no-credentials')
    model.transports.seed(tenant, 'BasicAuth', dict(serverAddress='smtp.example.com', serverPort=587,
                                                    securityType='StartTLS', username='mailer',
                                                    emailAddress='noreply@example.com'), secret='smtp-password-1')
    triggered = model.automations.add_automation(tenant, 'nightly-hook', run_mode='triggered')
    model.automations.add_automation(tenant, 'manual-one', run_mode='manual')
    model.automations.add_connection(tenant, 'mailer', 'smtp', dict(password='automate-password-1'))
    return dict(client_id=client_id, key=key, connection=connection, triggered=triggered,
                values=[secret, key.token, 'dc-password-1', 'smtp-password-1', triggered.execution_token,
                        'automate-password-1'])


def test_one_report_of_every_kind_without_a_secret(emulator, ansible):
    seeded = seed_everything(emulator)
    mark = emulator.last_seq()
    run = ansible.run([task('audit', dict(ansible.connection(), max_age='P90D', expires_within='P30D'), module=INFO)],
                      extra_args=['-vvvv'])
    assert run.rc == 0, run.output()
    result = run.task('audit')
    report = result['report']
    assert emulator.requests(writes=True, since=mark) == [] and result['changed'] is False and result['errors'] == {}
    old = next(c for c in report['oauth_clients'] if c['clientId'] == seeded['client_id'])
    assert old['secrets'][0]['due'] is True and 119 < old['secrets'][0]['age_days'] < 121
    assert [k['id'] for k in report['api_keys'] if k['due']] == [seeded['key'].id]  # expires in 10 days < 30
    assert [c['qName'] for c in report['data_connections']] == ['orders']  # the one with a credential
    assert report['email_transport']['configured'] is True and report['email_transport']['secret_stored'] is True
    assert [a['name'] for a in report['automations']] == ['nightly-hook']  # triggered only
    assert [c['name'] for c in report['automation_connections']] == ['mailer']
    kinds = sorted(set(r['kind'] for r in result['rows']))
    assert kinds == ['api_key', 'automation_connection', 'automation_token', 'data_connection', 'email_transport',
                     'oauth_client_secret']
    assert result['due'] == sum(1 for r in result['rows'] if r['due']) >= 2
    text = run.stdout + run.stderr + json.dumps(result)
    for value in seeded['values']:
        assert value not in text


def test_a_part_the_caller_may_not_read_is_an_error_of_its_own(emulator, ansible):
    seed_everything(emulator)
    emulator.model.roles.revoke_admin(emulator.source_tenant, emulator.config.client_id)
    run = ansible.run([task('audit', dict(ansible.connection(), include=['api_keys', 'oauth_clients', 'email_transport']),
                            module=INFO)])
    assert run.rc == 0, run.output()
    result = run.task('audit')
    # OAuth clients and the email transport need a TenantAdmin (403); the caller's own API keys it may read
    assert set(result['errors']) == {'oauth_clients', 'email_transport'}, result['errors']
    assert all('403' in message for message in result['errors'].values())
    assert 'api_keys' in result['report'] and 'email transport could not be read' in run.stdout + run.stderr


def test_the_audit_example_writes_one_csv_for_the_fleet(emulator, ansible, tmp_path):
    tenants = [emulator.add_tenant(name='audit-%d' % number) for number in range(2)]
    values = sum((seed_everything(emulator, tenant)['values'] for tenant in tenants), [])
    config = tmp_path / 'fleet.qlik_tenants.yml'
    config.write_text('plugin: qlikcloud.platform.qlik_tenants\nfilters:\n  status: active\n')
    env = Inventory(emulator, ansible, tmp_path).env()
    target = tmp_path / 'audit.csv'
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(config),
                           os.path.join(REPO, 'examples', 'secrets_audit.yml'), '--limit', 'audit-*',
                           '-e', 'audit_csv=%s' % target], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert sorted(set(r['tenant'] for r in rows)) == ['audit-0', 'audit-1']
    assert all(len([r for r in rows if r['tenant'] == t.name]) == 6 for t in tenants)
    assert [r['name'] for r in rows if r['kind'] == 'api_key' and r['due'] == 'True'] == ['monitoring'] * 2
    for value in values:
        assert value not in target.read_text() + proc.stdout + proc.stderr
    assert ' secrets due for rotation' in proc.stdout
