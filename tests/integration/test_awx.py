"""The fleet example as AWX / Automation Controller runs it, and pipelines that fail loudly.

AWX runs a job through ``ansible-runner run`` on a private data directory: the project (here the
collection's ``examples/``, with its ``ansible.cfg``) in ``project/``, the inventory source in
``inventory/``, and the credentials rendered by the credential type's injectors into ``env/envvars`` (a
file injector's content written to a 0600 file in ``env/`` first, its path given to the templates as
``tower.filename.<name>``). A sliced job runs one such job per slice, each limited to every N-th host.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import types

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, 'examples')
KEY_ID = 'mrk-4a1c0f1e2d3b4a5b6c7d8e9f0a1b2c3d'  # examples/fleet.qlik_tenants.yml composes the ARN from it
BIN = os.path.dirname(sys.executable)


def credential_type():
    with open(os.path.join(EXAMPLES, 'awx', 'credential_type.yml')) as handle:
        return yaml.safe_load(handle)


def inject(definition, inputs, private_data_dir):
    """The environment AWX gives a job for a credential of the custom type ``definition`` holding ``inputs``
    (CredentialType.inject_credential: inputs left empty are undefined in the templates, which Jinja's
    sandbox renders as nothing; file injectors first, then env injectors)."""
    namespace = dict((name, value) for name, value in inputs.items() if value)
    tower = types.SimpleNamespace(filename=types.SimpleNamespace())
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    for label, template in (definition['injectors'].get('file') or {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        setattr(tower.filename, label.split('.', 1)[1], path)
    namespace['tower'] = tower
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in definition['injectors']['env'].items())


class AwxJob:
    """A private data directory laid out as AWX lays it for a job template on the fleet example."""

    def __init__(self, emulator, collections_path, root, client_secret=None):
        self.emulator = emulator
        self.dir = str(root / 'awx-job')
        shutil.copytree(EXAMPLES, os.path.join(self.dir, 'project'))
        os.makedirs(os.path.join(self.dir, 'inventory'))
        shutil.copy(os.path.join(EXAMPLES, 'fleet.qlik_tenants.yml'), os.path.join(self.dir, 'inventory'))
        with open(emulator.ca_path) as handle:
            ca_pem = handle.read()
        cfg = emulator.config
        self.inputs = dict(client_id=cfg.client_id, client_secret=client_secret or cfg.client_secret,
                           registration_url=emulator.registration_url, organization_url=emulator.console_url,
                           subscription_id=cfg.subscription_id, source_tenant_url=emulator.source_tenant_url,
                           ca_certificate=ca_pem)
        self.envvars = inject(credential_type(), self.inputs, self.dir)
        with open(os.path.join(self.dir, 'env', 'envvars'), 'w') as handle:
            yaml.safe_dump(self.envvars, handle)
        # what AWX itself sets up around the job (the project's collections, a home), never a QLIK_ variable
        self.env = dict((k, v) for k, v in os.environ.items()
                        if not k.startswith(('ANSIBLE_', 'QLIK_')) and k not in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'))
        self.env.update(PATH=BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_COLLECTIONS_PATH=collections_path,
                        ANSIBLE_HOME=str(root / 'ansible-home'), ANSIBLE_NOCOLOR='1')

    def run(self, ident, limit=None):
        command = [os.path.join(BIN, 'ansible-runner'), 'run', self.dir, '-p', 'fleet.yml', '--ident', ident]
        if limit:
            command += ['--limit', ','.join(limit)]
        proc = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=600, check=False)
        artifacts = os.path.join(self.dir, 'artifacts', ident)
        events = []
        for path in sorted(glob.glob(os.path.join(artifacts, 'job_events', '*.json'))):
            with open(path) as handle:
                events.append((path, handle.read()))
        with open(os.path.join(artifacts, 'status')) as handle:
            status = handle.read().strip()
        with open(os.path.join(artifacts, 'rc')) as handle:
            rc = int(handle.read().strip())
        return types.SimpleNamespace(proc=proc, rc=rc, status=status, events=events,
                                     output='%s\n%s' % (proc.stdout[-6000:], proc.stderr[-3000:]))


def hosts_of(run):
    """Inventory host names the job ran a task on, from its job events."""
    hosts = set()
    for dummy, text in run.events:
        data = json.loads(text).get('event_data', {})
        if data.get('host') and json.loads(text)['event'].startswith('runner_on_'):
            hosts.add(data['host'])
    return hosts


def secrets_of(emulator):
    """Every secret the job could leak: the client secret, the license, the tenants' API keys, each token
    the emulator issued."""
    cfg = emulator.config
    with emulator.model.lock:
        tokens = list(emulator.model.tokens)
    return [cfg.client_secret, cfg.license_key] + [t.api_key for t in emulator.model.tenants.values()] + tokens


def test_credential_type_injects_every_variable_the_examples_read(tmp_path):
    """The injectors cover what the modules, the inventory and the examples read; the CA comes as a file."""
    definition = credential_type()
    env = inject(definition, dict(client_id='id', client_secret='s', registration_url='https://register.eu.qlikcloud.com',
                                  organization_url='https://console.qlikcloud.com', subscription_id='sub',
                                  source_tenant_url='https://source.eu.qlikcloud.com', ca_certificate='PEM'),
                 str(tmp_path))
    needed = set()  # what the examples read from the environment with no default
    for path in glob.glob(os.path.join(EXAMPLES, '*.yml')):
        with open(path) as handle:
            needed |= set(re.findall(r"lookup\('ansible.builtin.env', '(QLIK_[A-Z_]+)'\)(?! \| default)", handle.read()))
    assert 'QLIK_SOURCE_TENANT_URL' in needed and needed <= set(env), needed - set(env)
    assert env['QLIK_SOURCE_TENANT_URL'] == 'https://source.eu.qlikcloud.com'
    assert os.path.dirname(env['QLIK_CA_PATH']) == str(tmp_path / 'env')
    assert stat.S_IMODE(os.stat(env['QLIK_CA_PATH']).st_mode) == 0o600
    with open(env['QLIK_CA_PATH']) as handle:
        assert handle.read() == 'PEM'
    without_ca = inject(definition, dict(client_id='id', client_secret='s'), str(tmp_path / 'other'))
    assert without_ca['QLIK_CA_PATH'] == '' and without_ca['QLIK_REGISTRATION_URL'] == ''


@pytest.mark.emulator(rate_limits=False)
def test_fleet_through_ansible_runner_in_two_slices_leaks_no_secret(emulator, collections_path, tmp_path):
    for number in range(4):
        emulator.add_tenant(name='fleet-%d' % number, datacenter=('eu-west-1', 'eu-west-2')[number % 2])
    names = sorted(t.name for t in emulator.model.tenants.values())
    job = AwxJob(emulator, collections_path, tmp_path)
    assert job.envvars['QLIK_CA_PATH'].startswith(os.path.join(job.dir, 'env') + os.sep)

    # AWX's job slicing: slice i of N gets every N-th host of the inventory, in order
    slices = [names[index::2] for index in range(2)]
    runs = [job.run('slice-%d' % (index + 1), limit=hosts) for index, hosts in enumerate(slices)]
    for run in runs:
        assert run.rc == 0 and run.status == 'successful', run.output
    ran = [hosts_of(run) for run in runs]
    assert ran == [set(hosts) for hosts in slices]
    assert not ran[0] & ran[1] and ran[0] | ran[1] == set(names)

    for tenant in emulator.model.tenants.values():
        arn = 'arn:aws:kms:%s:111122223333:key/%s' % (tenant.datacenter, KEY_ID)
        assert tenant.current and tenant.providers[tenant.current].arn == arn, tenant.name
        migrations = [e for e in emulator.requests(host=emulator.url(tenant)) if e['method'] == 'POST'
                      and e['path'].endswith('/actions/migrate')]
        assert len(migrations) == 1, (tenant.name, migrations)

    leaked = [(os.path.basename(path), secret[:12]) for run in runs for path, text in run.events
              for secret in secrets_of(emulator) if secret in text]
    assert leaked == []
    assert all(secret not in run.proc.stdout + run.proc.stderr for run in runs for secret in secrets_of(emulator))

    # a re-run of a slice changes nothing
    again = job.run('slice-1-again', limit=slices[0])
    assert again.rc == 0, again.output
    assert not [json.loads(text) for dummy, text in again.events
                if json.loads(text)['event'] == 'runner_on_ok' and json.loads(text)['event_data']['res'].get('changed')]


def test_wrong_client_secret_fails_the_job_and_the_readme_command(emulator, collections_path, tmp_path):
    """A console that refuses the client empties the inventory; ansible-core alone would run the play on no
    host and exit 0. examples/ansible.cfg (unparsed_is_failed) makes that a failure, in AWX and on the CLI."""
    wrong = 'wrong-secret-4f2a9c'
    job = AwxJob(emulator, collections_path, tmp_path, client_secret=wrong)
    mark = emulator.last_seq()
    run = job.run('wrong-secret')
    assert run.rc != 0 and run.status == 'failed', run.output
    assert 'No inventory was parsed' in run.proc.stdout + run.proc.stderr
    assert 'client credentials (client_id/client_secret) were rejected' in run.proc.stdout + run.proc.stderr
    assert all(wrong not in text for dummy, text in run.events) and wrong not in run.proc.stdout + run.proc.stderr
    assert emulator.requests(writes=True, since=mark) == []

    # the README's fleet command, run in examples/ as the README says
    env = dict(job.env, **job.envvars)
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', 'fleet.qlik_tenants.yml', 'fleet.yml']
    proc = subprocess.run(command, cwd=os.path.join(job.dir, 'project'), env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode != 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'No inventory was parsed' in proc.stdout + proc.stderr
    # ... which without the examples' ansible.cfg ansible-core reports as a success on no host
    (tmp_path / 'empty.cfg').write_text('')
    proc = subprocess.run(command, cwd=os.path.join(job.dir, 'project'),
                          env=dict(env, ANSIBLE_CONFIG=str(tmp_path / 'empty.cfg')),
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0 and 'no hosts matched' in proc.stdout + proc.stderr, proc.stdout + proc.stderr
