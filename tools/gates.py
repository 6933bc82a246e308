"""Run every quality gate of ``make test`` and print one closing ``N passed, N failed`` line.

Gates: pytest (unit + integration against the emulator), ansible-test sanity (from a
temporary ansible_collections/qlikcloud/platform copy, no ignore file), ansible-lint
--profile production, antsibull-docs lint-collection-docs, antsibull-changelog lint (fragments and changelog.yaml),
ansible-galaxy collection build + install, and ansible-doc of every module from the
installed collection; then the ansible-core matrix (MATRIX): for each release, a venv of
its own with only ansible-core and requests, the collection installed from its tarball,
ansible-test sanity, and the README quick start against the emulator (converge, a re-run
with changed=0, a check-mode rotation that writes nothing).

    python tools/gates.py                # everything
    python tools/gates.py --only pytest  # one gate (repeatable)
    python tools/gates.py --pytest-args "-k key_provider"
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
GATES = ('pytest', 'sanity', 'lint', 'docs', 'changelog', 'build', 'matrix')
# (CPython, ansible-core) pairs tested; meta/runtime.yml's requires_ansible names the oldest
MATRIX = (('3.11', '2.19'), ('3.12', '2.20'), ('3.13', '2.21'))
ROTATED_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-9f8e7d6c5b4a39281706f5e4d3c2b1a0'


def _run(command, cwd=REPO, env=None, log=None):
    print('$ ' + ' '.join(shlex.quote(c) for c in command), flush=True)
    proc = subprocess.run(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False)
    output = proc.stdout
    sys.stdout.write(output if log is None else log(output))
    sys.stdout.flush()
    return proc.returncode, output


def _tool(name):
    return os.path.join(BIN, name)


def _collection_files():
    """Tracked and untracked-but-not-ignored files (what a clean clone plus new work holds)."""
    if os.path.isdir(os.path.join(REPO, '.git')):
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


def _install_pip_bootstrap(ansible_test_dir=None):
    """Put an offline get-pip stand-in where ansible-test looks before downloading one."""
    if ansible_test_dir is None:
        import ansible_test  # pylint: disable=import-outside-toplevel

        ansible_test_dir = os.path.dirname(ansible_test.__file__)
    source = os.path.join(ansible_test_dir, '_internal', 'python_requirements.py')
    with open(source) as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    version = match.group(1) if match else '24.2'
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    destination = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    if not os.path.exists(destination):
        shutil.copy(os.path.join(REPO, 'tools', 'get_pip_offline.py'), destination)


def gate_pytest(args, workdir):
    command = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider'] + shlex.split(args.pytest_args or '')
    rc, output = _run(command)
    match = re.findall(r'=+ (.*?) in [0-9.]+s', output)
    counts = dict(passed=0, failed=0, errors=0, skipped=0)
    if match:
        for number, word in re.findall(r'(\d+) (passed|failed|errors?|skipped)', match[-1]):
            counts['errors' if word.startswith('error') else word] += int(number)
    if rc == 5:  # no tests collected is a failure for us
        rc = 1
    if counts['skipped']:
        print('pytest skipped %d test(s): a skipped test is not a pass' % counts['skipped'])
        rc = rc or 1
    return rc, counts


def gate_sanity(args, workdir):
    _install_pip_bootstrap()
    target = _copy_collection(os.path.join(workdir, 'sanity'))
    env = dict(os.environ)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    rc, dummy = _run([_tool('ansible-test'), 'sanity', '--venv', '--python', '3.11', '--color', 'no'], cwd=target, env=env)
    return rc, None


def gate_lint(args, workdir):
    collections = os.path.join(workdir, 'lint-collections')
    os.makedirs(os.path.join(collections, 'ansible_collections', 'qlikcloud'), exist_ok=True)
    os.symlink(REPO, os.path.join(collections, 'ansible_collections', 'qlikcloud', 'platform'))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    rc, dummy = _run([_tool('ansible-lint'), '--profile', 'production', '--offline', '--nocolor'], env=env)
    return rc, None


def gate_docs(args, workdir):
    target = _copy_collection(os.path.join(workdir, 'docs'))
    env = dict(os.environ)
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    rc, dummy = _run([_tool('antsibull-docs'), 'lint-collection-docs', '--plugin-docs', '.'], cwd=target, env=env)
    return rc, None


def gate_changelog(args, workdir):
    rc, dummy = _run([_tool('antsibull-changelog'), 'lint'])
    if not rc:
        rc, dummy = _run([_tool('antsibull-changelog'), 'lint-changelog-yaml', 'changelogs/changelog.yaml'])
    return rc, None


def _build_and_install(galaxy, out):
    """``ansible-galaxy collection build`` into ``out``, then install the tarball into ``out``/collections.

    Returns (tarball, collections path), or None when either step failed (its output is printed)."""
    rc, dummy = _run([galaxy, 'collection', 'build', '--force', '--output-path', out])
    tarball = glob.glob(os.path.join(out, 'qlikcloud-platform-*.tar.gz'))
    if rc or not tarball:
        return None
    collections = os.path.join(out, 'collections')
    rc, dummy = _run([galaxy, 'collection', 'install', '--force', '-p', collections, tarball[0]])
    return None if rc else (tarball[0], collections)


def gate_build(args, workdir):
    built = _build_and_install(_tool('ansible-galaxy'), os.path.join(workdir, 'build'))
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
    for required in ('COPYING', 'CHANGELOG.rst', 'meta/execution-environment.yml', 'meta/runtime.yml'):
        if not os.path.exists(os.path.join(installed, 'ansible_collections', 'qlikcloud', 'platform', required)):
            print('the installed collection has no %s' % required)
            return 1, None
    print('the installed collection has COPYING, CHANGELOG.rst and meta/execution-environment.yml')
    return 0, None


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


def matrix_venv(python, version, core):
    """A venv with only ansible-core ``core``.x and requests (made once, reused while its stamp holds)."""
    venv = os.path.join(REPO, '.venv-matrix', 'core%s-py%s' % (core, version))
    major, minor = core.split('.')
    spec = 'ansible-core>=%s,<%s.%d' % (core, major, int(minor) + 1)
    stamp = os.path.join(venv, '.installed-' + re.sub(r'[^0-9a-z.]+', '_', spec + ' requests>=2.31'))
    if not os.path.exists(stamp):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, '-m', 'venv', venv], check=True)
        subprocess.run([os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '-q',
                        '--disable-pip-version-check', spec, 'requests>=2.31'], check=True)
        open(stamp, 'w').close()
    return venv


def _quick_start(venv, collections, log):
    """The README quick start, verbatim, against an emulator: converge, re-run, a check-mode rotation."""
    from qlik_cloud_emulator import Emulator, EmulatorConfig  # pylint: disable=import-outside-toplevel

    emulator = Emulator(EmulatorConfig(migration_seconds=2.0)).start()  # stop() removes its temporary directory
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'QLIK_', 'VIRTUAL_ENV')))
    env.update(emulator.env())
    env.update(ANSIBLE_COLLECTIONS_PATH=collections,
               PATH=os.path.join(venv, 'bin') + os.pathsep + env.get('PATH', ''), ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOME=os.path.join(collections, '..', 'ansible-home'))
    command = [os.path.join(venv, 'bin', 'ansible-playbook'), '-i', 'examples/inventory.yml',
               'examples/encrypted_tenant.yml']
    steps = (('converge', [], lambda c: c > 0), ('re-run', [], lambda c: c == 0),
             ('check-mode rotation', ['--check', '--diff', '-e', 'kms_key_arn=' + ROTATED_ARN], lambda c: c > 0))
    failures = []
    try:
        for name, extra, expected in steps:
            mark = emulator.last_seq()
            proc = subprocess.run(command + extra, cwd=REPO, env=env, capture_output=True, text=True, check=False)
            changed = [int(n) for n in re.findall(r'acme-prod\s+:.*?changed=(\d+)', proc.stdout)]
            writes = emulator.requests(writes=True, since=mark) if 'check' in name else []
            ok = proc.returncode == 0 and changed and expected(changed[0]) and not writes
            log('  %-20s rc=%s changed=%s writes in check mode=%d: %s' % (
                name, proc.returncode, changed[0] if changed else '?', len(writes), 'ok' if ok else 'FAILED'))
            if not ok:
                failures.append(name)
                log(proc.stdout[-3000:] + proc.stderr[-2000:])
    finally:
        emulator.stop()
    return failures


def gate_matrix(args, workdir):
    """Each (CPython, ansible-core) of MATRIX: its own venv, the tarball installed, sanity, the quick start."""
    failed = []
    for version, core in MATRIX:
        label = 'ansible-core %s on CPython %s' % (core, version)
        print('--- %s' % label, flush=True)
        python = find_python(version)
        if python is None:
            print('CPython %s is missing: neither python%s on the PATH nor under `pyenv root`/versions/%s.*. '
                  'Install it (for example `pyenv install %s`) and run make test again.' % (
                      version, version, version, version))
            failed.append(label)
            continue
        venv = matrix_venv(python, version, core)
        bin_dir = os.path.join(venv, 'bin')
        core_version = subprocess.run([os.path.join(bin_dir, 'python'), '-c', 'import ansible; print(ansible.__version__)'],
                                      capture_output=True, text=True, check=True).stdout.strip()
        print('%s: %s, ansible-core %s' % (label, python, core_version), flush=True)
        out = os.path.join(workdir, 'matrix-' + core)
        built = _build_and_install(os.path.join(bin_dir, 'ansible-galaxy'), out)
        if built is None:
            failed.append(label + ' (build and install)')
            continue
        collections = built[1]
        if (version, core) != MATRIX[0]:  # the sanity gate covers the first entry with the dev venv
            ansible_test = glob.glob(os.path.join(venv, 'lib', 'python*', 'site-packages', 'ansible_test'))[0]
            _install_pip_bootstrap(ansible_test)
            target = _copy_collection(os.path.join(out, 'sanity'))
            env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''))
            rc, dummy = _run([os.path.join(bin_dir, 'ansible-test'), 'sanity', '--venv', '--python', version,
                              '--color', 'no'], cwd=target, env=env, log=lambda text: text[-4000:])
            if rc:
                failed.append(label + ' (sanity)')
        print('README quick start with %s:' % label, flush=True)
        problems = _quick_start(venv, collections, lambda text: print(text, flush=True))
        if problems:
            failed.append('%s (quick start: %s)' % (label, ', '.join(problems)))
    if failed:
        print('matrix failures: %s' % '; '.join(failed))
    return (1 if failed else 0), None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', action='append', choices=GATES, help='run only these gates')
    parser.add_argument('--pytest-args', default='', help='extra pytest arguments')
    args = parser.parse_args()
    selected = args.only or list(GATES)
    workdir = tempfile.mkdtemp(prefix='qlik-gates-')
    outcomes = []
    pytest_counts = None
    try:
        for name in selected:
            print('\n===== gate: %s =====' % name, flush=True)
            started = time.time()
            rc, counts = globals()['gate_' + name](args, workdir)
            if counts is not None:
                pytest_counts = counts
            outcomes.append((name, rc, time.time() - started))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print('\n===== summary =====')
    for name, rc, seconds in outcomes:
        print('%-10s %-6s %6.1fs' % (name, 'ok' if rc == 0 else 'FAILED', seconds))
    gates_failed = sum(1 for outcome in outcomes if outcome[1])
    passed = (pytest_counts or {}).get('passed', 0) + sum(1 for n, rc, dummy in outcomes if rc == 0 and n != 'pytest')
    failed = (pytest_counts or {}).get('failed', 0) + (pytest_counts or {}).get('errors', 0) \
        + sum(1 for n, rc, dummy in outcomes if rc and n != 'pytest')
    if pytest_counts is not None and any(n == 'pytest' and rc for n, rc, dummy in outcomes) and failed == 0:
        failed = 1  # pytest failed without a count (collection error, crash)
    if pytest_counts:
        print('pytest: %(passed)d passed, %(failed)d failed, %(errors)d errors, %(skipped)d skipped' % pytest_counts)
    print('gates: %d of %d ok' % (len(outcomes) - gates_failed, len(outcomes)))
    print('total: %d passed, %d failed' % (passed, failed))
    return 1 if gates_failed else 0


if __name__ == '__main__':
    sys.exit(main())
