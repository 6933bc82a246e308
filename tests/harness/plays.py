"""The plays most integration tests write: tasks of the collection's modules, the encrypted_tenant role, and
the key providers the emulator holds."""

from __future__ import annotations

from qlik_cloud_emulator import DATACENTERS

KEY_PROVIDER = 'qlikcloud.platform.qlik_key_provider'
ARN = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4f067e0987c7612a4560'
ARN2 = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-2678f8123a236c3123469387dc2ce561'
ENC = '/api/v1/encryption/keyproviders'
# The keys the tests' emulators know (the emulator refuses any other key with 403, as Qlik refuses a key it cannot
# reach): every key of the two made-up AWS accounts the tests, examples and tools use, in the emulator's
# datacenters (a typo in the region, eu-wset-1, is not known). Keys of other accounts are unknown, which the tests of
# refused keys rely on (tests/integration/test_emulator_keys.py).
TEST_ACCOUNTS = ('111222334455', '111122223333')
TEST_KEYS = dict(('arn:aws:kms:%s:%s:key/*' % (datacenter, account), 'ok')
                 for account in TEST_ACCOUNTS for datacenter in DATACENTERS)


def writes(emulator, since):
    return [(e['method'], e['path'], e['body']) for e in emulator.requests(writes=True, since=since)]


def task(name, args, module=KEY_PROVIDER, **extra):
    """A task of ``module`` (default: qlik_key_provider) with ``args``, and ``extra`` task keywords."""
    return dict(dict(name=name, **{module: args}), **extra)


def providers(emulator, tenant=None):
    tenant = tenant or emulator.source_tenant
    return [p for p in emulator.model.snapshot()['tenants'] if p['tenant']['id'] == tenant.id][0]['key_providers']


def make_current(emulator, fingerprint, tenant=None):
    """Migrate (fingerprint) or reset (None) the tenant's key directly in the emulator, to its end."""
    tenant = tenant or emulator.source_tenant
    if fingerprint is None:
        emulator.model.reset_to_default(tenant)
    else:
        emulator.model.migrate(tenant, fingerprint)
    emulator.clock.advance(tenant.migration.duration)
    emulator.model.advance(tenant)
    assert tenant.current == fingerprint


ROLE = 'qlikcloud.platform.encrypted_tenant'


FLEET_TASK = 'Converge the key of every tenant of the play batch'
REPORT_TASK = "Report the tenant's key"
FACTS_TASK = "Show the role's facts"


def role_play(emulator, hosts='localhost', **role_vars):
    """A play of the encrypted_tenant role, and after it a task that shows the role's facts of each host."""
    cfg = emulator.config
    variables = dict(encrypted_tenant_client_id=cfg.client_id, encrypted_tenant_client_secret=cfg.client_secret)
    variables.update(role_vars)
    # no connection or interpreter settings: the role's tasks run on the controller
    return dict(name='encrypted tenant', hosts=hosts, gather_facts=False, roles=[dict(role=ROLE, vars=variables)],
                tasks=[dict(name=FACTS_TASK, **{'ansible.builtin.debug': dict(msg=dict(
                    url='{{ encrypted_tenant_url }}', id='{{ encrypted_tenant_id }}',
                    key_provider='{{ encrypted_tenant_key_provider }}'))})])


def role_facts(run, host=None):
    """The role's facts on ``host`` (default: the only host), as the task after the role saw them."""
    return run.task(FACTS_TASK, host)['msg']


def role_result(run, host='localhost'):
    """The fleet step's result for ``host``: changed, failed, msg, facts and each step's result."""
    return run.task(FLEET_TASK)['tenants'][host]


def role_step(run, step, host='localhost'):
    """One step's result (tenant, key_provider, start, wait) of the fleet step for ``host``."""
    return role_result(run, host)['steps'][step]


def create_vars(emulator, name='acme-prod', key=None):
    return dict(
        encrypted_tenant_registration_url=emulator.registration_url,
        encrypted_tenant_name=name,
        encrypted_tenant_source_tenant_url=emulator.source_tenant_url,
        encrypted_tenant_organization=dict(url=emulator.console_url, subscription_id=emulator.config.subscription_id),
        encrypted_tenant_key=key or dict(arn=ARN, name='CMK 01', description='first key'),
        encrypted_tenant_require_dr_compliant=True,
    )
