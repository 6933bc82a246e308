"""The module door: every module's main() runs the same logic as the action door, against the emulator.

Each case runs the module's ``main()`` (AnsibleModule, as a module process would) and the logic
directly with a Task of the same parameters, and compares the two results; one real write checks
what the emulator holds afterwards, and that tokens never reach the module's output.
"""

from __future__ import annotations

import importlib
import json

import pytest

from tests.harness.doors import MODULES, connection, logic_door, module_door, without_invocation

ARN = 'arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4f067e0987c7612a4560'


@pytest.mark.parametrize('name', ['qlik_key_provider_info', 'qlik_key_migration_info'])
def test_read_modules_answer_the_same_through_both_doors(emulator, capsys, name):
    args = connection(emulator)
    by_module = module_door(name, args, capsys)
    by_logic, task = logic_door(name, args)
    assert without_invocation(by_module) == by_logic
    assert by_module['invocation']['module_args']['client_secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    for token in emulator.model.tokens:
        assert token not in json.dumps(by_module)
    assert task.masked and task.masked <= set(emulator.model.tokens)  # the logic's token is registered to be masked


def test_check_mode_plans_agree_and_a_real_write_lands(emulator, capsys):
    args = dict(connection(emulator), arn=ARN, name='door key', description='via main()')
    mark = emulator.last_seq()
    by_module = module_door('qlik_key_provider', args, capsys, check_mode=True)
    by_logic, dummy = logic_door('qlik_key_provider', args, check_mode=True)
    assert without_invocation(by_module) == by_logic
    assert by_module['changed'] is True and emulator.requests(writes=True, since=mark) == []

    created = module_door('qlik_key_provider', args, capsys)
    assert created['changed'] is True
    held = emulator.source_tenant.providers[created['key_provider']['arnFingerPrint']]
    assert (held.arn, held.name, held.description) == (ARN, 'door key', 'via main()')
    again, dummy = logic_door('qlik_key_provider', args)
    assert again['changed'] is False and again['key_provider']['arnFingerPrint'] == held.fingerprint


def test_failures_and_bad_input_fail_the_same_way(emulator, capsys):
    bad = dict(connection(emulator), arn='arn:aws:s3:::bucket', name='x')
    by_module = module_door('qlik_key_provider', bad, capsys)
    by_logic, dummy = logic_door('qlik_key_provider', bad)
    assert by_module['failed'] is True and by_logic['failed'] is True
    assert by_module['msg'] == by_logic['msg'] and by_module['msg'].startswith('arn must be an AWS KMS key ARN')
    unknown = module_door('qlik_key_provider', dict(connection(emulator), arn=ARN, nme='typo'), capsys)
    assert unknown['failed'] is True and 'nme' in unknown['msg']


def test_tenant_and_token_modules_through_the_module_door(emulator, capsys):
    cfg = emulator.config
    reg = dict(registration_url=emulator.registration_url, client_id=cfg.client_id, client_secret=cfg.client_secret,
               ca_path=emulator.ca_path)
    tenant = emulator.source_tenant
    by_module = module_door('qlik_tenant', dict(reg, id=tenant.id), capsys)
    by_logic, dummy = logic_door('qlik_tenant', dict(reg, id=tenant.id))
    assert without_invocation(by_module) == by_logic and by_module['changed'] is False
    info = module_door('qlik_tenant_info', dict(reg, id=tenant.id), capsys)
    assert [t['id'] for t in info['tenants']] == [tenant.id]
    token = module_door('qlik_token', connection(emulator), capsys)
    # both doors return the token and censor the result (Ansible honours _ansible_no_log from the action door)
    assert token['access_token'] in emulator.model.tokens and token['_ansible_no_log'] is True


def test_every_module_has_a_door_of_each_kind():
    assert len(MODULES) >= 12
    for name in MODULES:
        module = importlib.import_module('ansible_collections.qlikcloud.platform.plugins.modules.' + name)
        action = importlib.import_module('ansible_collections.qlikcloud.platform.plugins.action.' + name)
        assert action.ActionModule.module is module
        assert callable(module.main) and callable(module.run) and 'argument_spec' in module.SPEC
