"""Secrets a test passes to its plays the way a pipeline does (``-e @file``, never in a playbook), and the
check that none of them shows in the output or the emulator's request log."""

from __future__ import annotations

import json

import requests

SECRETS = dict(s_password='pw-first-0a1b2c3d', s_second='pw-second-4e5f6a7b', s_conn_secret='cs-9c8d7e6f5a4b',
               s_third='pw-third-1f2e3d4c')


def vault(tmp_path, values=None):
    """``-e @file`` with the secrets, so that they are in no playbook file: tasks name them as templates."""
    path = tmp_path / 'vault.json'
    path.write_text(json.dumps(values or SECRETS))
    return ['-e', '@%s' % path]


def no_secret_in(run, emulator, values=None):
    text = run.stdout + run.stderr + json.dumps(emulator.requests())
    leaked = [k for k, v in (values or SECRETS).items() if v in text]
    assert not leaked, 'secrets %s in the output or the request log' % leaked


def api_session(emulator):
    """A requests session with a token of the emulator's client for the source tenant (raw API calls)."""
    token = requests.post(emulator.source_tenant_url + '/oauth/token', timeout=10, verify=emulator.ca_path, json=dict(
        client_id=emulator.config.client_id, client_secret=emulator.config.client_secret,
        grant_type='client_credentials')).json()['access_token']
    session = requests.Session()
    session.trust_env = False
    session.verify = emulator.ca_path
    session.headers['Authorization'] = 'Bearer ' + token
    return session
