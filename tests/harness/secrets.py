"""Helpers for tests of OAuth clients, their secrets and the rotate_client_secret role."""

from __future__ import annotations

import json
import sys
import threading

import requests

CLIENTS = '/api/v1/oauth-clients'
ROTATION_ROLE = 'qlikcloud.platform.rotate_client_secret'
DAY = 86400


def make_client(emulator, name='pipeline', age_days=0, tenant=None):
    """An OAuth client made directly in the emulator, its first secret ``age_days`` old; returns (id, secret)."""
    tenant = tenant or emulator.source_tenant
    client, secret = emulator.model.credentials.create_client(
        tenant, dict(clientName=name, appType='web', allowedGrantTypes=['client_credentials'],
                     allowedScopes=['admin_classic']), 'setup')
    client.secrets[0].created -= age_days * DAY
    return client.client_id, secret


def held(emulator, client_id, tenant=None):
    """The emulator's record of the OAuth client (its ``secrets`` hold the values)."""
    return emulator.model.credentials.client(tenant or emulator.source_tenant, client_id)


def hint_of(emulator, client_id, value, tenant=None):
    """The hint of the client's secret ``value`` (what a pipeline stores beside the secret), or None."""
    return next((s.hint for s in held(emulator, client_id, tenant).secrets if s.value == value), None)


def exchange(emulator, client_id, secret, tenant=None):
    """Status of a token exchange with ``client_id``/``secret`` on the tenant host."""
    url = emulator.url(tenant or emulator.source_tenant) + '/oauth/token'
    return requests.post(url, json=dict(client_id=client_id, client_secret=secret, grant_type='client_credentials'),
                         verify=emulator.ca_path, timeout=10).status_code


def rotation_play(emulator, client_id, secret, hint=None, **extra):
    """A play of the rotate_client_secret role on localhost for the source tenant's client ``client_id``."""
    variables = dict(rotate_client_secret_tenant_url=emulator.source_tenant_url, rotate_client_secret_client_id=client_id,
                     rotate_client_secret_client_secret=secret)
    if hint is not None:
        variables['rotate_client_secret_client_secret_hint'] = hint
    variables.update(extra)
    # the role needs no connection; the handover tasks below copy a file on this machine
    return dict(name='rotate', hosts='localhost', gather_facts=False, connection='local',
                vars=dict(ansible_python_interpreter=sys.executable), roles=[dict(role=ROTATION_ROLE, vars=variables)])


def handover(workdir, fail=False):
    """A handover task file that stores the new secret in ``workdir/vault`` and its hint in ``workdir/vault.hint``
    (``fail``: then fails, as a read-only vault would)."""
    path = workdir / ('handover-fail.yml' if fail else 'handover.yml')
    tasks = [dict(name='Store the new secret', no_log=True, **{'ansible.builtin.copy': dict(
        content='{{ rotate_client_secret_secret }}', dest=str(workdir / 'vault'), mode='0600')}),
        dict(name='Store its hint', **{'ansible.builtin.copy': dict(
            content='{{ rotate_client_secret_hint }}', dest=str(workdir / 'vault.hint'), mode='0600')})]
    if fail:
        tasks.append(dict(name='The vault is read-only', **{'ansible.builtin.fail': dict(msg='vault refused')}))
    path.write_text(json.dumps(tasks))
    return str(path)


def stored(workdir):
    """(secret, hint) the handover stored, or (None, None)."""
    vault = workdir / 'vault'
    return (vault.read_text(), (workdir / 'vault.hint').read_text()) if vault.exists() else (None, None)


def working_secret(emulator, client_id, candidates):
    """Which of ``candidates`` the client accepts now (checked with fault injection off), or None."""
    saved = emulator.config.fault_rate
    emulator.config.update(dict(fault_rate=0.0))
    try:
        return next((c for c in candidates if c and exchange(emulator, client_id, c) == 200), None)
    finally:
        emulator.config.update(dict(fault_rate=saved))


def rotate_as_a_pipeline(ansible, emulator, client_id, first, workdir, attempts=3, env=None, **role_vars):
    """Run the role as a pipeline does: each run with the secret that works now (the stored one, else ``first``) and
    its hint, a failed run run again, up to ``attempts`` times (``env``: of every run). Returns the runs; stops early
    when no secret works."""
    secrets_file = workdir / 'secrets.json'
    play = rotation_play(emulator, client_id, '{{ s_old }}', '{{ s_hint }}', rotate_client_secret_handover=handover(workdir),
                         **role_vars)
    runs = []
    for dummy in range(attempts):
        usable = working_secret(emulator, client_id, [stored(workdir)[0], first])
        if usable is None:
            break
        secrets_file.write_text(json.dumps(dict(s_old=usable, s_hint=hint_of(emulator, client_id, usable))))
        runs.append(ansible.run(play=play, extra_args=['-e', '@%s' % secrets_file], env=env))
        if runs[-1].rc == 0:
            break
    return runs


def secrets_file_for(workdir, emulator, client_id, value):
    """Extra arguments that give the role ``value`` and its hint (as a pipeline's store would)."""
    path = workdir / 'secrets.json'
    path.write_text(json.dumps(dict(s_old=value, s_hint=hint_of(emulator, client_id, value))))
    return ['-e', '@%s' % path]


def rotate_twice_at_once(emulator, ansible, workdir):
    """Two runs of the role on one client at the same time, with the same stored secret and store; returns
    (client id, the first secret, the two runs)."""
    client_id, old = make_client(emulator, name=workdir.name, age_days=120)
    args = secrets_file_for(workdir, emulator, client_id, old)
    play = rotation_play(emulator, client_id, '{{ s_old }}', '{{ s_hint }}', rotate_client_secret_handover=handover(workdir))
    runs = [None, None]

    def rotate(slot):
        runs[slot] = ansible.run(play=play, extra_args=args)

    threads = [threading.Thread(target=rotate, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return client_id, old, runs
