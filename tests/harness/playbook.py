"""Run a generated playbook with real ``ansible-playbook`` and read back what happened."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import yaml

from tests.harness.collection import recap

HERE = os.path.dirname(os.path.abspath(__file__))


def _run_and_kill(command, env, cwd, kill_after=None, kill_when=None, timeout=300):
    """Start ``command`` in its own process group and SIGKILL the whole group after ``kill_after`` s, or as soon as
    ``kill_when()`` is true (polled; the run is given ``timeout`` s to get there)."""
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + (kill_after if kill_after is not None else timeout)
    while proc.poll() is None and time.monotonic() < deadline and not (kill_when is not None and kill_when()):
        time.sleep(0.02)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    stdout, stderr = proc.communicate()
    return SimpleNamespace(returncode=proc.returncode, stdout=stdout, stderr=stderr)


class PlaybookRun:
    """The outcome of one ``ansible-playbook`` run."""

    def __init__(self, rc, stdout, stderr, results):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def _matching(self, name, host):
        # tasks of a role are reported as "<role> : <name>"
        return [r for r in self.results if (r['task'] == name or r['task'].endswith(' : ' + name))
                and (host is None or r['host'] == host)]

    def task(self, name, host=None):
        """The (last) result of the task called ``name``."""
        found = self._matching(name, host)
        if not found:
            raise AssertionError('no result for task %r; tasks: %s\n%s' % (
                name, [r['task'] for r in self.results], self.output()))
        return found[-1]['result']

    def status(self, name, host=None):
        found = self._matching(name, host)
        return found[-1]['status'] if found else None

    def output(self):
        return 'rc=%s\nSTDOUT:\n%s\nSTDERR:\n%s' % (self.rc, self.stdout[-6000:], self.stderr[-3000:])

    def recap(self):
        """``{host: {'ok': n, 'changed': n, 'failed': n, ...}}`` from the PLAY RECAP."""
        return recap(self.stdout)


class Ansible:
    """Runs playbooks against an emulator (None: no emulator, e.g. AWS-only tests) with the collection from the
    working tree. No AWS_* variable of the caller's environment reaches a playbook (tests never reach AWS): pass
    the moto fixture's ``env()`` as ``env``."""

    def __init__(self, emulator, collections_path, workdir):
        self.emulator = emulator
        self.collections_path = collections_path
        self.workdir = workdir
        self._count = itertools.count(1)  # thread-safe: tests run plays concurrently

    def env(self, extra=None):
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections_path,
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='qlik_record',
            ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
            ANSIBLE_RETRY_FILES_ENABLED='False',
            ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_DEPRECATION_WARNINGS='False',
            ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, 'ansible-tmp'),
            ANSIBLE_HOME=os.path.join(self.workdir, 'ansible-home'),
        )
        if self.emulator is not None:
            env['QLIK_CA_PATH'] = self.emulator.ca_path
        for name in [n for n in env if n.startswith('AWS_')]:
            del env[name]
        # no ANSIBLE_PYTHON_INTERPRETER: the collection's tasks run in the controller's own Python
        for name in ('QLIK_TENANT_URL', 'QLIK_ACCESS_TOKEN', 'QLIK_CLIENT_ID', 'QLIK_CLIENT_SECRET',
                     'ANSIBLE_PYTHON_INTERPRETER'):
            env.pop(name, None)
        env.update(extra or {})
        return env

    def connection(self, tenant=None):
        """Module arguments to reach ``tenant`` (default: the source tenant) with the OAuth client."""
        cfg = self.emulator.config
        url = self.emulator.url(tenant) if tenant is not None else self.emulator.source_tenant_url
        return dict(tenant_url=url, client_id=cfg.client_id, client_secret=cfg.client_secret)

    def run(self, tasks=None, play=None, check=False, diff=False, extra_args=(), env=None, inventory=None,
            timeout=300, playbook_vars=None, hosts='localhost', gather_facts=False, forks=None, kill_after=None,
            kill_when=None):
        """Write one play (``tasks`` on localhost, or a full ``play`` dict) and run it.

        A play on ``localhost`` gets ``connection: local`` for the ansible.builtin modules some tests
        use beside the collection's; the collection's own tasks need no connection at all.

        ``kill_after``: SIGKILL ansible-playbook and everything it started after that many seconds; ``kill_when``: as
        soon as that callable returns true (a point of the run a test waits for, instead of a fixed time).
        """
        name = 'play-%03d' % next(self._count)
        if play is None:
            play = dict(name=name, hosts=hosts, gather_facts=gather_facts, tasks=tasks)
            play_vars = dict(playbook_vars or {})
            if hosts == 'localhost':
                # for the ansible.builtin modules (uri) that some tests run beside the collection's tasks,
                # which need neither a connection nor an interpreter
                play['connection'] = 'local'
                play_vars.setdefault('ansible_python_interpreter', sys.executable)
            if play_vars:
                play['vars'] = play_vars
        path = os.path.join(self.workdir, name + '.yml')
        with open(path, 'w') as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        results_path = os.path.join(self.workdir, name + '.results.jsonl')
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), path]
        command += ['-i', inventory or 'localhost,']
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        if forks:
            command += ['--forks', str(forks)]
        command += list(extra_args)
        proc_env = self.env(dict(env or {}, QLIK_TEST_RESULTS=results_path))
        if kill_after is None and kill_when is None:
            proc = subprocess.run(command, env=proc_env, capture_output=True, text=True, timeout=timeout,
                                  cwd=self.workdir, check=False)
        else:
            proc = _run_and_kill(command, proc_env, self.workdir, kill_after, kill_when, timeout)
        results = []
        if os.path.exists(results_path):
            with open(results_path) as handle:
                results = [json.loads(line) for line in handle if line.strip()]
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)
