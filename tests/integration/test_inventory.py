"""The qlikcloud.platform.qlik_tenants inventory plugin against the emulator's Organization API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.harness.inventory import Inventory, plain
from tests.harness.plays import ARN, ARN2, ENC, make_current


@pytest.fixture
def inventory(emulator, ansible, tmp_path):
    return Inventory(emulator, ansible, tmp_path)


def hostvars(listing):
    return listing['_meta']['hostvars']


@pytest.mark.emulator(rate_limits=False)
def test_a_thousand_tenants_in_pages_with_groups_compose_and_keyed_groups(emulator, inventory):
    for number in range(999):
        emulator.add_tenant(name='t-%04d' % number, datacenter='eu-west-1' if number % 3 else 'us-east-1')
    sleeping = emulator.add_tenant(name='asleep', datacenter='eu-west-2')
    emulator.model.deactivate_tenant(sleeping, sleeping.hostnames[0], 30)
    mark = emulator.last_seq()
    path = inventory.config(compose=dict(kms_key_arn="'arn:aws:kms:' ~ qlik_tenant_region ~ ':1:key/k'"),
                            groups=dict(big_ones="qlik_tenant_name.startswith('t-09')"),
                            keyed_groups=[dict(key='qlik_tenant_region', prefix='dc')])
    listing, dummy = inventory.listed(path)
    hosts = hostvars(listing)
    assert len(hosts) == 1001 and set(hosts) == {t.name for t in emulator.model.tenants.values()}
    first = hosts['t-0001']
    tenant = [t for t in emulator.model.tenants.values() if t.name == 't-0001'][0]
    assert first['qlik_tenant_id'] == tenant.id and first['qlik_tenant_url'] == emulator.url(tenant)
    assert first['qlik_tenant_hostnames'] == tenant.hostnames and first['qlik_tenant_status'] == 'active'
    assert first['qlik_tenant_region'] == 'eu-west-1' and first['qlik_tenant_created'] == tenant.created
    assert first['kms_key_arn'] == 'arn:aws:kms:eu-west-1:1:key/k'
    assert sorted(listing['qlik_status_disabled']['hosts']) == ['asleep']
    assert len(listing['qlik_region_us_east_1']['hosts']) == 333
    in_eu = sum(1 for t in emulator.model.tenants.values() if t.datacenter == 'eu-west-1')
    assert len(listing['dc_eu_west_1']['hosts']) == in_eu == 667  # 666 and the source tenant
    assert len(listing['big_ones']['hosts']) == 99  # t-0900 to t-0998
    pages = [e for e in emulator.requests(since=mark) if e['path'] == '/api/core/tenants']
    assert len(pages) == 11 and all(e['status'] == 200 for e in pages)
    assert 'key_providers' not in json.dumps(listing)

    active, dummy = inventory.listed(inventory.config(filters=dict(status='active', region='eu-west-2')))
    assert hostvars(active) == {}
    named, dummy = inventory.listed(inventory.config(filters=dict(name='t-0500'), hostname_from='id'))
    assert list(hostvars(named)) == [[t.id for t in emulator.model.tenants.values() if t.name == 't-0500'][0]]


def test_encryption_state_per_tenant_with_a_tenant_that_cannot_be_read(emulator, inventory):
    on_a, on_b, fresh, broken = [emulator.add_tenant(name=n) for n in ('on-a', 'on-b', 'fresh', 'broken')]
    for tenant, arn in ((on_a, ARN), (on_b, ARN2)):
        provider = emulator.model.create_provider(tenant, dict(arn=arn, name='key ' + tenant.name,
                                                               keyprovider='AWS-KMS'))
        make_current(emulator, provider.fingerprint, tenant)  # the migration run to its end on the emulator's clock
    broken_host = broken.hostnames[0]
    original = emulator.model.authenticate

    def refuse_broken(host, authorization, tenant=None):
        if host == broken_host:
            from qlik_cloud_emulator import ApiError  # pylint: disable=import-outside-toplevel
            raise ApiError(403, 'HTTP-403', 'Forbidden', 'This client may not read this tenant.')
        return original(host, authorization, tenant)

    emulator.model.authenticate = refuse_broken
    path = inventory.config(encryption=True, concurrency=3, keyed_groups=[
        dict(key="qlik_key_provider.name | default('none')", prefix='key')])
    mark = emulator.last_seq()
    listing, proc = inventory.listed(path)
    hosts = hostvars(listing)
    assert hosts['on-a']['qlik_key_provider']['arn'] == ARN and hosts['on-b']['qlik_key_provider']['arn'] == ARN2
    assert hosts['on-a']['qlik_key_migration']['state'] == 'Completed'
    assert hosts['fresh']['qlik_key_provider']['keyprovider'] == 'Qlik' and hosts['fresh']['qlik_key_migration'] == {}
    assert 'qlik_error' in hosts['broken'] and 'HTTP 403' in hosts['broken']['qlik_error']
    assert 'the encryption state of tenant broken (%s) could not be read' % broken.id in proc.stderr
    assert listing['key_key_on_a']['hosts'] == ['on-a']
    entries = emulator.requests(since=mark)
    per_tenant = [e for e in entries if e['host'] == on_a.hostnames[0]]
    assert [(e['method'], e['path']) for e in per_tenant] == [
        ('POST', '/oauth/token'), ('GET', ENC + '/actions/list'), ('GET', ENC + '/migration/actions/details')]
    for secret in [emulator.config.client_secret] + list(emulator.model.tokens):
        assert secret not in proc.stdout + proc.stderr


def test_a_cached_run_makes_no_request_and_the_cache_holds_no_secret(emulator, inventory, tmp_path):
    emulator.add_tenant(name='cached')
    cache_dir = tmp_path / 'cache'
    path = inventory.config(encryption=True, cache=True, cache_plugin='ansible.builtin.jsonfile',
                            cache_connection=str(cache_dir), cache_timeout=3600)
    first, dummy = inventory.listed(path)
    mark = emulator.last_seq()
    second, dummy = inventory.listed(path)
    assert second == first and emulator.requests(since=mark) == []
    held = ''.join(p.read_text() for p in cache_dir.iterdir())
    assert 'cached' in held
    for secret in [emulator.config.client_secret] + list(emulator.model.tokens):
        assert secret not in held
    graph = inventory.run(path, '--graph')
    assert graph.returncode == 0 and '|--cached' in graph.stdout and emulator.requests(since=mark) == []


@pytest.mark.emulator(fault_rate=0.3, fault_kinds=('429', '500', '502', '503'), fault_seed=3)
def test_thirty_percent_faults_still_give_the_whole_inventory(emulator, inventory):
    tenants = [emulator.add_tenant(name='flaky-%02d' % i) for i in range(12)]
    listing, dummy = inventory.listed(inventory.config(encryption=True, retries=8))
    hosts = hostvars(listing)
    assert {t.name for t in tenants} <= set(hosts)
    assert all('qlik_key_provider' in hosts[t.name] for t in tenants), [h for h in hosts if 'qlik_error' in hosts[h]]
    assert emulator.gateway.faults_injected >= 5


@pytest.mark.parametrize('options,env,words', [
    (dict(), dict(QLIK_SUBSCRIPTION_ID=''), 'subscription_id is required'),
    (dict(filters=dict(colour='blue')), {}, 'unknown filters key(s) colour; use status, region, name'),
    (dict(filters=dict(status='sleeping')), {}, "filters.status must be one of active, disabled"),
    (dict(filters=dict(region='mars-north-1')), {}, 'filters.region must be one of'),
    (dict(organization_url='http://console.example'), {}, 'organization_url must use https'),
    (dict(client_secret='wrong-console-secret'), {}, 'HTTP 401: the client credentials (client_id/client_secret) '
                                                     'were rejected'),
])
def test_bad_input_fails_clearly_before_or_instead_of_an_inventory(emulator, inventory, options, env, words):
    mark = emulator.last_seq()
    path = inventory.config(**options)
    proc = inventory.run(path, env=env)
    text = proc.stdout + proc.stderr
    assert no_hosts(proc), proc.stdout[-2000:]  # nothing half-built
    assert words in ' '.join(text.split()), text[-3000:]
    strict = inventory.run(path, env=dict(env, ANSIBLE_INVENTORY_UNPARSED_FAILED='true'))
    assert strict.returncode != 0 and words in ' '.join((strict.stdout + strict.stderr).split())
    assert 'wrong-console-secret' not in text
    if 'http' not in str(options) and not options.get('client_secret'):
        assert emulator.requests(since=mark) == []


def no_hosts(proc):
    """True when ansible-inventory --list gave no host (it reports a source it cannot parse and goes on)."""
    return proc.returncode != 0 or not plain(json.loads(proc.stdout))['_meta']['hostvars']


def test_a_client_without_the_organization_api_gets_a_403_named(emulator, inventory):
    emulator.config.update(dict(organization_clients=('an-organization-client',)))
    proc = inventory.run(inventory.config())
    text = ' '.join((proc.stdout + proc.stderr).split())
    assert no_hosts(proc)
    assert 'GET /api/core/tenants on' in text and 'HTTP 403 - [CORE-403]' in text and 'trace id' in text


def test_the_fleet_example_converges_twenty_tenants_then_changes_nothing(emulator, inventory, ansible, tmp_path):
    for number in range(20):
        emulator.add_tenant(name='fleet-%02d' % number)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    config = tmp_path / 'fleet.qlik_tenants.yml'
    config.write_text(open(os.path.join(repo, 'examples', 'fleet.qlik_tenants.yml')).read())
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(config),
               os.path.join(repo, 'examples', 'fleet.yml'), '--forks', '10']
    first = subprocess.run(command, env=inventory.env(), capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    for tenant in emulator.model.tenants.values():
        assert tenant.current is not None and tenant.providers[tenant.current].arn.startswith(
            'arn:aws:kms:eu-west-1:111122223333:key/mrk-'), tenant.name
    mark = emulator.last_seq()
    again = subprocess.run(command, env=inventory.env(), capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stdout[-4000:]
    recap = re.findall(r'^(fleet-\d+|\S+)\s+: ok=\d+\s+changed=(\d+)', again.stdout, re.M)
    assert len(recap) == 21 and all(changed == '0' for dummy, changed in recap), again.stdout[-3000:]
    assert emulator.requests(writes=True, since=mark) == []
