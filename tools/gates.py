"""Run every quality gate of ``make test``; the last line says how many gates passed and failed.

Gates (GATES, in this order):

    pytest     unit + integration tests against the emulator (pytest-xdist, results from --junitxml)
    sanity     ansible-test sanity with this venv's ansible-core (no ignore file), from a temporary
               ansible_collections/qlikcloud/platform copy, on the Python its MATRIX entry names
    lint       ansible-lint --profile production
    docs       antsibull-docs lint-collection-docs
    changelog  antsibull-changelog lint (fragments and changelog.yaml)
    build      ansible-galaxy collection build + install, ansible-doc of every plugin and role
    ee         ansible-builder create on examples/execution-environment.yml, ansible-builder
               introspect on the installed collection
    matrix     each (CPython, ansible-core) of MATRIX: a venv with only ansible-core and requests (this
               venv for its own entry), the tarball installed, ansible-test sanity, and against the
               emulator the README quick start (converge, a re-run with changed=0, a check-mode
               rotation that writes nothing), tests/harness/core_checks.yml (argument validation,
               censoring, masking, the action group) and the fleet example over the qlik_tenants
               inventory (and with a wrong client secret, which must fail)

    python -m tools.gates                          # everything
    python -m tools.gates --only pytest            # one gate (repeatable)
    python -m tools.gates --pytest-args "-k key_provider"
    python -m tools.gates --only matrix --core 2.16 --core 2.21

pytest's counts are printed on a line of their own; the totals count gates, never tests.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from xml.etree import ElementTree

import yaml

from tests.harness.collection import link_collection, recap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# (CPython, ansible-core) pairs tested; meta/runtime.yml's requires_ansible names the oldest. The entry of
# the dev venv's own ansible-core (requirements-dev.txt) runs in the dev venv.
MATRIX = (('3.11', '2.16'), ('3.11', '2.17'), ('3.11', '2.18'), ('3.11', '2.19'), ('3.12', '2.20'),
          ('3.13', '2.21'))
ROTATED_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
EXAMPLE_KEYS = 'arn:aws:kms:eu-west-1:111122223333:key/*'  # the keys the emulator knows: the examples'
EXAMPLES = os.path.join(REPO, 'examples')
HARNESS = os.path.join(REPO, 'tests', 'harness')
# the Python libraries ansible-builder must find in the installed collection (boto3 once the AWS module exists)
EE_REQUIREMENTS = (('requests', None), ('boto3', 'plugins/modules/qlik_aws_kms_key.py'))
# what the matrix shows of ansible-test sanity: the tests, their findings, not the pip installs of a first run
SANITY_LINES = re.compile(r'^(Running sanity test|ERROR|FATAL|See documentation|WARNING: (?!Location))')


class Context:
    """What the gates of one run share: the work directory, the options, one build of the collection."""

    def __init__(self, args, workdir, selected):
        self.args = args
        self.workdir = workdir
        self.selected = selected
        self._built = None

    def built(self):
        """(tarball, collections path) of the collection built and installed with this venv's ansible-galaxy,
        made once per run; None when the build or the install failed."""
        if self._built is None:
            self._built = _build_and_install(_tool('ansible-galaxy'), os.path.join(self.workdir, 'build')) or ()
        return self._built or None


def _run(command, cwd=REPO, env=None, out=None, keep=None):
    """Run ``command``; write the command and its output (the lines ``keep`` matches, if given) to ``out``."""
    out = out or sys.stdout
    out.write('$ ' + ' '.join(shlex.quote(c) for c in command) + '\n')
    proc = subprocess.run(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False)
    output = proc.stdout
    out.write(output if keep is None else ''.join(line for line in output.splitlines(True) if keep.search(line)))
    out.flush()
    return proc.returncode, output


def _tool(name, bin_dir=BIN):
    return os.path.join(bin_dir, name)


def _env_with_path(bin_dir=BIN, **extra):
    env = dict(os.environ, **extra)
    env['PATH'] = bin_dir + os.pathsep + env.get('PATH', '')
    return env


def _collection_files():
    """Tracked and untracked-but-not-ignored files (what a clean clone plus new work holds)."""
    if os.path.isdir(os.path.join(REPO, '.git')) or os.path.isfile(os.path.join(REPO, '.git')):
        out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
        return [f for f in out.split('\0') if f and os.path.isfile(os.path.join(REPO, f))]
    files = []
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith('.venv') and d not in ('.git', 'output', '__pycache__')]
        files += [os.path.relpath(os.path.join(root, n), REPO) for n in names]
    return files


def _copy_collection(workdir):
    """Copy the working tree to <workdir>/ansible_collections/qlikcloud/platform (ansible-test needs a real path)."""
    target = os.path.join(workdir, 'ansible_collections', 'qlikcloud', 'platform')
    for name in _collection_files():
        destination = os.path.join(target, name)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(os.path.join(REPO, name), destination)
    return target


def _install_pip_bootstrap(ansible_test_dir):
    """Put an offline get-pip stand-in where ansible-test looks before downloading one."""
    source = os.path.join(ansible_test_dir, '_internal', 'python_requirements.py')
    with open(source) as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    version = match.group(1) if match else '24.2'
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    destination = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    if not os.path.exists(destination):
        shutil.copy(os.path.join(REPO, 'tools', 'get_pip_offline.py'), destination)


def _core_of(python):
    """``major.minor`` of the ansible-core that ``python`` imports."""
    return subprocess.run([python, '-c', 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))'],
                          capture_output=True, text=True, check=True).stdout.strip()


def dev_entry():
    """The MATRIX entry of this venv (its CPython and ansible-core), or None when it is not one of them."""
    entry = ('%d.%d' % sys.version_info[:2], _core_of(sys.executable))
    return entry if entry in MATRIX else None


def _sanity(bin_dir, python_version, workdir, out=None, brief=False):
    """ansible-test sanity of ``bin_dir``'s ansible-core on CPython ``python_version``; its exit code.
    ``brief``: only the tests run and what they found, without the installs of its first run."""
    ansible_test = glob.glob(os.path.join(bin_dir, '..', 'lib', 'python*', 'site-packages', 'ansible_test'))[0]
    _install_pip_bootstrap(ansible_test)
    target = _copy_collection(workdir)
    rc, dummy = _run([_tool('ansible-test', bin_dir), 'sanity', '--venv', '--python', python_version, '--color', 'no'],
                     cwd=target, env=_env_with_path(bin_dir), out=out, keep=SANITY_LINES if brief else None)
    return rc


# ------------------------------------------------------------------------------------------------------ gates
def _junit_counts(path):
    """passed/failed/errors/skipped from pytest's --junitxml file (None when pytest wrote none)."""
    if not os.path.exists(path):
        return None
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    counts = dict(passed=0, failed=0, errors=0, skipped=0)
    for suite in suites:
        tests = int(suite.get('tests', 0))
        failed, errors, skipped = (int(suite.get(k, 0)) for k in ('failures', 'errors', 'skipped'))
        counts['failed'] += failed
        counts['errors'] += errors
        counts['skipped'] += skipped
        counts['passed'] += tests - failed - errors - skipped
    return counts


def _xdist():
    try:
        import xdist  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return False
    return True


def gate_pytest(ctx):
    """Every test once, in ``--jobs`` processes (pytest-xdist; each test starts its own emulator on free ports)."""
    junit = os.path.join(ctx.workdir, 'pytest.xml')
    command = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '--junitxml', junit]
    if ctx.args.jobs != '1' and _xdist():
        command += ['-n', ctx.args.jobs]
    rc, dummy = _run(command + shlex.split(ctx.args.pytest_args or ''))
    counts = _junit_counts(junit)
    if counts is None:
        print('pytest wrote no results (%s)' % junit)
        return 1, None
    if rc == 5 or not sum(counts.values()):  # no test collected is a failure for us
        rc = rc or 1
    if counts['skipped']:
        print('pytest skipped %d test(s): a skipped test is not a pass' % counts['skipped'])
        rc = rc or 1
    if rc and not (counts['failed'] or counts['errors']):
        counts['errors'] += 1  # pytest failed without a failed test (a collection error, a crash)
    return rc, counts


def gate_sanity(ctx):
    entry = dev_entry()
    version = entry[0] if entry else '%d.%d' % sys.version_info[:2]
    where = 'the MATRIX entry of this venv' if entry else 'not in MATRIX'
    print('ansible-core %s on CPython %s (%s)' % (_core_of(sys.executable), version, where))
    return _sanity(BIN, version, os.path.join(ctx.workdir, 'sanity')), None


def gate_lint(ctx):
    collections = os.path.join(ctx.workdir, 'lint-collections')
    link_collection(collections)
    rc, dummy = _run([_tool('ansible-lint'), '--profile', 'production', '--offline', '--nocolor'],
                     env=_env_with_path(ANSIBLE_COLLECTIONS_PATH=collections))
    return rc, None


def gate_docs(ctx):
    target = _copy_collection(os.path.join(ctx.workdir, 'docs'))
    rc, dummy = _run([_tool('antsibull-docs'), 'lint-collection-docs', '--plugin-docs', '.'], cwd=target,
                     env=_env_with_path())
    return rc, None


def gate_changelog(ctx):
    rc, dummy = _run([_tool('antsibull-changelog'), 'lint'])
    if not rc:
        rc, dummy = _run([_tool('antsibull-changelog'), 'lint-changelog-yaml', 'changelogs/changelog.yaml'])
    return rc, None


def _build_and_install(galaxy, out, log=None):
    """``ansible-galaxy collection build`` into ``out``, then install the tarball into ``out``/collections.

    Returns (tarball, collections path), or None when either step failed (its output is printed)."""
    rc, dummy = _run([galaxy, 'collection', 'build', '--force', '--output-path', out], out=log)
    tarball = glob.glob(os.path.join(out, 'qlikcloud-platform-*.tar.gz'))
    if rc or not tarball:
        return None
    collections = os.path.join(out, 'collections')
    rc, dummy = _run([galaxy, 'collection', 'install', '--force', '-p', collections, tarball[0]], out=log)
    return None if rc else (tarball[0], collections)


def gate_build(ctx):
    built = ctx.built()
    if built is None:
        return 1, None
    tarball, installed = built
    listing = subprocess.run(['tar', 'tzf', tarball], capture_output=True, text=True, check=True).stdout
    leaked = [n for n in listing.splitlines()
              if re.search(r'(^|/)(emulator|tests/(harness|integration|unit)|\.venv|\.ansible|bench)/', n)
              or re.search(r'(^|/)(pytest\.ini|\.ansible-lint|\.yamllint|[^/]*\.env)$', n)]
    if leaked:
        print('build packs files it should not: %s' % leaked[:5])
        return 1, None

    def plugins(kind, directory):
        return [(kind, os.path.splitext(os.path.basename(p))[0])
                for p in sorted(glob.glob(os.path.join(REPO, 'plugins', directory, '*.py'))) if '__init__' not in p]

    documented = plugins('module', 'modules') + plugins('inventory', 'inventory') + [
        ('role', name) for name in sorted(os.listdir(os.path.join(REPO, 'roles')))]
    expected = dict(module=('EXAMPLES:', 'RETURN VALUES:', 'OPTIONS'), inventory=('EXAMPLES:', 'OPTIONS'),
                    role=('ENTRY POINT: main', 'OPTIONS'))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=installed, ANSIBLE_NOCOLOR='1')
    for kind, name in documented:
        proc = subprocess.run([_tool('ansible-doc'), '-t', kind, 'qlikcloud.platform.' + name], env=env,
                              capture_output=True, text=True, check=False)
        # ansible-doc marks names bold (ANSI, or *name* without colour) and writes "Options" for roles
        text = re.sub(r'\x1b\[[0-9;]*m|\*', '', proc.stdout).upper()
        missing = [part for part in expected[kind] if part.upper() not in text]
        if proc.returncode or missing:
            print('ansible-doc -t %s qlikcloud.platform.%s failed or is incomplete (missing %s):\n%s%s' % (
                kind, name, missing, text[-2000:], proc.stderr[-2000:]))
            return 1, None
        print('ansible-doc -t %s qlikcloud.platform.%s: %d lines, %s present' % (
            kind, name, len(text.splitlines()), ', '.join(expected[kind])))
    required = ('COPYING', 'CHANGELOG.rst', 'meta/execution-environment.yml', 'meta/runtime.yml', 'requirements.txt',
                'examples/execution-environment.yml', 'examples/ansible.cfg', 'examples/awx/credential_type.yml')
    for name in required:
        if not os.path.exists(os.path.join(installed, 'ansible_collections', 'qlikcloud', 'platform', name)):
            print('the installed collection has no %s' % name)
            return 1, None
    print('the installed collection has %s' % ', '.join(required))
    return 0, None


def gate_ee(ctx):
    """ansible-builder create on examples/execution-environment.yml with the built tarball beside it (no
    container engine needed: ``create`` only writes the build context), then ansible-builder introspect on
    the installed collection, which must name the Python libraries the collection needs."""
    built = ctx.built()
    if built is None:
        return 1, None
    tarball, installed = built
    with open(os.path.join(EXAMPLES, 'execution-environment.yml')) as handle:
        definition = yaml.safe_load(handle)
    project = os.path.join(ctx.workdir, 'ee')
    os.makedirs(project)
    shutil.copy(os.path.join(EXAMPLES, 'execution-environment.yml'), project)
    shutil.copy(tarball, project)
    context = os.path.join(project, 'context')
    rc, output = _run([_tool('ansible-builder'), 'create', '-f', 'execution-environment.yml', '--context', context,
                       '--output-filename', 'Containerfile', '-v', '3'], cwd=project, env=_env_with_path())
    problems = ['ansible-builder create exited %d' % rc] if rc else []
    containerfile = os.path.join(context, 'Containerfile')
    text = open(containerfile).read() if os.path.exists(containerfile) else ''
    base = definition['images']['base_image']['name']
    if 'EE_BASE_IMAGE="%s"' % base not in text:
        problems.append('the Containerfile does not start from %s' % base)
    if 'introspect.py introspect' not in text:
        problems.append("the Containerfile does not introspect the collections' Python requirements")
    if 'No matches' in output or 'does not exist' in output:
        problems.append('a file the definition names is missing from the build context')
    in_context = glob.glob(os.path.join(context, '_build', '**', os.path.basename(tarball)), recursive=True)
    requirements = os.path.join(context, '_build', 'requirements.yml')
    galaxy = open(requirements).read() if os.path.exists(requirements) else ''
    if not in_context or os.path.basename(tarball) not in galaxy:
        problems.append('the build context does not install %s (in _build: %s; requirements.yml: %r)' % (
            os.path.basename(tarball), bool(in_context), galaxy))
    rc, output = _run([_tool('ansible-builder'), 'introspect', installed], env=_env_with_path())
    found = yaml.safe_load(output.split('---', 1)[-1]) if '---' in output else None
    python = [line.split('#')[0].strip() for line in ((found or {}).get('python') or [])]
    for library, needed_when in EE_REQUIREMENTS:
        if needed_when and not os.path.exists(os.path.join(REPO, needed_when)):
            continue
        if not any(re.match(r'%s\b' % re.escape(library), line) for line in python):
            problems.append('ansible-builder introspect does not find %s (it found %s)' % (library, python))
    for problem in problems:
        print(problem)
    if not problems:
        print('ansible-builder: build context in %s from %s; introspect finds %s' % (
            os.path.relpath(context, ctx.workdir), base, ', '.join(python)))
    return (1 if problems else 0), None


# ------------------------------------------------------------------------------------------------------ matrix
def _runs(python, version):
    try:
        proc = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                              capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == version


def find_python(version):
    """A working CPython ``version``: on the PATH (not a pyenv shim), else under ``pyenv root``; None if none."""
    candidates = [p for p in (shutil.which('python' + version),) if p and '/shims/' not in p]
    try:
        root = subprocess.run(['pyenv', 'root'], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        root = ''
    root = root or os.path.expanduser('~/.pyenv')
    candidates += sorted(glob.glob(os.path.join(root, 'versions', version + '.*', 'bin', 'python' + version)),
                         key=lambda p: [int(n) for n in re.findall(r'\d+', p.split('/versions/')[1].split('/')[0])],
                         reverse=True)
    return next((p for p in candidates if _runs(p, version)), None)


def matrix_venv(python, version, core, out=None):
    """A venv with only ansible-core ``core``.x and requests (made once, reused while its stamp holds)."""
    venv = os.path.join(REPO, '.venv-matrix', 'core%s-py%s' % (core, version))
    major, minor = core.split('.')
    spec = 'ansible-core>=%s,<%s.%d' % (core, major, int(minor) + 1)
    stamp = os.path.join(venv, '.installed-' + re.sub(r'[^0-9a-z.]+', '_', spec + ' requests>=2.31'))
    if not os.path.exists(stamp):
        shutil.rmtree(venv, ignore_errors=True)
        for command in ([python, '-m', 'venv', venv],
                        [os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '-q',
                         '--disable-pip-version-check', spec, 'requests>=2.31']):
            rc, dummy = _run(command, out=out)
            if rc:
                return None
        open(stamp, 'w').close()
    return venv


def _playbook_env(bin_dir, collections, emulator, **extra):
    """The environment of a user who exported the emulator's QLIK_* variables, with nothing of ours."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'QLIK_', 'VIRTUAL_ENV')))
    env.update(emulator.env())
    env.update(ANSIBLE_COLLECTIONS_PATH=collections,
               PATH=bin_dir + os.pathsep + env.get('PATH', ''), ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOME=os.path.join(collections, '..', 'ansible-home'))
    env.update(extra)
    return env


def _step(out, name, ok, proc, started, detail=''):
    outcome = 'ok' if ok else 'FAILED'
    out.write('  %-22s rc=%s %s(%.0f s): %s\n' % (name, proc.returncode, detail, time.time() - started, outcome))
    if not ok:
        out.write(proc.stdout[-3000:] + proc.stderr[-2000:] + '\n')
    return [] if ok else [name]


def _on_emulator(bin_dir, collections, out):
    """Against one emulator: the README quick start, verbatim (in examples/, whose ansible.cfg it reads:
    converge, re-run with changed=0, a check-mode rotation that writes nothing); tests/harness/core_checks.yml
    (argument validation, censoring, masking, the action group, check mode); the fleet example over the
    qlik_tenants inventory, and with a wrong client secret (which must fail). Returns the steps that failed."""
    from qlik_cloud_emulator import Emulator, EmulatorConfig  # pylint: disable=import-outside-toplevel

    config = EmulatorConfig(migration_seconds=2.0, key_behaviours={EXAMPLE_KEYS: 'ok'})
    emulator = Emulator(config).start()  # stop() removes its temporary directory
    env = _playbook_env(bin_dir, collections, emulator)
    playbook = os.path.join(bin_dir, 'ansible-playbook')
    command = [playbook, '-i', 'inventory.yml', 'encrypted_tenant.yml']
    steps = (('converge', [], lambda c: c > 0), ('re-run', [], lambda c: c == 0),
             ('check-mode rotation', ['--check', '--diff', '-e', 'kms_key_arn=' + ROTATED_ARN], lambda c: c > 0))
    failures = []

    def run(argv, cwd=EXAMPLES, **extra):
        return subprocess.run(argv, cwd=cwd, env=dict(env, **extra), capture_output=True, text=True, check=False)

    try:
        for name, extra, expected in steps:
            mark = emulator.last_seq()
            started = time.time()
            proc = run(command + extra)
            changed = [counts['changed'] for host, counts in recap(proc.stdout).items() if host == 'acme-prod']
            writes = emulator.requests(writes=True, since=mark) if 'check' in name else []
            ok = proc.returncode == 0 and changed and expected(changed[0]) and not writes
            failures += _step(out, name, ok, proc, started, 'changed=%s writes in check mode=%d ' % (
                changed[0] if changed else '?', len(writes)))

        started, mark = time.time(), emulator.last_seq()
        hidden = dict(censored_value='censored-%s' % uuid.uuid4().hex, wrong_secret='wrong-%s' % uuid.uuid4().hex)
        proc = run([playbook, '-v', '-i', 'localhost,', os.path.join(HARNESS, 'core_checks.yml'),
                    '-e', json.dumps(hidden)],
                   ANSIBLE_ACTION_PLUGINS=os.path.join(HARNESS, 'action_plugins'), ANSIBLE_LOCALHOST_WARNING='False')
        with emulator.model.lock:
            tokens = list(emulator.model.tokens)
        shown = proc.stdout + proc.stderr
        leaked = [s for s in tokens + [emulator.config.client_secret] + list(hidden.values()) if s in shown]
        ok = (proc.returncode == 0 and "'no_log: true' was specified for this result" in shown and not leaked
              and 'a censored result with a warning' in shown and not emulator.requests(writes=True, since=mark))
        failures += _step(out, 'core checks', ok, proc, started, 'leaked %s ' % [s[:12] for s in leaked])

        for number in range(3):
            emulator.add_tenant(name='fleet-%d' % number)
        started = time.time()
        proc = run([playbook, '-i', 'fleet.qlik_tenants.yml', 'fleet.yml'])
        converged = [host for host, counts in recap(proc.stdout).items()
                     if counts.get('failed') == 0 and counts.get('unreachable') == 0]
        hosts = sorted(t.name for t in emulator.model.tenants.values())
        failures += _step(out, 'fleet (inventory)', proc.returncode == 0 and sorted(converged) == hosts, proc, started,
                          'hosts=%d/%d ' % (len(converged), len(hosts)))
        started = time.time()
        proc = run([playbook, '-i', 'fleet.qlik_tenants.yml', 'fleet.yml'], QLIK_CLIENT_SECRET='wrong-fleet-secret')
        ok = proc.returncode != 0 and 'No inventory was parsed' in proc.stdout + proc.stderr
        failures += _step(out, 'fleet, wrong secret', ok, proc, started, '(must fail) ')
    finally:
        emulator.stop()
    return failures


def _matrix_entry(ctx, version, core, run_sanity):
    """One MATRIX entry; returns (failures, its log)."""
    log = io.StringIO()
    label = 'ansible-core %s on CPython %s' % (core, version)
    started = time.time()
    log.write('--- %s\n' % label)
    if (version, core) == dev_entry():
        bin_dir = BIN
    else:
        python = find_python(version)
        if python is None:
            log.write('CPython %s is missing: neither python%s on the PATH nor under `pyenv root`/versions/%s.*. '
                      'Install it (for example `pyenv install %s`) and run make test again.\n' % (
                          version, version, version, version))
            return [label], log.getvalue()
        venv = matrix_venv(python, version, core, out=log)
        if venv is None:
            return [label + ' (venv)'], log.getvalue()
        bin_dir = os.path.join(venv, 'bin')
    python = os.path.join(bin_dir, 'python')
    log.write('%s: %s, ansible-core %s\n' % (label, os.path.realpath(python), subprocess.run(
        [python, '-c', 'import ansible.release as r; print(r.__version__)'], capture_output=True, text=True,
        check=True).stdout.strip()))
    out = os.path.join(ctx.workdir, 'matrix-' + core)
    built = _build_and_install(os.path.join(bin_dir, 'ansible-galaxy'), out, log=log)
    if built is None:
        return [label + ' (build and install)'], log.getvalue()
    failures = []
    if run_sanity:
        sanity_started = time.time()
        if _sanity(bin_dir, version, os.path.join(out, 'sanity'), out=log, brief=True):
            failures.append(label + ' (sanity)')
        log.write('sanity: %.0f s\n' % (time.time() - sanity_started))
    else:
        log.write('sanity: the sanity gate runs it for this venv\n')
    log.write('README quick start, core checks and the fleet example with %s:\n' % label)
    problems = _on_emulator(bin_dir, built[1], log)
    if problems:
        failures.append('%s (%s)' % (label, ', '.join(problems)))
    log.write('%s: %s in %.0f s\n' % (label, 'FAILED' if failures else 'ok', time.time() - started))
    return failures, log.getvalue()


def gate_matrix(ctx):
    """Each selected (CPython, ansible-core) of MATRIX, ``--matrix-jobs`` at a time; each entry's log is
    printed when it ends."""
    entries = [e for e in MATRIX if not ctx.args.core or e[1] in ctx.args.core]
    unknown = sorted(set(ctx.args.core or ()) - {e[1] for e in MATRIX})
    if unknown or not entries:
        print('--core must name ansible-core releases of MATRIX (%s), got %s' % (
            ', '.join(e[1] for e in MATRIX), ', '.join(unknown) or 'none'))
        return 1, None
    dev = dev_entry()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max(1, ctx.args.matrix_jobs)) as pool:
        futures = [pool.submit(_matrix_entry, ctx, version, core,
                               (version, core) != dev or 'sanity' not in ctx.selected) for version, core in entries]
        for future in concurrent.futures.as_completed(futures):
            failures, log = future.result()
            sys.stdout.write(log)
            sys.stdout.flush()
            failed += failures
    if failed:
        print('matrix failures: %s' % '; '.join(failed))
    return (1 if failed else 0), None


# name -> the gate; `make test` runs them in this order
GATES = {
    'pytest': gate_pytest,
    'sanity': gate_sanity,
    'lint': gate_lint,
    'docs': gate_docs,
    'changelog': gate_changelog,
    'build': gate_build,
    'ee': gate_ee,
    'matrix': gate_matrix,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', action='append', choices=list(GATES), help='run only these gates')
    parser.add_argument('--pytest-args', default='', help='extra pytest arguments')
    parser.add_argument('--jobs', default='auto', help="pytest processes (pytest-xdist's -n; 1: no xdist)")
    parser.add_argument('--core', action='append', help='matrix: only these ansible-core releases (repeatable)')
    parser.add_argument('--matrix-jobs', type=int, default=2, help='matrix entries run at once')
    args = parser.parse_args()
    selected = [name for name in GATES if name in (args.only or GATES)]
    workdir = tempfile.mkdtemp(prefix='qlik-gates-')
    ctx = Context(args, workdir, selected)
    outcomes = []
    pytest_counts = None
    try:
        for name in selected:
            print('\n===== gate: %s =====' % name, flush=True)
            started = time.time()
            rc, counts = GATES[name](ctx)
            if name == 'pytest':
                pytest_counts = counts
            outcomes.append((name, rc, time.time() - started))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print('\n===== summary =====')
    for name, rc, seconds in outcomes:
        print('%-10s %-6s %6.1fs' % (name, 'ok' if rc == 0 else 'FAILED', seconds))
    print('total time: %.1fs' % sum(outcome[2] for outcome in outcomes))
    if pytest_counts:
        print('pytest tests: %(passed)d passed, %(failed)d failed, %(errors)d errors, %(skipped)d skipped'
              % pytest_counts)
    failed = sum(1 for outcome in outcomes if outcome[1])
    print('gates: %d passed, %d failed' % (len(outcomes) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
