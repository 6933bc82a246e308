#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_encrypted_tenants
short_description: The fleet step of the encrypted_tenant role - converge the key of every tenant of the play batch at once
version_added: 0.1.0
description:
  - The step that the role C(qlikcloud.platform.encrypted_tenant) runs, once per play batch
    (C(run_once)). For every host of the batch it reads the role's variables as that host sees them
    (host and group vars, the inventory plugin's C(compose), role params and play vars, templated for
    the host), checks them against the role's argument spec, and converges that tenant - find or
    create the tenant, register and validate the key provider, the DR-compliance gate, start the
    migration, wait for it and prune - in a pool of O(threads) threads in the controller's worker
    process, with the same logic as the per-host modules M(qlikcloud.platform.qlik_tenant),
    M(qlikcloud.platform.qlik_key_provider) and M(qlikcloud.platform.qlik_key_migration).
  - Every migration of the batch is started before any is waited for.
  - One tenant failing never fails the step; its host fails in the role's report step, alone.
  - With O(report) (the name of the fleet step's registered result), the per-host report step returns
    this host's entry of it as this host's result (C(changed), C(failed), C(msg), C(diff)), so that PLAY RECAP and C(--diff) show each tenant under
    its own host. The role runs it only on hosts whose tenant changed or failed.
  - Use the role; this module exists for it (it runs only inside the role, as its action plugin).
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.attributes
options:
  threads:
    description:
      - How many tenants are converged at the same time. Each tenant's requests keep their own
        429 handling (C(Retry-After)) and retries.
    type: int
    default: 10
  hosts:
    description: The hosts to converge; default the play batch (C(ansible_play_batch)).
    type: list
    elements: str
  report:
    description:
      - The name of the variable that holds the fleet step's registered result; report this host's entry
        of its RV(tenants) as this host's result.
      - A name, not the value - templating a fleet's result for every host would cost the controller time
        in the square of the number of hosts.
    type: str
attributes:
  check_mode:
    support: full
    details: Every step runs in check mode; nothing is written, and each host's result says what the real run would do.
  diff_mode:
    support: full
    details: Each host's report shows the diff of each of its steps (tenant, key provider, migration and pruning).
notes:
  - The fleet step's own result is never C(changed); the report step carries each host's C(changed).
seealso:
  - module: qlikcloud.platform.qlik_tenant
  - module: qlikcloud.platform.qlik_key_provider
  - module: qlikcloud.platform.qlik_key_migration
'''

EXAMPLES = r'''
# The role runs these two steps; a playbook uses the role:
- name: Put every tenant of the inventory on its key
  hosts: qlik_tenants
  gather_facts: false
  roles:
    - role: qlikcloud.platform.encrypted_tenant
      vars:
        encrypted_tenant_key:
          arn: "{{ kms_key_arn }}"
          name: "{{ kms_key_name }}"
        encrypted_tenant_threads: 20
'''

RETURN = r'''
tenants:
  description: The fleet step - each host's result, by inventory host name.
  returned: by the fleet step
  type: dict
  contains:
    changed:
      description: Whether anything changed (or would change, in check mode) for this tenant.
      type: bool
    failed:
      description: Whether this tenant failed.
      type: bool
    msg:
      description: What happened, or why it failed.
      type: str
    facts:
      description: The role's facts for this host (C(encrypted_tenant_url), C(encrypted_tenant_id), C(encrypted_tenant_key_provider)).
      type: dict
    steps:
      description: The result of each step that ran (C(tenant), C(key_provider), C(start), C(wait)).
      type: dict
  sample: {"acme-prod": {"changed": false, "failed": false, "msg": "on key CMK 01", "facts": {}, "steps": {}}}
facts:
  description: The fleet step - the role's facts of each host that did not fail, by inventory host name.
  returned: by the fleet step
  type: dict
summary:
  description: The fleet step - how many hosts changed, failed and were left as they were.
  returned: by the fleet step
  type: dict
  sample: {"changed": 10, "failed": 2, "ok": 188}
'''

import concurrent.futures
import threading

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import Task, execute, run_module

SPEC = dict(
    argument_spec=dict(
        threads=dict(type='int', default=10),
        hosts=dict(type='list', elements='str'),
        report=dict(type='str'),
    ),
    mutually_exclusive=[('report', 'hosts')],
)
ONLY_IN_THE_ROLE = ('qlikcloud.platform.qlik_encrypted_tenants runs only as the fleet step of the role '
                    'qlikcloud.platform.encrypted_tenant (its action plugin reads every host\'s variables)')
_STEPS = {}


def _steps():
    """The modules whose logic the steps run, each with its argument-spec validator: {name: (module, validator)}.

    Imported here, not at the top: the fleet step runs only in its action plugin, on the controller, where the
    collection's modules are importable; a module process (AnsiballZ) carries only module_utils, and this file's
    module door just says where the step runs."""
    if not _STEPS:
        # pylint: disable=import-outside-toplevel
        from ansible_collections.qlikcloud.platform.plugins.modules import (
            qlik_aws_kms_key, qlik_key_migration, qlik_key_provider, qlik_tenant)
        _STEPS.update(aws_key=qlik_aws_kms_key, tenant=qlik_tenant, key_provider=qlik_key_provider,
                      migration=qlik_key_migration)
        _STEPS.update((name, (module, ArgumentSpecValidator(**module.SPEC))) for name, module in list(_STEPS.items()))
    return _STEPS


class HostFailure(Exception):
    """One host's converge stopped: the message, and the step results so far."""


class _Step(Task):
    """A step's task: its own parameters, the host's check and diff modes, and the host's clients (one per
    host and URL, reused by every step of that host: one token per host, not one per step)."""

    def __init__(self, params, tenant):
        super().__init__(params, check_mode=tenant.check_mode, diff=tenant.diff, progress=tenant.progress)
        self._tenant = tenant

    def client(self, params=None, url_option='tenant_url', mask_tokens=True):
        params = self.params if params is None else params
        key = (url_option, params.get(url_option), params.get('client_id'), params.get('access_token'))
        if key not in self._tenant.clients:
            self._tenant.clients[key] = super().client(params, url_option, mask_tokens)
        return self._tenant.clients[key]


class Tenant:
    """One host's converge: ``settings`` are the role's variables as the host sees them (prefix dropped)."""

    def __init__(self, host, settings, check_mode, diff, progress, secrets=()):
        self.host = host
        self.s = settings
        self.check_mode = check_mode
        self.diff = diff
        self.progress = lambda text: progress(host, text)
        self.clients = {}
        self.secrets = set(s for s in secrets if s)
        self.steps = {}
        self.warnings = []
        self.diffs = []
        self.changed = False
        self.failed = False
        self.msg = ''
        self.url = ''
        self.done = False  # nothing left for the wait phase

    # ------------------------------------------------------------ helpers
    def _text(self, name):
        value = self.s.get(name)
        return value if value not in ('', None) else None

    def step(self, name, kind, params):
        """Run one module's logic for this host; keep its result; raise HostFailure when it failed. A ``None``
        parameter is left out (as the role's tasks gave ``omit``): the module's default or fallback applies."""
        params = dict((k, v) for k, v in params.items() if v is not None)
        module, validator = _steps()[kind]
        validation = validator.validate(params)
        self.secrets.update(validation._no_log_values)  # pylint: disable=protected-access
        if validation.error_messages:
            raise HostFailure('%s step: %s' % (name, validation.errors.msg))
        task = _Step(validation.validated_parameters, self)
        result = execute(module.run, task)
        self.secrets.update(task.masked)
        self.warnings.extend(task.warnings)
        result.pop('invocation', None)
        self.steps[name] = result
        if result.get('changed'):
            self.changed = True
        if result.get('diff'):
            self.diffs.append(dict(result['diff'], before_header='%s (%s)' % (self.host, name),
                                   after_header='%s (%s)' % (self.host, name)))
        if result.get('failed'):
            raise HostFailure('%s: %s' % (self.doing(name), result.get('msg') or 'failed'))
        return result

    def doing(self, step):
        """What ``step`` was doing, for its failure message."""
        if step == 'aws_key':
            return 'ensuring the AWS KMS key'
        target = self.target_name
        return dict(tenant='finding or creating the tenant', key_provider='registering key provider %s' % target,
                    start='migrating the tenant to %s' % target,
                    wait='waiting for the migration to %s' % target).get(step, step)

    def credentials(self):
        """The connection options every step shares (an empty string: the module's environment fallback)."""
        return dict(client_id=self._text('client_id'), client_secret=self._text('client_secret'),
                    ca_path=self._text('ca_path'), validate_certs=self.s.get('validate_certs', True),
                    retries=self.s.get('retries', 5))

    def connection(self, url):
        return dict(self.credentials(), tenant_url=url)

    @property
    def qlik(self):
        return self.s.get('key') == 'qlik'

    @property
    def target_name(self):
        return 'the Qlik-managed key' if self.qlik else self.s['key']['arn'].strip()

    def target(self):
        key = self.s.get('key')
        return dict(qlik_managed=True) if self.qlik else dict(arn=key['arn'].strip())

    # ------------------------------------------------------------ phases
    def check_input(self):
        key = self.s.get('key')
        if not (key == 'qlik' or (isinstance(key, dict) and str(key.get('arn') or '').strip())):
            raise HostFailure("encrypted_tenant_key must be {arn, name, description} or 'qlik', got %s" % (
                type(key).__name__ if key not in (None, '', {}) else 'nothing'))
        if not any(self._text(k) for k in ('url', 'id', 'name', 'license_key', 'source_tenant_url')):
            raise HostFailure('the tenant needs encrypted_tenant_url, encrypted_tenant_id, encrypted_tenant_name or a '
                              'license (encrypted_tenant_license_key / encrypted_tenant_source_tenant_url)')

    def aws_key(self):
        """With create_kms_key: ensure the key in AWS (qlik_aws_kms_key) and make its ARN the key to converge to."""
        host = self.s.get('_host') or {}
        region = self._text('kms_key_region') or self._text('datacenter') or host.get('qlik_tenant_region') or ''
        key = self.s.get('key')
        if not region or not (key in (None, {}) or (isinstance(key, dict) and 'arn' not in key)):
            raise HostFailure(
                'encrypted_tenant_create_kms_key needs the tenant\'s AWS region (encrypted_tenant_kms_key_region or '
                'encrypted_tenant_datacenter, or the inventory\'s qlik_tenant_region), and no encrypted_tenant_key.arn: '
                'the role uses the ARN of the key it ensures (name the key provider with encrypted_tenant_kms_key_name)')
        alias = self._text('kms_key_alias') or 'qlik-%s' % (self._text('name') or host.get('inventory_hostname'))
        made = self.step('aws_key', 'aws_key', dict(
            region=region, dr_region=self._text('kms_key_dr_region'), alias=alias,
            description=self._text('kms_key_description'), aws_profile=self._text('aws_profile'),
            aws_endpoint_url=self._text('aws_endpoint_url')))
        if not made.get('dr_compliant') and not self.check_mode and self.s.get('require_dr_compliant'):
            raise HostFailure('the AWS key %s is not fit for Qlik: %s' % (
                made.get('arn'), '; '.join(made.get('missing') or []) or 'not DR-compliant'))
        # in check mode a key still to be made has no ARN yet: the later steps plan with a stand-in of its form
        stand_in = 'arn:aws:kms:%s:000000000000:key/mrk-00000000000000000000000000000000' % region
        key = key or {}
        self.s['key'] = dict(arn=made.get('arn') or stand_in,
                             name=self._text('kms_key_name') or key.get('name') or alias,
                             description=self._text('kms_key_description') or key.get('description') or '')

    def start(self):
        """(The AWS key,) tenant, key provider, DR gate, start of the migration: everything up to the wait."""
        if self.s.get('create_kms_key'):
            self.aws_key()
        self.check_input()
        self.url = self._text('url') or ''
        if not self.url:
            params = dict((k, self._text(k)) for k in ('registration_url', 'id', 'name', 'hostname', 'datacenter',
                                                       'license_key', 'source_tenant_url'))
            tenant = self.step('tenant', 'tenant', dict(
                self.credentials(), organization=self.s.get('organization') or None,
                reactivate=bool(self.s.get('reactivate')), **params))
            self.url = tenant.get('tenant_url') or ''
            if not self.url:  # check mode: the tenant would be created, so it has no URL yet
                self.msg = self.plan_for_new_tenant()
                self.changed = self.done = True
                return
        provider = None
        if not self.qlik:
            key = self.s['key']
            provider = self.step('key_provider', 'key_provider', dict(
                self.connection(self.url), arn=key['arn'].strip(), name=key.get('name'),
                description=key.get('description'), validate=bool(self.s.get('validate_key', True)),
                require_dr_compliant=bool(self.s.get('require_dr_compliant'))))
        current = provider is not None and provider['key_provider'].get('current')
        prune = bool(self.s.get('prune_key_providers'))
        if not self.s.get('migrate', True) or not (self.qlik or prune or not current):
            self.done = True
            return
        if self.s.get('require_dr_compliant') and provider is not None and not current \
                and provider.get('dr_compliant') is False:
            raise HostFailure('Key %s is not DR-compliant, not migrating: %s' % (
                provider['key_provider'].get('arn'),
                '; '.join(provider.get('compliance_errors') or []) or 'Qlik reports drCompliant=false'))
        if self.qlik or not current:
            started = self.step('start', 'migration', dict(
                self.connection(self.url), validate=False, wait=False,
                require_dr_compliant=bool(self.s.get('require_dr_compliant')),
                wait_timeout=self.s.get('wait_timeout', 3600), **self.target()))
            current = started['key_provider'].get('current')
        self.done = not self.s.get('wait', True) or not (prune or not current)

    def wait(self):
        """Wait for the migration and prune."""
        self.step('wait', 'migration', dict(
            self.connection(self.url), validate=False, wait=True, wait_timeout=self.s.get('wait_timeout', 3600),
            prune=bool(self.s.get('prune_key_providers')), **self.target()))

    def plan_for_new_tenant(self):
        if self.qlik:
            return 'would keep the new tenant on the Qlik-managed key'
        key = self.s['key']
        aws = 'would make the AWS KMS key (%s), then ' % key['arn'] if self.steps.get('aws_key', {}).get('changed') \
            else 'would '
        return '%sregister key provider %s (%s) on the new tenant%s' % (
            aws, key.get('name') or '', key['arn'].strip(),
            ', validate it and migrate the tenant to it' if self.s.get('migrate', True) else '')

    # ------------------------------------------------------------ result
    def summary(self):
        """What was done (or, in check mode, would be done), in one line."""
        steps = self.steps
        done = []
        if steps.get('aws_key', {}).get('changed'):
            done.append('made the AWS KMS key %s' % (steps['aws_key'].get('arn') or 'in %s' % self.s['key']['arn']))
        if steps.get('tenant', {}).get('changed'):
            done.append('updated the tenant')
        if steps.get('key_provider', {}).get('changed'):
            provider = steps['key_provider'].get('key_provider') or {}
            done.append('registered key provider %s (%s)' % (provider.get('name'), provider.get('arn')))
        migrated = [steps[n] for n in ('start', 'wait') if steps.get(n, {}).get('changed')
                    and (steps[n].get('started') or self.check_mode)]
        if migrated:
            target = self.target_name
            done.append('migrated the tenant to %s' % target if self.s.get('wait', True) or self.check_mode
                        else 'started the migration to %s' % target)
        pruned = steps.get('wait', {}).get('pruned') or []
        if pruned:
            names = ', '.join('%s (%s)' % (p.get('name'), p.get('arn')) for p in pruned)
            done.append('deleted key provider(s) %s' % names)
        provider = self.facts()['encrypted_tenant_key_provider']
        now = '%s (%s)' % (provider.get('name') or provider.get('keyprovider'), provider.get('arn') or 'Qlik-managed')
        if not done:
            return 'on key %s: nothing to do' % now
        if self.check_mode:
            return 'would have ' + '; '.join(done) + ' (check mode)'
        return '; '.join(done) + '; now on key %s' % now

    def facts(self):
        last = next((self.steps[n] for n in ('wait', 'start', 'key_provider') if n in self.steps
                     and 'current_key_provider' in self.steps[n]), {})
        tenant = self.steps.get('tenant', {}).get('tenant') or {}
        return dict(encrypted_tenant_url=last.get('tenant_url') or self.url,
                    encrypted_tenant_id=tenant.get('id') or last.get('tenant_id') or self._text('id') or '',
                    encrypted_tenant_key_provider=last.get('current_key_provider') or {})

    def result(self):
        if not self.msg and not self.failed:
            self.msg = self.summary()
        result = dict(changed=self.changed, failed=self.failed, msg=self.msg, facts=self.facts(), steps=self.steps)
        if self.warnings:
            result['warnings'] = self.warnings
        if self.diff:
            result['diff'] = self.diffs
        return remove_values(result, self.secrets)


def _guarded(tenant, phase):
    try:
        phase()
    except HostFailure as exc:
        tenant.failed, tenant.msg, tenant.done = True, str(exc), True
    except Exception as exc:  # pylint: disable=broad-except
        # one tenant's unexpected error must not cost the other tenants their results
        tenant.failed, tenant.done = True, True
        tenant.msg = 'unexpected error: %s: %s' % (type(exc).__name__, exc)


def converge(hosts, check_mode=False, diff=False, threads=10, progress=None, secrets=None):
    """Converge every host of ``hosts`` (name -> the role's settings, prefix dropped, or an error message) in
    ``threads`` (1 or more: the action checks it) threads; return name -> result. Every migration is started
    (phase 1, on every host) before any is waited for (phase 2)."""
    lock = threading.Lock()

    def show(host, text):
        if progress is not None:
            with lock:
                progress(host, text)

    _steps()  # imported once, before the threads
    tenants = {}
    results = {}
    for name, settings in hosts.items():
        if isinstance(settings, str):
            results[name] = dict(changed=False, failed=True, msg=settings, facts={}, steps={})
        else:
            tenants[name] = Tenant(name, settings, check_mode, diff, show, (secrets or {}).get(name, ()))
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(threads, max(1, len(tenants)))) as pool:
        list(pool.map(lambda t: _guarded(t, t.start), tenants.values()))
        list(pool.map(lambda t: _guarded(t, t.wait), [t for t in tenants.values() if not t.done]))
    results.update((name, tenant.result()) for name, tenant in tenants.items())
    return results


def run(task):
    raise ValueError(ONLY_IN_THE_ROLE)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
