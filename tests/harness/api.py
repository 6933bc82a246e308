"""Raw HTTP to an emulator host, for tests of the emulator itself (what Qlik's own clients would send)."""

from __future__ import annotations

import requests


class Http:
    """requests to one host of ``emulator`` (default: the source tenant), with a token of the emulator's default
    client unless ``token`` is false. ``http.get(path, ...)``, ``http.post(...)``: any method, as requests takes it."""

    def __init__(self, emulator, url=None, token=True):
        self.url = url or emulator.source_tenant_url
        self.session = requests.Session()
        self.session.verify = emulator.ca_path
        self.session.trust_env = False
        if token:
            cfg = emulator.config
            answer = self.session.post(self.url + '/oauth/token', json=dict(
                client_id=cfg.client_id, client_secret=cfg.client_secret, grant_type='client_credentials'))
            assert answer.status_code == 200, answer.text
            self.session.headers['Authorization'] = 'Bearer ' + answer.json()['access_token']

    def __getattr__(self, method):
        return lambda path, **kw: self.session.request(method.upper(), self.url + path, **kw)
