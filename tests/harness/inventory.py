"""The qlik_tenants inventory plugin run as ansible-inventory does, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

PLUGIN = 'qlikcloud.platform.qlik_tenants'


class Inventory:
    def __init__(self, emulator, ansible, tmp_path):
        self.emulator = emulator
        self.ansible = ansible
        self.tmp_path = tmp_path
        self.count = 0

    def config(self, **options):
        self.count += 1
        path = self.tmp_path / ('inv-%02d.qlik_tenants.yml' % self.count)
        body = dict(plugin=PLUGIN)
        body.update(options)
        path.write_text(yaml.safe_dump(body))
        return str(path)

    def env(self, extra=None):
        cfg = self.emulator.config
        env = self.ansible.env(dict(QLIK_ORGANIZATION_URL=self.emulator.console_url,
                                    QLIK_SUBSCRIPTION_ID=cfg.subscription_id, QLIK_CLIENT_ID=cfg.client_id,
                                    QLIK_CLIENT_SECRET=cfg.client_secret))
        env.update(extra or {})
        return env

    def run(self, path, *args, env=None):
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', path]
        command += list(args or ['--list'])
        return subprocess.run(command, env=self.env(env), capture_output=True, text=True, timeout=600, check=False)

    def listed(self, path, env=None):
        proc = self.run(path, env=env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return plain(json.loads(proc.stdout)), proc


def plain(value):
    """ansible-inventory's JSON without its ``{"__ansible_unsafe": ...}`` markers: values that came from Qlik
    are untrusted (never templated), which ansible-core 2.19 writes out that way."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
