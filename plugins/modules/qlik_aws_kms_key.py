#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_aws_kms_key
short_description: Ensure an AWS KMS key that a Qlik Cloud tenant can use as its customer-managed key
version_added: 0.2.0
description:
  - Ensures, in AWS, the key a Qlik Cloud tenant is encrypted with (customer-managed key, CMK) as Qlik requires
    it. A symmetric multi-Region primary key in O(region), the tenant's region. A replica of it in O(dr_region),
    Qlik's DR (backup) region for that region. On both, a key policy that keeps the account's own administration
    statement and grants Qlik's principal (O(qlik_principal)) the KMS actions Qlik uses (O(qlik_actions)).
    Also the key's O(alias), O(description), O(tags) and, optionally, automatic key rotation.
  - The key is found by its O(alias) in O(region), and only by it. An alias that names a single-Region key, an
    asymmetric key, an AWS managed key or a replica whose primary is in another region is refused before any
    write. Such a key cannot be turned into the key Qlik needs.
  - The key policy is read and only the statement with the Sid C(Enable KMS Key policy for proxy account)
    (the Sid of Qlik's example policy, so a statement made by hand by following Qlik's article is adopted)
    is owned by this module. That statement is put right when it differs, and the account's
    administration statement (C(arn:aws:iam::<account>:root) may do C(kms:*), AWS's default) is added
    when no statement gives it. Every other statement is kept. Policies are compared by meaning, so a
    string and a one-element list, or another order, are no change.
  - A key that is C(Disabled) or pending deletion is enabled again (its deletion cancelled).
  - Returns the primary's ARN (RV(arn)) to register with Qlik (M(qlikcloud.platform.qlik_key_provider)) and,
    checked in AWS before Qlik does, whether Qlik will find the key DR-compliant (RV(dr_compliant)) and what is
    missing (RV(missing)).
  - V(state=absent) schedules the deletion of the replicas and of the primary (AWS deletes a primary only after
    its replicas), after O(pending_window_days).
  - Talks to AWS with boto3, on the controller, like every module of this collection.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.aws
  - qlikcloud.platform.attributes
options:
  region:
    description:
      - The AWS region of the key, which must be the region of the tenant's Qlik Cloud region (its
        C(datacenter), as M(qlikcloud.platform.qlik_tenant) returns it), for example V(eu-west-1).
      - Not derived from the tenant, so that this module needs no Qlik credentials. It has no environment
        fallback either, because a key in another region is one that Qlik refuses.
    type: str
    required: true
  dr_region:
    description:
      - The region of the replica key. By default Qlik's DR (backup) region for O(region). This collection
        knows Qlik's table for V(us-east-1) (DR V(us-east-2)), V(eu-west-1) (V(eu-west-3)), V(eu-west-2)
        (V(eu-south-2)), V(eu-central-1) (V(eu-south-1)), V(ap-southeast-1) (V(ap-northeast-2)),
        V(ap-southeast-2) (V(ap-southeast-4)), V(ap-northeast-1) (V(ap-northeast-3)), and V(eu-north-1), for
        which Qlik lists no DR region, so that no replica is needed or made.
      - For a region not in that table, O(dr_region) is required. Look it up in Qlik's region table.
      - A O(dr_region) other than the one Qlik's table lists for O(region) is refused, because Qlik would not
        find the replica there.
    type: str
  alias:
    description:
      - The alias that names the key in O(region), with or without the C(alias/) prefix, for example
        V(qlik-acme-prod). It is how the key is found; a new key gets it.
      - Aliases are regional in AWS. The replica is found through the primary's multi-Region configuration and
        gets no alias.
    type: str
    required: true
  description:
    description:
      - The description of the primary and of the replica. Left as it is when not given. A new replica gets the
        primary's.
    type: str
  tags:
    description:
      - Tags of the primary and of the replica. Left as they are when not given. A new replica gets the
        primary's.
    type: dict
  purge_tags:
    description:
      - With O(tags), remove the tags that are not in O(tags). With V(false), O(tags) are added to the key's own.
    type: bool
    default: true
  enable_key_rotation:
    description:
      - Turn AWS's automatic yearly rotation of the key material on (V(true)) or off (V(false)) on the primary.
        A multi-Region key's replicas share the primary's key material and rotation. Left as it is when not given.
    type: bool
  qlik_principal:
    description:
      - The AWS principals (IAM role ARNs in Qlik's AWS account) that Qlik Cloud uses to reach the key, granted
        O(qlik_actions) in the key policy of the primary and of the replica.
      - The default is the role that Qlik's support article (How to get started with the Amazon KMS connector)
        names in its example key policy. That example lists a second role whose name is cut off in every copy
        this collection's authors could read, so B(check the list with Qlik) (the help page on AWS KMS of
        Qlik's tenant-encryption documentation) and set it here if it differs.
    type: list
    elements: str
    default: [arn:aws:iam::338144066592:role/byok-encryption-proxy-role]
  qlik_actions:
    description:
      - The KMS actions granted to O(qlik_principal). Qlik names C(GenerateDataKey) (its error C(Encryption-88)
        when the policy does not allow it); the rest of the default is the usual envelope-encryption set, which
        includes C(kms:DescribeKey) so that Qlik can find the replicas. Check them with Qlik too.
    type: list
    elements: str
    default: [kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*]
  state:
    description:
      - V(present) ensures the key, its replica and their policies.
      - V(absent) schedules the deletion of the key named by O(alias) and of every replica of it. A key that is
        the current key of a tenant must first be replaced there (M(qlikcloud.platform.qlik_key_migration)),
        or the tenant loses its data when the key is deleted.
    type: str
    choices: [present, absent]
    default: present
  pending_window_days:
    description:
      - With V(state=absent), the days (7 to 30) AWS waits before it deletes the keys. Until then V(state=present)
        brings them back.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written to AWS; the module only reads. RV(calls) lists the writes that would be sent.
      - RV(dr_compliant) and RV(missing) then describe the key as AWS holds it now.
  diff_mode:
    support: full
    details: Shows the primary and its replicas (state, description, tags, rotation and key policy) before and after.
notes:
  - "The identity the module runs as needs, in O(region): C(kms:CreateKey), C(kms:CreateAlias),
    C(kms:DescribeKey), C(kms:GetKeyPolicy), C(kms:PutKeyPolicy), C(kms:ListResourceTags),
    C(kms:TagResource), C(kms:UntagResource), C(kms:UpdateKeyDescription), C(kms:GetKeyRotationStatus),
    C(kms:EnableKeyRotation), C(kms:DisableKeyRotation), C(kms:EnableKey), C(kms:CancelKeyDeletion),
    C(kms:ScheduleKeyDeletion) and C(kms:ReplicateKey). It needs the same in O(dr_region), except
    C(kms:CreateAlias) and the rotation actions. Qlik's article on IAM policies for key automation predates
    multi-Region keys and lacks C(kms:ReplicateKey)."
  - To create a key, the module reads the account and partition with STS C(GetCallerIdentity), which needs no
    permission.
  - A key in the wrong region, or a single-Region key where Qlik lists a DR region, is what Qlik refuses most
    often; this module cannot make either.
seealso:
  - module: qlikcloud.platform.qlik_key_provider
  - module: qlikcloud.platform.qlik_key_migration
  - name: Qlik Cloud tenant encryption
    description: Qlik's help on customer-managed keys.
    link: https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Admin/mc-configure-tenant-encryption.htm
  - name: Qlik Cloud regions
    description: Qlik's table of regions and their backup (DR) regions.
    link: https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Introduction/qcs-tenant-domain.htm
  - name: Multi-Region keys in AWS KMS
    description: AWS's guide.
    link: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
'''

EXAMPLES = r'''
- name: The key of the ACME tenant (eu-west-1), with its replica in Qlik's DR region eu-west-3
  qlikcloud.platform.qlik_aws_kms_key:
    region: eu-west-1
    alias: qlik-acme-prod
    description: Qlik Cloud tenant acme.eu.qlikcloud.com
    tags:
      owner: platform-team
    enable_key_rotation: true
    aws_profile: kms-admin
  register: aws_key

- name: Stop before Qlik refuses the key
  ansible.builtin.assert:
    that: aws_key.dr_compliant
    fail_msg: "{{ aws_key.missing | join('; ') }}"

- name: Register it with the tenant
  qlikcloud.platform.qlik_key_provider:
    tenant_url: acme.eu.qlikcloud.com
    arn: "{{ aws_key.arn }}"
    name: CMK {{ now(utc=true, fmt='%Y') }}
    validate: true

- name: A tenant in a region this collection has no DR region for (dr_region is then required)
  qlikcloud.platform.qlik_aws_kms_key:
    region: ca-central-1
    dr_region: ca-west-1
    alias: qlik-acme-canada

- name: Rehearse against a moto server (no AWS account needed)
  qlikcloud.platform.qlik_aws_kms_key:
    region: eu-west-1
    alias: qlik-rehearsal
    aws_endpoint_url: http://127.0.0.1:5000
    aws_access_key_id: testing
    aws_secret_access_key: testing

- name: Retire an old key once no tenant uses it any more (deleted by AWS after 7 days)
  qlikcloud.platform.qlik_aws_kms_key:
    region: eu-west-1
    alias: qlik-acme-2025
    state: absent
    pending_window_days: 7
'''

RETURN = r'''
arn:
  description:
    - The ARN of the multi-Region primary key, the one to register with Qlik.
    - With V(state=absent), the key that was (or is) scheduled for deletion.
  returned: when the key exists (not in check mode before it is created)
  type: str
  sample: arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab
key_id:
  description: The key id, shared by the primary and its replicas.
  returned: when the key exists
  type: str
  sample: mrk-1234abcd12ab34cd56ef1234567890ab
alias:
  description: The alias the key was found by, with its C(alias/) prefix.
  returned: always
  type: str
  sample: alias/qlik-acme-prod
region:
  description: The region of the primary key.
  returned: always
  type: str
  sample: eu-west-1
dr_region:
  description: The region of the replica Qlik checks for; null where Qlik lists no DR region.
  returned: always
  type: str
  sample: eu-west-3
replica_arn:
  description: The ARN of the replica in RV(dr_region); null when there is none (yet).
  returned: when the key exists
  type: str
  sample: arn:aws:kms:eu-west-3:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab
replicas:
  description: Every replica of the primary, RV(dr_region)'s and any other.
  returned: when the key exists
  type: list
  elements: dict
  contains:
    region:
      description: The replica's region.
      type: str
    arn:
      description: The replica's ARN.
      type: str
  sample: [{region: eu-west-3, arn: "arn:aws:kms:eu-west-3:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}]
dr_compliant:
  description:
    - Whether Qlik will find the key fit and DR-compliant, as read back from AWS after the task's writes. This
      means a symmetric multi-Region primary, enabled, with an enabled replica in RV(dr_region) (where Qlik
      lists one), and key policies on both that grant every O(qlik_principal) every O(qlik_actions) (an
      unconditional Allow that no Deny takes back).
    - In check mode, the key as AWS holds it now, before the writes the task would make.
  returned: when O(state=present)
  type: bool
  sample: true
missing:
  description: What makes the key not DR-compliant, one sentence each, naming the key's ARN; empty when RV(dr_compliant).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab has no replica in eu-west-3,
           the DR region Qlik checks for eu-west-1"]
calls:
  description: The AWS writes the task sent, in order (in check mode, those it would send), each with its region.
  returned: always
  type: list
  elements: dict
  contains:
    region:
      description: The region the call went to.
      type: str
    operation:
      description: The KMS operation, for example C(PutKeyPolicy).
      type: str
    arn:
      description:
        - For a C(CreateKey) that was sent, the new key's ARN. If a later call fails, the task's failed result
          still has RV(calls), so a key made before the failure can be found.
      type: str
      returned: for a CreateKey that AWS answered
  sample: [{region: eu-west-1, operation: PutKeyPolicy}, {region: eu-west-3, operation: PutKeyPolicy}]
key:
  description:
    - The key as AWS holds it after the task (in check mode, before), as C(--diff) shows it. That is its
      C(state) (V(present) or V(absent)), C(arn), C(key_state), C(description), C(tags), C(key_rotation),
      C(policy), and C(replicas) by region with the same fields for the replica in RV(dr_region).
  returned: always
  type: dict
  sample:
    state: present
    arn: arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab
    key_state: Enabled
    description: Qlik Cloud tenant acme.eu.qlikcloud.com
    tags: {owner: platform-team}
    key_rotation: true
    policy: {Version: '2012-10-17', Statement: []}
    replicas:
      eu-west-3:
        arn: arn:aws:kms:eu-west-3:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab
        key_state: Enabled
        description: Qlik Cloud tenant acme.eu.qlikcloud.com
        tags: {owner: platform-team}
        policy: {Version: '2012-10-17', Statement: []}
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import aws_kms
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        aws_kms.aws_argument_spec(),
        region=dict(type='str', required=True),
        dr_region=dict(type='str'),
        alias=dict(type='str', required=True),
        description=dict(type='str'),
        tags=dict(type='dict'),
        purge_tags=dict(type='bool', default=True),
        enable_key_rotation=dict(type='bool'),
        qlik_principal=dict(type='list', elements='str', default=list(aws_kms.QLIK_PRINCIPALS)),
        qlik_actions=dict(type='list', elements='str', default=list(aws_kms.QLIK_ACTIONS)),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        pending_window_days=dict(type='int', default=30),
    ),
)


def _calls(ops):
    return [dict(region=region, operation=operation) for region, operation, dummy in ops]


def _identity(record):
    if not record:
        return dict(arn=None, key_id=None, replica_arn=None, replicas=[])
    return dict(arn=record['arn'], key_id=record['key_id'], replica_arn=record.get('replica_arn'),
                replicas=[dict(region=r, arn=a) for r, a in sorted(record['replicas'].items())])


def _present(task, key):
    params = task.params
    current = key.read()
    problem = current and aws_kms.unfit(current['metadata'], key.alias, key.region)
    if problem:
        raise ValueError(problem)
    desired = key.desired(current, description=params['description'], tags=aws_kms.validate_tags(params['tags']),
                          purge_tags=params['purge_tags'], key_rotation=params['enable_key_rotation'])
    # resource.ensure decides changed, the diff and what check mode reports; key.plan is what update sends
    outcome = ensure(task, current, desired, key.create, key.update, view=aws_kms.view,
                     operations=lambda changes: key.plan(current, changes))
    if task.check_mode:
        calls = _calls(key.creation_plan(desired) if current is None else outcome.get('sent') or [])
        final = current
    else:
        calls = key.calls
        final = key.read() if outcome['changed'] else current
    dr_compliant, missing = aws_kms.compliance(final, key.region, key.dr_region, key.principals, key.actions,
                                               alias=key.alias)
    return dict(_identity(final), changed=outcome['changed'], dr_compliant=dr_compliant, missing=missing,
                calls=calls, key=aws_kms.view(final), **_diff(outcome))


def _absent(task, key):
    window = task.params['pending_window_days']
    current = key.read(details=False)
    ops = key.deletion_plan(current, window) if current else []
    outcome = ensure(task, current if ops else None, {}, None, None, lambda record: key.send(ops) or True,
                     view=aws_kms.view, state='absent')
    calls = _calls(ops) if task.check_mode else key.calls
    final = current if task.check_mode or not ops else key.read(details=False)
    return dict(_identity(current), changed=outcome['changed'], calls=calls, key=aws_kms.view(final), **_diff(outcome))


def _diff(outcome):
    return dict(diff=outcome['diff']) if 'diff' in outcome else {}


def run(task):
    params = task.params
    region = aws_kms.validate_region(params['region'])
    dr_region = aws_kms.dr_region_for(region, params['dr_region'])[0]
    alias = aws_kms.validate_alias(params['alias'])
    principals = aws_kms.validate_principals(params['qlik_principal'])
    actions = aws_kms.validate_actions(params['qlik_actions'])
    aws_kms.validate_tags(params['tags'])
    if not 7 <= params['pending_window_days'] <= 30:
        raise ValueError('pending_window_days must be between 7 and 30 (AWS\'s limits), got %d'
                         % params['pending_window_days'])
    key = aws_kms.QlikKey(aws_kms.Connection(params), region, dr_region, alias, principals, actions)
    try:
        result = _absent(task, key) if params['state'] == 'absent' else _present(task, key)
    except aws_kms.AWSError as exc:
        raise TaskFailure(str(exc), dict(changed=bool(key.calls), calls=key.calls)) from None
    return dict(result, alias=alias, region=region, dr_region=dr_region)


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
