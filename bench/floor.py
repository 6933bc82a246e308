"""The floor of the benchmark: the HTTP calls the role makes for a fleet, from one plain Python process.

    python bench/floor.py TENANTS.json first|noop

TENANTS.json: {"urls": [...], "ca_path": ..., "client_id": ..., "client_secret": ..., "arn": ...}. Ten
threads, one requests session each, no Ansible: what the job costs when only HTTP is left.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time

import requests

ENC = '/api/v1/encryption/keyproviders'


def converge(url, spec, first):
    session = requests.Session()
    verify = spec['ca_path']
    token = session.post(url + '/oauth/token', verify=verify, json=dict(
        client_id=spec['client_id'], client_secret=spec['client_secret'],
        grant_type='client_credentials')).json()['access_token']
    headers = {'Authorization': 'Bearer ' + token}
    session.get(url + ENC + '/actions/list', headers=headers, verify=verify).raise_for_status()
    if not first:
        return
    created = session.post(url + ENC, headers=headers, verify=verify,
                           json=dict(arn=spec['arn'], name='bench key', keyprovider='AWS-KMS')).json()
    fingerprint = created['arnFingerPrint']
    session.post('%s%s/%s/actions/test' % (url, ENC, fingerprint), headers=headers, verify=verify).raise_for_status()
    session.post('%s%s/%s/actions/migrate' % (url, ENC, fingerprint), headers=headers,
                 verify=verify).raise_for_status()
    while session.get(url + ENC + '/migration/actions/details', headers=headers,
                      verify=verify).json()['state'] != 'Completed':
        time.sleep(0.5)
    session.get(url + ENC + '/actions/list', headers=headers, verify=verify).raise_for_status()


def main():
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    first = sys.argv[2] == 'first'
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        for future in [pool.submit(converge, url, spec, first) for url in spec['urls']]:
            future.result()


if __name__ == '__main__':
    main()
