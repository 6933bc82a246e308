"""The floor of the benchmark: the HTTP calls the role makes for a fleet, from one plain Python process.

    python bench/floor.py TENANTS.json first|noop|mixed

TENANTS.json: {"urls": [...], "ca_path": ..., "client_id": ..., "client_secret": ..., "arn": ...}. Ten
threads, one pooled requests session per tenant, no Ansible, no validation of input, no retries: what the
job costs when only HTTP is left. Like the role's fleet step, it starts every migration before it waits for
any (phase 1: token, list, create, test, migrate; phase 2: poll the details every 0.5 s, then list).
A no-op is phase 1's token and list only.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time

import requests

ENC = '/api/v1/encryption/keyproviders'


class Tenant:
    def __init__(self, url, spec):
        self.url = url
        self.spec = spec
        self.session = requests.Session()
        self.headers = {}
        self.started = False

    def call(self, method, path, **kwargs):
        response = self.session.request(method, self.url + path, headers=self.headers, verify=self.spec['ca_path'],
                                        **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def start(self):
        token = self.call('POST', '/oauth/token', json=dict(
            client_id=self.spec['client_id'], client_secret=self.spec['client_secret'],
            grant_type='client_credentials'))['access_token']
        self.headers = {'Authorization': 'Bearer ' + token}
        listed = self.call('GET', ENC + '/actions/list')
        providers = listed.get('data', []) if isinstance(listed, dict) else listed
        mine = [p for p in providers if p.get('arn') == self.spec['arn']]
        if mine and mine[0].get('current'):
            return
        if mine:
            fingerprint = mine[0]['arnFingerPrint']
        else:
            fingerprint = self.call('POST', ENC, json=dict(arn=self.spec['arn'], name='bench key',
                                                           keyprovider='AWS-KMS'))['arnFingerPrint']
        self.call('POST', '%s/%s/actions/test' % (ENC, fingerprint))
        self.call('POST', '%s/%s/actions/migrate' % (ENC, fingerprint))
        self.started = True

    def wait(self):
        while self.call('GET', ENC + '/migration/actions/details')['state'] != 'Completed':
            time.sleep(0.5)
        self.call('GET', ENC + '/actions/list')


def main():
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    tenants = [Tenant(url, spec) for url in spec['urls']]
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(Tenant.start, tenants))
        list(pool.map(Tenant.wait, [t for t in tenants if t.started]))


if __name__ == '__main__':
    main()
