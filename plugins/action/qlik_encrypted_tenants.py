# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs qlikcloud.platform.qlik_encrypted_tenants, the fleet step of the encrypted_tenant role.

The fleet step runs once per play batch (``run_once``) and converges every host's tenant in threads
(the logic: plugins/modules/qlik_encrypted_tenants.py). What is Ansible's lives here: each host's inputs are
the role's variables as a per-host task would see them (``VariableManager.get_vars`` for that host and this
task: host and group vars, the inventory's compose, role defaults, vars and params, play vars, extra vars),
templated for that host and checked against the role's own argument spec (meta/argument_specs.yml), so one
host's bad input fails that host alone. The report step (``report``: the name of the variable the fleet step registered) shows each host its own part,
so that PLAY RECAP, ``--diff``, warnings and failures show under the right host.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.template import Templar
from ansible.utils.display import Display

from ansible_collections.qlikcloud.platform.plugins.modules import qlik_encrypted_tenants as module
from ansible_collections.qlikcloud.platform.plugins.plugin_utils.action import QlikAction, environment

display = Display()
PREFIX = 'encrypted_tenant_'
_ROLE_SPECS = {}


def _role_options(role_path):
    """The options of the role's ``main`` entry point, from its meta/argument_specs.yml (read once per process)."""
    if role_path not in _ROLE_SPECS:
        with open(os.path.join(role_path, 'meta', 'argument_specs.yml')) as handle:
            options = yaml.safe_load(handle)['argument_specs']['main']['options']
        _ROLE_SPECS[role_path] = (options, ArgumentSpecValidator(options))
    return _ROLE_SPECS[role_path]


def _secrets(values):
    found = [values.get(PREFIX + 'client_secret'), values.get(PREFIX + 'license_key')]
    organization = values.get(PREFIX + 'organization')
    if isinstance(organization, dict):
        found.append(organization.get('client_secret'))
    return [s for s in found if s and isinstance(s, str)]


class ActionModule(QlikAction):
    module = module

    def run(self, tmp=None, task_vars=None):
        result = super(QlikAction, self).run(tmp, task_vars)  # pylint: disable=bad-super-call
        validation = self._validator.validate(self._task.args)
        if validation.error_messages:
            result.update(failed=True, changed=False, msg=validation.errors.msg)
            return result
        params = validation.validated_parameters
        if params['report'] is not None:
            return self._report(result, task_vars.get(params['report']), task_vars)
        role = getattr(self._task, '_role', None)
        if role is None:
            result.update(failed=True, changed=False, msg=module.ONLY_IN_THE_ROLE)
            return result
        if params['threads'] < 1:
            result.update(failed=True, changed=False, msg='threads must be 1 or more, got %r' % params['threads'])
            return result
        hosts = params['hosts'] or list(task_vars.get('ansible_play_batch') or [task_vars['inventory_hostname']])
        settings, secrets = self._settings(role, hosts, task_vars)
        with environment(self._task_environment()):
            tenants = module.converge(settings, check_mode=self._task.check_mode, diff=self._task.diff,
                                      threads=params['threads'], secrets=secrets,
                                      progress=lambda host, text: display.display('%s: %s' % (host, text)))
        failed = sum(1 for r in tenants.values() if r['failed'])
        changed = sum(1 for r in tenants.values() if r['changed'] and not r['failed'])
        # the facts apart, by host (only hosts that did not fail): what the facts step loops over, item by item
        facts = dict((name, r['facts']) for name, r in tenants.items() if not r['failed'])
        result.update(changed=False, tenants=tenants, facts=facts,
                      summary=dict(changed=changed, failed=failed, ok=len(tenants) - changed - failed))
        return result

    def _settings(self, role, hosts, task_vars):
        """Each host's settings (the role's options as that host sees them, prefix dropped), or the message of
        why they are not valid; and each host's secrets."""
        options, validator = _role_options(role._role_path)  # pylint: disable=protected-access
        manager = self._task.get_variable_manager() if hasattr(self._task, 'get_variable_manager') \
            else self._task._variable_manager  # pylint: disable=protected-access
        inventory = manager._inventory  # pylint: disable=protected-access
        play = self._task.get_play()
        settings, secrets = {}, {}
        for name in hosts:
            host = inventory.get_host(name)
            first = name == task_vars.get('inventory_hostname')
            variables = task_vars if first else manager.get_vars(
                play=play, host=host, task=self._task, _hosts=task_vars.get('ansible_play_hosts'),
                _hosts_all=task_vars.get('ansible_play_hosts_all'))
            templar = Templar(loader=self._loader, variables=variables)
            if not first:
                applies = self._applies(templar, variables)
                if applies is not True:
                    if applies:  # a message: the conditions could not be evaluated for this host
                        settings[name] = applies
                    continue
            values = {}
            try:
                for option in options:
                    if option in variables:
                        values[option] = templar.template(variables[option])
            except Exception as exc:  # pylint: disable=broad-except
                settings[name] = '%s: %s' % (option, exc)
                continue
            secrets[name] = _secrets(values)
            validation = validator.validate(values)
            if validation.error_messages:
                settings[name] = 'the role encrypted_tenant: %s' % '; '.join(validation.error_messages)
                continue
            settings[name] = dict((k[len(PREFIX):], v) for k, v in validation.validated_parameters.items())
            # what the role reads beyond its own options: the host's name and the inventory's region
            settings[name]['_host'] = dict(inventory_hostname=name, qlik_tenant_region=templar.template(
                variables.get('qlik_tenant_region') or ''))
        return settings, secrets

    def _applies(self, templar, variables):
        """Whether the role runs on this host: the ``when`` of this task and of every block, import and include
        above it, evaluated for the host. A ``run_once`` task evaluates them for the first host only, and an
        ``include_role`` with ``when`` leaves the other hosts in the play batch: without this, the fleet step would
        converge hosts the play did not apply the role to. True, False, or why it cannot tell."""
        node = self._task
        try:
            while node is not None:
                if getattr(node, 'when', None) and not self._holds(node, templar, variables):
                    return False
                node = getattr(node, '_parent', None)
        except Exception as exc:  # pylint: disable=broad-except
            return 'could not tell whether the role applies to this host (its conditions failed: %s)' % exc
        return True

    @staticmethod
    def _holds(node, templar, variables):
        """``node``'s ``when`` for the host whose ``variables`` ``templar`` holds."""
        if hasattr(templar, 'evaluate_conditional'):  # ansible-core 2.19 and later
            return all(templar.evaluate_conditional(condition) for condition in node.when)
        return node.evaluate_conditional(templar, variables)  # before 2.19: the Conditional mixin

    @staticmethod
    def _report(result, registered, task_vars):
        """This host's entry of the fleet step's registered result, as this host's result."""
        host = task_vars['inventory_hostname']
        if not isinstance(registered, Mapping) or 'tenants' not in registered:
            # the fleet step was skipped: it runs once for the batch, so a when on the role was evaluated for the
            # first host only
            first = (task_vars.get('ansible_play_batch') or [host])[0]
            result.update(failed=True, changed=False, msg=(
                'the fleet step did not run: it runs once for the play batch, and a when on the role was false for '
                'the first host of the batch (%s). Apply the role with ansible.builtin.include_role (its when is '
                'evaluated for each host), or choose the hosts in the play\'s hosts: pattern' % first))
            return result
        mine = registered['tenants'].get(host)
        if mine is None:
            result.update(failed=True, changed=False, msg='the fleet step converged no tenant for host %s' % host)
            return result
        # the steps' results stay in the fleet step's result (registered, and shown with -v): a host's report
        # carries what Ansible shows of it
        result.update((k, v) for k, v in mine.items() if k not in ('facts', 'steps') and (k != 'diff' or v))
        return result
