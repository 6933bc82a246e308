"""qlik_aws_kms_key through the module door (main(), AnsibleModule) against the moto server, and its import guard."""

from __future__ import annotations

import os

from ansible_collections.qlikcloud.platform.plugins.module_utils import aws_kms
from tests.harness.doors import logic_door, module_door

NAME = 'qlik_aws_kms_key'


def isolated(monkeypatch, aws):
    """This process's environment as a child of the moto fixture's would have it (fake keys, empty AWS files)."""
    for name in [n for n in os.environ if n.startswith('AWS_')]:
        monkeypatch.delenv(name)
    for name, value in aws.env().items():
        monkeypatch.setenv(name, value)


def test_module_door_makes_the_key_and_the_logic_door_agrees(aws, capsys, monkeypatch):
    isolated(monkeypatch, aws)
    args = dict(region='eu-west-1', alias='door', aws_endpoint_url=aws.url)
    mark = aws.last_seq()
    made = module_door(NAME, args, capsys)
    assert made['changed'] is True and made['dr_compliant'] is True, made
    assert made['replica_arn'] == made['arn'].replace('eu-west-1', 'eu-west-3')
    assert [w for w in aws.writes(mark) if w[1] != 'TagResource'] == [
        ('eu-west-1', 'CreateKey'), ('eu-west-1', 'CreateAlias'), ('eu-west-1', 'ReplicateKey')]
    again, dummy = logic_door(NAME, args)
    assert again['changed'] is False and again['arn'] == made['arn'] and again['calls'] == []
    assert module_door(NAME, args, capsys, check_mode=True)['changed'] is False


def test_module_door_without_boto3_fails_with_ansible_missing_library_message(aws, capsys, monkeypatch):
    monkeypatch.setattr(aws_kms, 'boto3', None)
    mark = aws.last_seq()
    result = module_door(NAME, dict(region='eu-west-1', alias='door', aws_endpoint_url=aws.url), capsys)
    assert result['failed'] is True and 'Failed to import the required Python library (boto3)' in result['msg']
    assert aws.requests(mark) == []
