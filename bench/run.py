"""`make bench`: requests per operation; the no-op fleet at 50, 200 and 1,000 tenants (the role's fleet step,
the role through `roles:`, per-host tasks, the uri baseline and the floor side by side); the first converge of
200 tenants with 60-s migrations against the floor; a mixed run; migration wait latency; the cost of one task;
the tenants inventory.

Regenerates bench/RESULTS.md and bench/fleet.svg (matplotlib, bench/requirements.txt). Not part of
`make test`: it takes about half an hour and its timings need a machine that is otherwise idle.

    .venv/bin/python bench/run.py            # everything, writes bench/RESULTS.md
    .venv/bin/python bench/run.py --quick    # fewer repeats and tenants, writes bench/out/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # for tests.harness (the emulator is the installed package qlik_cloud_emulator)

# pylint: disable=wrong-import-position
from qlik_cloud_emulator import Emulator, EmulatorConfig  # noqa: E402
from tests.harness.collection import link_collection, recap  # noqa: E402
from tests.harness.playbook import Ansible  # noqa: E402
from tests.harness.plays import TEST_KEYS  # noqa: E402

KEY = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-4a1c0f1e2d3b4a5b6c7d8e9f0a1b2c3d'
KEY2 = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
BROKEN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-0bad0bad0bad4bad0bad0bad0bad0bad'
# the ways of running the same job that section 2 compares: playbook in bench/ (or the floor)
PATHS = (('fleet', 'fleet step (README example)', 'fleet'), ('role', 'role via roles:', 'role'),
         ('per_host', 'per-host tasks', 'per_host'), ('uri', 'uri baseline', 'baseline'), ('floor', 'floor', None))
ENC = '/api/v1/encryption/keyproviders'


class Bench:
    def __init__(self, workdir, migration_seconds):
        self.workdir = workdir
        # the emulator knows the keys of the tests' AWS accounts (KEY, KEY2); any other key it refuses, as Qlik does
        self.emulator = Emulator(EmulatorConfig(migration_seconds=migration_seconds, key_behaviours=dict(TEST_KEYS)),
                                 workdir=workdir).start()
        collections = link_collection(workdir)
        self.ansible = Ansible(self.emulator, collections, workdir)
        cfg = self.emulator.config
        self.env = self.ansible.env(dict(QLIK_CLIENT_ID=cfg.client_id, QLIK_CLIENT_SECRET=cfg.client_secret))
        # no test callback in timed runs (role_tasks_per_tenant uses the harness, which adds it back)
        self.env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
        self._inventories = 0

    def stop(self):
        self.emulator.stop()

    # ------------------------------------------------------------- helpers
    def inventory(self, tenants, key=KEY, key_name='bench key', keys=None):
        """An inventory of ``tenants``, each on ``key`` (or on its own key of ``keys``, tenant name -> ARN)."""
        self._inventories += 1
        path = os.path.join(self.workdir, 'inventory-%03d.yml' % self._inventories)
        hosts = dict((t.name, dict(tenant_url=self.emulator.url(t), kms_key_arn=(keys or {}).get(t.name, key),
                                   kms_key_name=key_name)) for t in tenants)
        with open(path, 'w') as handle:
            yaml.safe_dump(dict(qlik_tenants=dict(hosts=hosts)), handle)
        return path

    def playbook(self, name, inventory, forks=10, extra=(), may_fail=False):
        """Run bench/<name>.yml (or a playbook path); return (seconds, controller CPU seconds, peak RSS MiB), and
        with ``may_fail`` also the PLAY RECAP ({host: counts})."""
        path = name if os.path.isabs(name) else os.path.join(REPO, 'bench', name + '.yml')
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                               '-i', inventory, path, '--forks', str(forks)]
                              + list(extra), env=self.env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode and not may_fail:
            raise SystemExit('%s failed:\n%s\n%s' % (name, proc.stdout[-4000:], proc.stderr[-2000:]))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if may_fail:
            return seconds, cpu, after.ru_maxrss / 1024.0, recap(proc.stdout)
        return seconds, cpu, after.ru_maxrss / 1024.0

    def reset(self, tenants):
        """Back to a fresh tenant on the Qlik key with no provider (cheaper than new tenants)."""
        with self.emulator.model.lock:
            for tenant in tenants:
                tenant.providers.clear()
                tenant.current = None
                tenant.migration = None

    def converge_directly(self, tenants, key=KEY):
        """Register ``key`` and make it current in the emulator, without Ansible (for no-op timings)."""
        model = self.emulator.model
        for tenant in tenants:
            provider = model.create_provider(tenant, dict(arn=key, name='bench key', keyprovider='AWS-KMS'))
            tenant.current = provider.fingerprint

    def counts(self, since):
        entries = self.emulator.requests(since=since)
        tokens = sum(1 for e in entries if e['path'] == '/oauth/token')
        reads = sum(1 for e in entries if e['method'] == 'GET')
        writes = len(entries) - tokens - reads
        return tokens, reads, writes


# ---------------------------------------------------------------------------- 1. requests per operation
def requests_per_operation(bench):
    em = bench.emulator
    cfg = em.config
    tenant = em.add_tenant(name='counts')
    url = em.url(tenant)
    creds = dict(tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret)

    def token_for(host_url):
        return em.model.issue_token(host_url.split('//')[1], cfg.client_id, cfg.client_secret)['access_token']

    tok = dict(tenant_url=url, access_token=token_for(url))
    registration = dict(registration_url=em.registration_url, client_id=cfg.client_id,
                        client_secret=cfg.client_secret)
    reg_tok = dict(registration_url=em.registration_url, access_token=token_for(em.registration_url))
    org = dict(url=em.console_url, subscription_id=cfg.subscription_id)
    m = 'qlikcloud.platform.'
    scenarios = [
        ('qlik_token', 'get a token', m + 'qlik_token', creds),
        ('qlik_key_provider', 'create', m + 'qlik_key_provider', dict(creds, arn=KEY, name='k')),
        ('qlik_key_provider', 'no-op', m + 'qlik_key_provider', dict(creds, arn=KEY, name='k')),
        ('qlik_key_provider', 'no-op, token handed', m + 'qlik_key_provider', dict(tok, arn=KEY, name='k')),
        ('qlik_key_provider', 'rename', m + 'qlik_key_provider', dict(tok, arn=KEY, name='k2')),
        ('qlik_key_provider_info', 'list, token handed', m + 'qlik_key_provider_info', tok),
        ('qlik_key_migration', 'migrate and wait (%.0f s)' % cfg.migration_seconds, m + 'qlik_key_migration',
         dict(tok, arn=KEY)),
        ('qlik_key_migration', 'no-op', m + 'qlik_key_migration', dict(creds, arn=KEY)),
        ('qlik_key_migration', 'no-op, token handed', m + 'qlik_key_migration', dict(tok, arn=KEY)),
        ('qlik_key_migration', 'reset to Qlik key and wait', m + 'qlik_key_migration', dict(tok, qlik_managed=True)),
        ('qlik_key_migration_info', 'read, token handed', m + 'qlik_key_migration_info', tok),
        ('qlik_key_provider', 'delete', m + 'qlik_key_provider', dict(tok, arn=KEY, state='absent')),
        ('qlik_key_provider', 'delete no-op', m + 'qlik_key_provider', dict(tok, arn=KEY, state='absent')),
        ('qlik_tenant', 'create (organization look-up first)', m + 'qlik_tenant',
         dict(registration, name='counted', license_key=cfg.license_key, organization=org)),
        ('qlik_tenant', 'no-op by name (organization look-up)', m + 'qlik_tenant',
         dict(registration, name='counted', organization=org)),
        ('qlik_tenant', 'no-op by id, token handed', m + 'qlik_tenant', dict(reg_tok, id='{{ tenant_id }}')),
        ('qlik_tenant', 'rename by id, token handed', m + 'qlik_tenant',
         dict(reg_tok, id='{{ tenant_id }}', name='counted-2')),
        ('qlik_tenant', 'deactivate, token handed', m + 'qlik_tenant',
         dict(reg_tok, id='{{ tenant_id }}', state='deactivated')),
        ('qlik_tenant_info', 'by id, token handed', m + 'qlik_tenant_info', dict(reg_tok, id='{{ tenant_id }}')),
    ]
    rows = []
    for module, operation, fqcn, args in scenarios:
        tenant_id = next((t.id for t in em.model.tenants.values() if t.name.startswith('counted')), '')
        mark = em.last_seq()
        run = bench.ansible.run([{'name': operation, fqcn: args}], playbook_vars=dict(tenant_id=tenant_id))
        if run.rc:
            raise SystemExit('%s %s failed:\n%s' % (module, operation, run.output()))
        rows.append((module, operation) + bench.counts(mark))
    for operation, key, extra in (('first converge', KEY, {}), ('no-op', KEY, {}),
                                  ('rotate, prune the old key', KEY2, dict(encrypted_tenant_prune_key_providers=True)),
                                  ('back to the Qlik key', 'qlik', dict(encrypted_tenant_prune_key_providers=True)),
                                  ('no-op on the Qlik key', 'qlik', {})):
        target = key if key == 'qlik' else dict(arn=key, name='k')
        play = dict(name='role', hosts='localhost', gather_facts=False, roles=[dict(
            role='qlikcloud.platform.encrypted_tenant',
            vars=dict(dict(encrypted_tenant_url=url, encrypted_tenant_key=target), **extra))])
        mark = em.last_seq()
        run = bench.ansible.run(play=play, env=dict(QLIK_CLIENT_ID=cfg.client_id, QLIK_CLIENT_SECRET=cfg.client_secret))
        if run.rc:
            raise SystemExit('role %s failed:\n%s' % (operation, run.output()))
        rows.append(('role encrypted_tenant', operation) + bench.counts(mark))
    return rows


# ------------------------------------------------------------------ 2-4. the fleet: no-op, first converge, mixed
def floor_run(bench, tenants, first):
    """bench/floor.py: the role's HTTP calls for ``tenants`` from one Python process, 10 threads; (seconds, CPU)."""
    cfg = bench.emulator.config
    path = os.path.join(bench.workdir, 'floor-%d.json' % len(tenants))
    with open(path, 'w') as handle:
        json.dump(dict(urls=[bench.emulator.url(t) for t in tenants], ca_path=bench.emulator.ca_path,
                       client_id=cfg.client_id, client_secret=cfg.client_secret, arn=KEY), handle)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(REPO, 'bench', 'floor.py'), path, 'first' if first else 'noop'],
                   check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - started, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def noop_fleet(bench, sizes, repeats, uri_sizes, per_host_sizes):
    """Section 2: a no-op converge of ``size`` converged tenants by each path; rows (size, path, wall, CPU, runs)."""
    rows = []
    for size in sizes:
        tenants = [bench.emulator.add_tenant(name='noop-%d-%04d' % (size, i)) for i in range(size)]
        bench.converge_directly(tenants)
        inventory = bench.inventory(tenants)
        for path, dummy, playbook in PATHS:
            if (path == 'uri' and size not in uri_sizes) or (path in ('per_host', 'role') and size not in per_host_sizes):
                continue
            runs = []
            for dummy in range(repeats if size <= 200 and path != 'uri' else 1):
                mark = bench.emulator.last_seq()
                if playbook is None:
                    seconds, cpu = floor_run(bench, tenants, False)
                else:
                    seconds, cpu, dummy = bench.playbook(playbook, inventory)
                if bench.counts(mark)[2]:
                    raise SystemExit('the no-op %s run wrote' % path)
                runs.append((seconds, cpu))
            rows.append((size, path, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                         len(runs)))
            print('   %4d tenants %-9s %6.1f s %7.1f CPU-s' % ((size, path) + rows[-1][2:4]), flush=True)
    return rows


def first_converge(bench, size, seconds):
    """Section 3: the first converge of ``size`` tenants whose migrations take ``seconds``, fleet vs floor."""
    tenants = [bench.emulator.add_tenant(name='first-%04d' % i, migration_seconds=seconds) for i in range(size)]
    inventory = bench.inventory(tenants)
    rows = []
    for path in ('floor', 'fleet'):
        bench.reset(tenants)
        mark = bench.emulator.last_seq()
        if path == 'floor':
            wall, cpu = floor_run(bench, tenants, True)
        else:
            wall, cpu, dummy = bench.playbook('fleet', inventory)
        if not all(t.current and t.providers[t.current].arn == KEY for t in tenants):
            raise SystemExit('the %s run left tenants unconverged' % path)
        tokens, reads, writes = bench.counts(mark)
        rows.append((path, wall, cpu, tokens, reads, writes))
        print('   first converge %-6s %6.1f s %7.1f CPU-s' % (path, wall, cpu), flush=True)
    return rows


def mixed_run(bench, size=200, migrating=10, broken=2):
    """Section 4: ``size`` converged tenants; ``migrating`` get a new key, ``broken`` a key Qlik refuses."""
    bench.emulator.config.key_behaviours[BROKEN] = 'forbidden'
    tenants = [bench.emulator.add_tenant(name='mixed-%04d' % i) for i in range(size)]
    bench.converge_directly(tenants)
    keys = dict((t.name, KEY2) for t in tenants[:migrating])
    keys.update((t.name, BROKEN) for t in tenants[migrating:migrating + broken])
    wall, cpu, dummy, counts = bench.playbook('fleet', bench.inventory(tenants, keys=keys), may_fail=True)
    changed = sorted(h for h, c in counts.items() if c['changed'])
    failed = sorted(h for h, c in counts.items() if c['failed'])
    right = (changed == sorted(t.name for t in tenants[:migrating])
             and failed == sorted(t.name for t in tenants[migrating:migrating + broken])
             and all(t.providers[t.current].arn == KEY2 for t in tenants[:migrating])
             and all(t.providers[t.current].arn == KEY for t in tenants[migrating:]))
    return dict(size=size, migrating=migrating, broken=broken, wall=wall, cpu=cpu, changed=len(changed),
                failed=len(failed), hosts=len(counts), right=right)


def draw(rows, path):
    """bench/fleet.svg: wall time and CPU-s per tenant against tenant count, one line per path."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    figure, (wall_axis, cpu_axis) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    for name, label, dummy in PATHS:
        mine = sorted((size, wall, cpu) for size, p, wall, cpu, dummy2 in rows if p == name)
        if not mine:
            continue
        sizes = [m[0] for m in mine]
        wall_axis.plot(sizes, [m[1] for m in mine], marker='o', label=label)
        cpu_axis.plot(sizes, [m[2] / m[0] for m in mine], marker='o', label=label)
    for axis, title, unit in ((wall_axis, 'No-op converge: wall time', 'seconds'),
                              (cpu_axis, 'No-op converge: controller CPU per tenant', 'CPU-s per tenant')):
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_xlabel('tenants')
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which='both', alpha=0.3)
    cpu_axis.axhline(0.05, color='grey', linestyle='--', linewidth=1, label='target at 200 (0.05)')
    cpu_axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format='svg', metadata={'Date': None})
    pyplot.close(figure)


# ------------------------------------------------------------------------------ 5. migration latency
def migration_latency(bench, durations):
    em = bench.emulator
    cfg = em.config
    rows = []
    for seconds in durations:
        tenant = em.add_tenant(name='latency-%d' % seconds, migration_seconds=seconds)
        url = em.url(tenant)
        em.model.create_provider(tenant, dict(arn=KEY, name='k', keyprovider='AWS-KMS'))
        args = dict(tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret, arn=KEY, validate=False)
        mark = em.last_seq()
        run = bench.ansible.run([{'name': 'migrate', 'qlikcloud.platform.qlik_key_migration': args}],
                                timeout=seconds * 3 + 120)
        if run.rc:
            raise SystemExit('latency run failed:\n' + run.output())
        entries = em.requests(host=url, since=mark)
        started = next(e['time'] for e in entries if e['path'].endswith('/actions/migrate'))
        polls = [e for e in entries if e['path'].endswith('/migration/actions/details')]
        last = entries[-1]['time']  # the list call after the wait, just before the module returns
        rows.append((seconds, len(polls), last - (started + seconds)))
    return rows


# ------------------------------------------------------------------------------- 6. cost of one task
TASK_PLAYS = {
    'no task': [],
    'ansible.builtin.debug': [{'ansible.builtin.debug': {'msg': 'x'}}] * 4,
    'qlik_key_provider_info (token exchange + list)': [
        {'qlikcloud.platform.qlik_key_provider_info': {'tenant_url': '{{ tenant_url }}'}}] * 4,
    'qlik_key_provider no-op (token exchange + list)': [
        {'qlikcloud.platform.qlik_key_provider': {'tenant_url': '{{ tenant_url }}', 'arn': '{{ kms_key_arn }}',
                                                  'name': 'bench key'}}] * 4,
}


def task_cost(bench, hosts, repeats):
    """Controller CPU and time of 4 tasks on ``hosts`` hosts, per task and host, beyond a play with no task."""
    tenants = [bench.emulator.add_tenant(name='cost-%03d' % i) for i in range(hosts)]
    bench.converge_directly(tenants)
    inventory = bench.inventory(tenants)
    measured = {}
    for label, tasks in TASK_PLAYS.items():
        path = os.path.join(bench.workdir, 'cost-%d.yml' % len(measured))
        with open(path, 'w') as handle:
            yaml.safe_dump([dict(name=label, hosts='qlik_tenants', gather_facts=False, tasks=tasks)], handle)
        runs = [bench.playbook(path, inventory) for dummy in range(repeats)]
        measured[label] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
    empty_s, empty_cpu = measured.pop('no task')
    return [(label, (sec - empty_s) / (4 * hosts), (cpu - empty_cpu) / (4 * hosts))
            for label, (sec, cpu) in measured.items()], (empty_s, empty_cpu)


def role_tasks_per_tenant(bench):
    """How many task runs a converged tenant costs the fleet example (the recap's ok + skipped), and which."""
    tenant = bench.emulator.add_tenant(name='task-count')
    bench.converge_directly([tenant])
    with open(os.path.join(REPO, 'bench', 'fleet.yml')) as handle:
        play = yaml.safe_load(handle)[0]
    run = bench.ansible.run(play=play, inventory=bench.inventory([tenant]), env=dict(bench.env))
    if run.rc:
        raise SystemExit('task count run failed:\n' + run.output())
    return [(r['task'], r['status']) for r in run.results]


def _verdict(counts, module):
    """'met' when every no-op row keeps to the target, else the rows that do not."""
    failing = []
    for content, operation, tokens, reads, writes in counts:
        if not operation.startswith('no-op') or (content == 'role encrypted_tenant') == module:
            continue
        hosts = 2 if 'organization' in operation else 1
        allowed_tokens = 0 if 'token handed' in operation else hosts
        allowed_reads = hosts if module else 2  # the role: one tenant read and one list
        if writes or tokens > allowed_tokens or reads > allowed_reads:
            failing.append('%s %s' % (content, operation))
    return 'met' if not failing else 'NOT met by ' + ', '.join(failing)


# ------------------------------------------------------------------------ 7. the tenants inventory
def inventory_bench(bench, repeats):
    """ansible-inventory with the qlik_tenants plugin: 1,000 tenants listed; 200 with their encryption state."""
    em = bench.emulator
    present = len(em.model.tenants)
    for number in range(max(0, 1000 - present)):
        em.add_tenant(name='inv-%04d' % number)
    rows = []
    for label, options, limit in (('1,000 tenants listed (pages of 100)', {}, None),
                                  ('200 tenants with encryption: true', dict(encryption=True), 200),
                                  ('1,000 tenants listed, from the cache', dict(cache=True), None)):
        path = os.path.join(bench.workdir, 'bench-%d.qlik_tenants.yml' % len(rows))
        config = dict(plugin='qlikcloud.platform.qlik_tenants', **options)
        if limit:
            config['filters'] = dict(region='eu-west-2')
            for tenant in list(em.model.tenants.values())[:limit]:
                tenant.datacenter = 'eu-west-2'
        if options.get('cache'):
            config.update(cache_plugin='ansible.builtin.jsonfile', cache_connection=os.path.join(bench.workdir, 'cache'))
        with open(path, 'w') as handle:
            yaml.safe_dump(config, handle)
        env = dict(bench.env, QLIK_ORGANIZATION_URL=em.console_url, QLIK_SUBSCRIPTION_ID=em.config.subscription_id)
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', path, '--list']
        if options.get('cache'):
            subprocess.run(command, env=env, capture_output=True, check=True)  # fills the cache
        times = []
        for dummy in range(repeats):
            mark = em.last_seq()
            started = time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            if proc.returncode:
                raise SystemExit('inventory run failed:\n' + proc.stderr[-3000:])
            hosts = len(json.loads(proc.stdout)['_meta']['hostvars'])
            entries = em.requests(since=mark)
        pages = sum(1 for e in entries if e['path'] == '/api/core/tenants')
        tokens = sum(1 for e in entries if e['path'] == '/oauth/token')
        rows.append((label, hosts, statistics.median(times), pages, tokens, len(entries) - pages - tokens))
    return rows


def inventory_section(rows):
    lines = ['## 7. The tenants inventory', '',
             '`ansible-inventory --list` with the `qlikcloud.platform.qlik_tenants` plugin against the emulator\'s '
             'Organization API (median of the runs); requests from the emulator\'s log.', '',
             '| Run | Hosts | Time (s) | Pages | Token exchanges | Other requests |', '| --- | --- | --- | --- | --- | --- |']
    lines += ['| %s | %d | %.2f | %d | %d | %d |' % row for row in rows]
    listed = next(row for row in rows if row[0].startswith('1,000 tenants listed ('))
    encrypted = next(row for row in rows if 'encryption' in row[0])
    cached = next(row for row in rows if 'cache' in row[0])
    lines += ['', 'Targets: 1,000 tenants listed in <= 5 s: %s; 200 tenants with `encryption: true` in <= 10 s: %s; '
              'a cached run makes no request: %s.' % (
                  _target(listed[2], 5.0, ' s'), _target(encrypted[2], 10.0, ' s'),
                  'met' if cached[3] + cached[4] + cached[5] == 0 else 'NOT met'), '']
    return lines


def splice_section(path, section_lines):
    """Put ``section_lines`` (a "## N." section) into an existing results file, before its targets."""
    with open(path) as handle:
        text = handle.read()
    heading = section_lines[0]
    parts = text.split('\n## ')
    kept = [parts[0]] + ['## ' + p for p in parts[1:] if not ('## ' + p).startswith(heading.split('.')[0] + '.')]
    position = next((i for i, p in enumerate(kept) if p.startswith('## Targets')), len(kept))
    kept.insert(position, '\n'.join(section_lines).rstrip('\n') + '\n')
    with open(path, 'w') as handle:
        handle.write('\n'.join(part.rstrip('\n') + '\n' for part in kept))


def _target(value, limit, unit='', fmt='%.2f'):
    return ('met (' + fmt + '%s)') % (value, unit) if value <= limit else ('NOT met (' + fmt + '%s)') % (value, unit)


def _noop(rows, size, path):
    return next(((wall, cpu) for s, p, wall, cpu, dummy in rows if s == size and p == path), (None, None))


def write_results(path, args, counts, noop, first, mixed, latency, cost, role_tasks, total, inventory=None):
    import ansible  # pylint: disable=import-outside-toplevel

    labels = dict((name, label) for name, label, dummy in PATHS)
    lines = ['# Benchmarks', '',
             'Generated by `make bench` (`%s`) on %s in %.0f s.' % (
                 ' '.join(['python bench/run.py'] + (['--quick'] if args.quick else [])),
                 time.strftime('%Y-%m-%d'), total), '',
             '**Machine:** %s, %d CPUs, Python %s, ansible-core %s. The emulator runs in the benchmark\'s own '
             'process on the same machine, over real HTTPS on loopback, with its real per-tier rate limits. Every '
             'task of the collection runs in the controller\'s worker process (action plugins); "controller CPU" is '
             'the user + system time of ansible-playbook and every process it started (for the floor: of its one '
             'Python process).' % (platform.platform(), os.cpu_count() or 0, platform.python_version(),
                                   ansible.__version__), '',
             '## 1. Requests per operation', '',
             'From the emulator\'s request log. "Token handed" means the task got `access_token` (for '
             'example from `qlik_token`) instead of client credentials.', '',
             '| Content | Operation | Token exchanges | Reads | Writes |', '| --- | --- | --- | --- | --- |']
    lines += ['| %s | %s | %d | %d | %d |' % row for row in counts]
    lines += ['', 'Targets: a no-op module run makes one read per host it talks to, plus one token exchange per host '
              'when it was not handed a token, and no write: %s. A no-op role run makes at most one token '
              'exchange, one tenant read and one list per tenant, and no write: %s.' % (
                  _verdict(counts, module=True), _verdict(counts, module=False)),
              '(`qlik_tenant` by name talks to two hosts: the console for the Organization API look-up, then the '
              'registration host for the tenant itself; each host needs its own token.)', '']
    lines += ['## 2. The no-op fleet: fleet step, role, per-host tasks, uri baseline and floor', '',
              'Converged tenants, each an inventory host; forks 10; median of %d runs (1 at 1,000 tenants and for the '
              'uri baseline). Paths: **fleet step** - `bench/fleet.yml`, the README\'s fleet example (the role through '
              '`import_role` with `rolespec_validate: false`; the fleet step validates every host\'s input itself); '
              '**role via roles:** - `bench/role.yml`, the same role with Ansible\'s per-host argument-spec task; '
              '**per-host tasks** - `bench/per_host.yml`, one `qlik_key_provider` and two `qlik_key_migration` tasks '
              'per host (how the role ran before its fleet step); **uri baseline** - `bench/baseline.yml`, Qlik\'s '
              'tutorial as `ansible.builtin.uri` tasks; **floor** - `bench/floor.py`, the same HTTP calls from one '
              'Python process with 10 threads and no Ansible. Picture: [fleet.svg](fleet.svg).' % args.repeats, '',
              '![Wall time and CPU-s per tenant against tenant count](fleet.svg)', '',
              '| Tenants | Path | Wall (s) | Controller CPU (s) | CPU-s per tenant | Runs |',
              '| --- | --- | --- | --- | --- | --- |']
    lines += ['| %d | %s | %.1f | %.1f | %.3f | %d |' % (size, labels[p], wall, cpu, cpu / size, runs)
              for size, p, wall, cpu, runs in noop]
    lines += ['', '## 3. First converge with %.0f-s migrations' % args.first_seconds, '',
              '%d new tenants (no key provider), migrations of %.0f s each, the fleet step against the floor (both '
              'start every migration before waiting for any).' % (args.first_size, args.first_seconds), '',
              '| Path | Wall (s) | Controller CPU (s) | Token exchanges | Reads | Writes |',
              '| --- | --- | --- | --- | --- | --- |']
    lines += ['| %s | %.1f | %.1f | %d | %d | %d |' % ((labels[row[0]],) + row[1:]) for row in first]
    lines += ['', '## 4. A mixed run', '',
              '%(size)d converged tenants: %(migrating)d get a new key (a migration each), %(broken)d a key Qlik refuses '
              '(403). The fleet step in %(wall).1f s and %(cpu).1f CPU-s; PLAY RECAP: %(changed)d hosts changed, '
              '%(failed)d failed, of %(hosts)d.' % mixed + ' The hosts that changed and failed are exactly the ones '
              'that should: %s.' % ('yes' if mixed['right'] else 'NO'), '']
    lines += ['## 5. Migration wait latency', '',
              'How long after the migration completed `qlik_key_migration` (with `wait`) noticed it and returned '
              '(time of its last request minus the migration\'s end).', '',
              '| Migration (s) | Detail polls | Returned after completion (s) |', '| --- | --- | --- |']
    lines += ['| %d | %d | %.2f |' % row for row in latency]
    cost_rows, (empty_s, empty_cpu) = cost
    lines += ['', '## 6. What one task costs', '',
              'Four tasks on %s hosts, beyond a play with no task (%.1f s, %.1f CPU-s), per task and host.' % (
                  args.cost_hosts, empty_s, empty_cpu), '',
              '| Task | Time (ms) | Controller CPU (ms) |', '| --- | --- | --- |']
    lines += ['| %s | %.1f | %.1f |' % (label, sec * 1000, cpu * 1000) for label, sec, cpu in cost_rows]
    lines += [''] + (inventory_section(inventory) if inventory else [])
    small, mid, big = args.sizes
    f_small, f_mid, f_big = (_noop(noop, n, 'fleet') for n in (small, mid, big))
    uri_small = _noop(noop, small, 'uri')
    floor_first = next(r for r in first if r[0] == 'floor')[1]
    fleet_first = next(r for r in first if r[0] == 'fleet')[1]

    def per(value, size):
        return value / size if value is not None else None

    def target(value, limit, unit=' s', fmt='%.2f'):
        return 'not measured' if value is None else _target(value, limit, unit, fmt)

    lines += ['## Targets', '',
              '| Target | Result |', '| --- | --- |',
              '| No-op, %d tenants: <= 0.05 CPU-s per tenant | %s |' % (mid, target(per(f_mid[1], mid), 0.05, ' s', '%.3f')),
              '| No-op, %d tenants: <= 0.08 CPU-s per tenant | %s |' % (
                  small, target(per(f_small[1], small), 0.08, ' s', '%.3f')),
              '| No-op, %d tenants: <= 10 s | %s |' % (mid, target(f_mid[0], 10.0, ' s', '%.1f')),
              '| No-op, %d tenants: <= 60 s | %s |' % (big, target(f_big[0], 60.0, ' s', '%.1f')),
              '| No-op, %d tenants: fleet / uri baseline <= 0.15 (wall) | %s |' % (
                  small, target(f_small[0] / uri_small[0] if uri_small[0] else None, 0.15, '')),
              '| First converge, %d tenants, %.0f-s migrations: <= 1.3 x the floor | %s |' % (
                  args.first_size, args.first_seconds, _target(fleet_first / floor_first, 1.3, ' x')),
              '| Mixed run: the right hosts change and fail | %s |' % ('met' if mixed['right'] else 'NOT met'),
              '']
    ran = [task for task, status in role_tasks if status in ('ok', 'skipped', 'changed')]
    debug_cpu = next(cpu for label, sec, cpu in cost_rows if label == 'ansible.builtin.debug')
    lines += ['## Where the time goes', '',
              'A converged tenant costs the role (the fleet example) %d task runs: %s. The fleet step runs once for the '
              'whole batch and converges every tenant in threads in one process; the facts step is one task for the '
              'batch (a loop item per host); the report step is the one task per host left, which keeps every host '
              'in PLAY RECAP with its own ok, changed or failed. '
              'A trivial task costs %.0f ms of controller CPU per host on this machine (section 6): every task per '
              'host that the fleet step replaced was one of those. Through `roles:` Ansible adds its argument-spec '
              'task per host (section 2, "role via roles:"); the fleet example avoids it with `rolespec_validate: '
              'false` because the fleet step checks the same spec for every host itself.' % (
                  len(ran), ', '.join('%s (%s)' % (t.split(' : ')[-1], st) for t, st in role_tasks), debug_cpu * 1000),
              '']
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='fewer repeats and tenants (for development)')
    parser.add_argument('--migration-seconds', type=float, default=5.0)
    parser.add_argument('--inventory-only', action='store_true',
                        help='only section 7 (the tenants inventory), spliced into the existing results file')
    args = parser.parse_args()
    args.repeats = 1 if args.quick else 3
    args.cost_hosts = 20 if args.quick else 50
    args.sizes = (10, 20, 50) if args.quick else (50, 200, 1000)
    args.first_size, args.first_seconds = (20, 10.0) if args.quick else (200, 60.0)
    durations = [2] if args.quick else [2, 10, 60]
    out = os.path.join(REPO, 'bench', 'out') if args.quick else os.path.join(REPO, 'bench')
    output = os.path.join(out, 'RESULTS.md')
    started = time.time()
    workdir = tempfile.mkdtemp(prefix='qlik-bench-')
    bench = Bench(workdir, args.migration_seconds)
    if args.inventory_only:
        try:
            rows = inventory_bench(bench, args.repeats)
        finally:
            bench.stop()
        splice_section(output, inventory_section(rows))
        print(open(output).read())
        return 0
    try:
        print('1. requests per operation', flush=True)
        counts = requests_per_operation(bench)
        print('2. the no-op fleet', flush=True)
        noop = noop_fleet(bench, args.sizes, args.repeats, uri_sizes=args.sizes[:2], per_host_sizes=args.sizes)
        print('3. first converge', flush=True)
        first = first_converge(bench, args.first_size, args.first_seconds)
        print('4. a mixed run', flush=True)
        mixed = mixed_run(bench, size=args.sizes[1])
        print('5. migration latency', flush=True)
        latency = migration_latency(bench, durations)
        print('6. cost of one task', flush=True)
        cost = task_cost(bench, args.cost_hosts, args.repeats)
        role_tasks = role_tasks_per_tenant(bench)
        print('7. the tenants inventory', flush=True)
        inventory = inventory_bench(bench, args.repeats)
    finally:
        bench.stop()
    os.makedirs(out, exist_ok=True)
    draw(noop, os.path.join(out, 'fleet.svg'))
    write_results(output, args, counts, noop, first, mixed, latency, cost, role_tasks, time.time() - started, inventory)
    print(open(output).read())
    print('written: %s and %s' % (output, os.path.join(out, 'fleet.svg')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
