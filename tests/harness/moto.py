"""A moto server standing in for AWS (KMS, STS, ...) in tests: ``moto_server`` in a process of its own.

    server = MotoServer(workdir).start()     # a free port on 127.0.0.1; waits until it answers
    server.url                               # 'http://127.0.0.1:<port>': aws_endpoint_url, --kms-endpoint
    server.client('eu-west-1')               # a boto3 KMS client of that region (fake keys, no ~/.aws read)
    server.client('eu-west-1', 'sts')        # any other service
    server.env()                             # environment for a child process (ansible-playbook, an emulator)
    server.env(endpoint=True)                # ... that also sends its boto3 calls to the server
    mark = server.last_seq()
    ...                                      # run something
    server.requests(since=mark)              # [{seq, service, region, operation, body}], in order
    server.writes(since=mark)                # [(region, operation)] of the calls that are not reads
    server.kms_state()                       # what moto holds of KMS (keys, policies, aliases), to compare
    server.reset()                           # forget every resource (the fixture ``aws`` does it per test)
    server.stop()

One server serves every region: moto picks the backend by the region in each request's signature, so clients of
two regions with the same endpoint see two regions. The request log is moto's own recorder
(``MOTO_ENABLE_RECORDING``, a JSON line per request in ``MOTO_RECORDER_FILEPATH``), in the server's process.

The fixtures (tests/conftest.py): ``moto_server`` (session: one process) and ``aws`` (per test: the same server,
reset, request log emptied).

moto's divergences from AWS that matter for KMS are in /work/shared/api-docs/aws-kms-for-qlik-cmk.md, section 6;
``kms_state`` leaves out ``MultiRegionKeyType``, which moto rewrites when a replica is merely described.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ACCESS_KEY_ID = 'testing'
SECRET_ACCESS_KEY = 'testing'
ACCOUNT_ID = '123456789012'   # moto's default account
READ_PREFIXES = ('Describe', 'Get', 'List')
START_SECONDS = 30.0


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class MotoServer:
    """``moto_server`` on a free loopback port, with its request log under ``workdir``."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, 'moto-requests.jsonl')
        self.config_file = os.path.join(workdir, 'aws-config')
        self.credentials_file = os.path.join(workdir, 'aws-credentials')
        self.url = None
        self.account_id = ACCOUNT_ID
        self._process = None
        self._output = None

    # life cycle

    def start(self):
        for path in (self.config_file, self.credentials_file, self.log_path):
            open(path, 'w').close()   # empty AWS files: nothing of ~/.aws is read
        binary = os.path.join(os.path.dirname(sys.executable), 'moto_server')
        env = dict(self.env(), MOTO_ENABLE_RECORDING='true', MOTO_RECORDER_FILEPATH=self.log_path)
        for attempt in range(3):   # the port is free when probed; another process may take it before moto does
            port = _free_port()
            self._output = open(os.path.join(self.workdir, 'moto-server.log'), 'w')
            self._process = subprocess.Popen([binary, '-H', '127.0.0.1', '-p', str(port)], env=env,
                                             stdout=self._output, stderr=subprocess.STDOUT)
            self.url = 'http://127.0.0.1:%d' % port
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError('moto_server did not start; see %s' % os.path.join(self.workdir, 'moto-server.log'))

    def _wait_ready(self):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                self._api('GET', '/moto-api/data.json')
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._output is not None:
            self._output.close()
            self._output = None

    def reset(self):
        """Forget every AWS resource and empty the request log."""
        self._api('POST', '/moto-api/reset')
        self._api('POST', '/moto-api/recorder/reset-recording')

    def _api(self, method, path):
        request = urllib.request.Request(self.url + path, method=method, data=b'' if method == 'POST' else None)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read()

    # talking to it

    def env(self, endpoint=False):
        """Environment for a process that talks to this server with boto3: fake keys, empty AWS files (no
        ~/.aws read), no instance metadata lookups; ``endpoint=True`` also points boto3 at the server."""
        env = dict(AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
                   AWS_CONFIG_FILE=self.config_file, AWS_SHARED_CREDENTIALS_FILE=self.credentials_file,
                   AWS_EC2_METADATA_DISABLED='true')
        if endpoint:
            env['AWS_ENDPOINT_URL'] = self.url
        return env

    def client(self, region, service='kms'):
        """A boto3 client of ``service`` in ``region`` on this server (no AWS file or variable is read)."""
        import boto3  # pylint: disable=import-outside-toplevel
        import botocore.session  # pylint: disable=import-outside-toplevel

        core = botocore.session.Session()
        core.set_config_variable('config_file', self.config_file)
        core.set_config_variable('credentials_file', self.credentials_file)
        session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                        region_name=region, botocore_session=core)
        return session.client(service, endpoint_url=self.url)

    # what it saw and holds

    def requests(self, since=0):
        """Every AWS request the server received after sequence number ``since``: ``{seq, service, region,
        operation, body}`` (``body``: the decoded JSON of a JSON-protocol call such as KMS, else the raw text)."""
        out = []
        with open(self.log_path) as handle:
            lines = [line for line in handle if line.strip()]
        for seq, line in enumerate(lines, 1):
            entry = json.loads(line)
            headers = dict((k.lower(), v) for k, v in entry['headers'].items())
            scope = headers.get('authorization', '').partition('Credential=')[2].split(',')[0].split('/')
            if seq <= since or len(scope) < 4:
                continue   # not signed: moto's own API
            body = entry.get('body') or ''
            if entry.get('body_encoded'):
                body = base64.b64decode(body).decode('utf-8', 'replace')
            target = headers.get('x-amz-target', '')
            operation = target.rpartition('.')[2] if target else _query_action(body)
            try:
                body = json.loads(body) if target else body
            except ValueError:
                pass
            out.append(dict(seq=seq, service=scope[3], region=scope[2], operation=operation, body=body))
        return out

    def last_seq(self):
        with open(self.log_path) as handle:
            return sum(1 for line in handle if line.strip())

    def writes(self, since=0):
        """``[(region, operation)]`` of the requests after ``since`` that are not reads (Describe*, Get*, List*)."""
        return [(r['region'], r['operation']) for r in self.requests(since)
                if not r['operation'].startswith(READ_PREFIXES)]

    def kms_state(self):
        """What moto holds of KMS in every region: keys (state, description, policy, rotation, multi-Region
        configuration without ``MultiRegionKeyType``), their tags (ListResourceTags, a read in the request log)
        and aliases, from moto's ``/moto-api/data.json``."""
        data = json.loads(self._api('GET', '/moto-api/data.json')).get('kms') or {}
        keys = []
        for key in data.get('Key') or []:
            key = dict(key, tags=self.client(key['region']).list_resource_tags(KeyId=key['id'])['Tags'])
            configuration = dict(key.get('multi_region_configuration') or {})
            configuration.pop('MultiRegionKeyType', None)   # rewritten by moto when a replica is described
            key['multi_region_configuration'] = configuration
            key['policy'] = json.loads(key['policy']) if key.get('policy') else None
            keys.append(key)
        return dict(keys=sorted(keys, key=lambda k: k['arn']),
                    aliases=sorted(json.dumps(a, sort_keys=True, default=str) for a in data.get('Alias') or []))


def _query_action(body):
    for part in body.split('&'):
        name, dummy, value = part.partition('=')
        if name == 'Action':
            return value
    return ''
