#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_key_provider
short_description: Manage an AWS-KMS key provider of a Qlik Cloud tenant
version_added: 0.1.0
description:
  - Registers, renames, validates and deletes one customer-managed key (CMK) provider
    entry of a Qlik Cloud tenant, idempotently.
  - The state is read with one list call (C(/actions/list), which also says which key is
    current) and the provider is found by its O(arn), else by its O(fingerprint) (Qlik's
    C(arnFingerPrint), which cannot be computed from the ARN).
  - An unchanged provider causes no write at all. A rename is one PATCH that replaces only
    the fields that differ.
  - When Qlik refuses a key (HTTP 403 when the key policy does not let Qlik in, 406, 417; or a failed
    O(validate)), the error names the ARN and what to check in AWS, that is the key policy of the key and of its
    replica, the replica in Qlik's DR region, and the key's region.
    M(qlikcloud.platform.qlik_aws_kms_key) makes a key that passes these checks.
  - This module does not make a key the tenant's current key; use
    M(qlikcloud.platform.qlik_key_migration) for that.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  arn:
    description:
      - The AWS KMS key ARN, for example
        V(arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560).
        Multi-region keys (C(mrk-) ids, also moto's C(mrk-) and a UUID) and single-region keys (UUID ids)
        are accepted; see O(require_dr_compliant) for the checks made before the key is registered.
      - Whitespace around the ARN (the newline that ends a YAML block scalar, say) is removed;
        whitespace inside it is an error.
      - The natural key of a provider. Needed to create one. An ARN cannot be changed, so
        giving an O(arn) that differs from the ARN of the provider named by O(fingerprint) is an error.
    type: str
  fingerprint:
    description:
      - The provider's C(arnFingerPrint), another way to name an existing provider, for
        O(state=absent) or to rename a provider without repeating its ARN.
    type: str
  name:
    description:
      - Display name of the provider. Required when the provider must be created.
    type: str
  description:
    description:
      - Description of the provider. Left as it is when not given; V("") clears it (Qlik does not
        return an empty description, so none and V("") are the same).
    type: str
  provider_type:
    description:
      - The key provider type (the API's C(keyprovider)).
    type: str
    choices: [AWS-KMS]
    default: AWS-KMS
  validate:
    description:
      - After creating or updating the provider (or when it is unchanged), ask Qlik to test
        the key (C(/actions/test)) and fail with Qlik's reason when it does not validate.
      - A key that is already the tenant's current key is in use and is not tested again, so
        that a converged run sends no request but one read. Its C(drCompliant) and
        C(complianceError) are in M(qlikcloud.platform.qlik_key_provider_info).
      - Not done in check mode, where nothing is sent but reads.
    type: bool
    default: false
  require_dr_compliant:
    description:
      - Before registering a key, the module checks it as Qlik will. A key whose ARN names another region than
        the tenant's is refused, naming both, and nothing is written. The tenant's region comes from its host
        name (C(<tenant>.<code>.qlikcloud.com)) or, when that does not tell, from the tenant's own record
        (C(GET /api/v1/tenants/me), its C(datacenter)); that read is made only when the module would register
        the key, so a run that changes nothing sends no more requests.
      - A single-Region key (its key id does not start with C(mrk-)) in a region for which Qlik lists a DR
        (backup) region cannot have the replica that Qlik checks for, so Qlik will report it not DR-compliant.
        With V(false) the module warns; with V(true) it refuses such a key before any write.
      - The role C(qlikcloud.platform.encrypted_tenant) sets this from C(encrypted_tenant_require_dr_compliant).
    type: bool
    default: false
  state:
    description:
      - V(present) registers the key or updates its name and description.
      - V(absent) deletes the provider. Deleting the tenant's current key, the target of a
        running migration or the default Qlik-managed provider is refused; migrate the tenant to
        another key first.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Nothing is written; the returned provider is what it would be.
  diff_mode:
    support: full
    details: Shows the provider's name, description, ARN, type, fingerprint and presence before and after.
seealso:
  - module: qlikcloud.platform.qlik_key_provider_info
  - module: qlikcloud.platform.qlik_key_migration
  - name: Qlik encryption API
    description: Reference of the key provider endpoints.
    link: https://qlik.dev/apis/rest/encryption
'''

EXAMPLES = r'''
- name: Register a customer-managed key and check that Qlik can use it
  qlikcloud.platform.qlik_key_provider:
    tenant_url: acme.eu.qlikcloud.com
    client_id: "{{ qlik_client_id }}"
    client_secret: "{{ qlik_client_secret }}"
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    name: CMK 2026
    description: Rotated yearly
    validate: true
  register: cmk

- name: Rename a provider known by its fingerprint
  qlikcloud.platform.qlik_key_provider:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
    fingerprint: "{{ cmk.key_provider.arnFingerPrint }}"
    name: CMK 2026 (retired)

- name: Delete an old provider (it must no longer be the current key)
  qlikcloud.platform.qlik_key_provider:
    tenant_url: acme.eu.qlikcloud.com
    access_token: "{{ qlik_token.access_token }}"
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-00000000000000000000000000000001
    state: absent
'''

RETURN = r'''
key_provider:
  description:
    - The provider as the Qlik API describes it (API field names kept), or an empty dict when absent.
    - In check mode, the provider as it would be (a provider that would be created has no C(arnFingerPrint)).
    - Timestamps of V(0001-01-01T00:00:00Z) mean "never".
  returned: always
  type: dict
  sample:
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    name: CMK 2026
    description: Rotated yearly
    keyprovider: AWS-KMS
    arnFingerPrint: 9f352c5a9c1618485051892cb57467e4
    current: false
    tenantId: ImTRa-bkJTD-NZRYjNBa_rDhwSVA6Qo8
    createdAt: '2026-06-21T18:43:49Z'
    multiRegion: true
    drCompliant: true
    replicaKeys:
      - arn: arn:aws:kms:eu-west-3:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
        region: eu-west-3
    complianceError: {code: '', region: '', message: ''}
    promotedToCurrentAt: '0001-01-01T00:00:00Z'
    demotedFromCurrentAt: '0001-01-01T00:00:00Z'
validation:
  description: Qlik's answer to the key test (the validated provider).
  returned: when O(validate=true), the key is not the current key, and not in check mode
  type: dict
  sample:
    arn: arn:aws:kms:eu-west-1:111222334455:key/mrk-1237c011a37e4ft67e0987c7612a4560
    drCompliant: true
tenant_url:
  description: The normalized URL of the tenant.
  returned: always
  type: str
  sample: https://acme.eu.qlikcloud.com
tenant_id:
  description: The tenant's ID (from the key providers' C(tenantId)).
  returned: always
  type: str
  sample: ImTRa-bkJTD-NZRYjNBa_rDhwSVA6Qo8
current_key_provider:
  description: The tenant's current key provider (the default Qlik-managed one included), as read before any change.
  returned: always
  type: dict
  sample:
    arn: '#QLIK_MANAGED_KEY_PROVIDER#'
    name: Qlik Internal Kms
    keyprovider: Qlik
    current: true
dr_compliant:
  description:
    - Whether Qlik reports the key as disaster-recovery compliant (C(drCompliant) and no
      C(complianceError)), from the key test when one ran, else from the provider.
    - Null when Qlik said nothing (in check mode, for a provider not registered yet).
  returned: with O(state=present)
  type: bool
  sample: false
compliance_errors:
  description: The messages of C(complianceError), which Qlik gives as an object or as a list.
  returned: with O(state=present)
  type: list
  elements: str
  sample: ['The policy of the provided key does not allow the required action [eu-west-3] [GenerateDataKey].']
patch:
  description: The JSON-patch operations that were (or in check mode would be) sent.
  returned: when the provider was updated
  type: list
  elements: dict
  sample: [{op: replace, path: /name, value: CMK 2026}]
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        arn=dict(type='str'),
        fingerprint=dict(type='str'),
        name=dict(type='str'),
        description=dict(type='str'),
        provider_type=dict(type='str', choices=['AWS-KMS'], default='AWS-KMS'),
        validate=dict(type='bool', default=False),
        require_dr_compliant=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ),
)


def _find(providers, arn, fingerprint):
    by_arn = encryption.find_provider(providers, arn=arn) if arn else None
    by_fingerprint = encryption.find_provider(providers, fingerprint=fingerprint) if fingerprint else None
    if arn and by_fingerprint and by_fingerprint.get('arn') != arn:
        raise ValueError('the ARN of a key provider cannot change: fingerprint %s belongs to %s, not to arn %s; '
                         'register the new key as its own provider instead' % (
                             fingerprint, by_fingerprint.get('arn'), arn))
    if fingerprint and by_arn and by_arn.get('arnFingerPrint') != fingerprint:
        raise ValueError('arn %s is registered with fingerprint %s, not %s' % (
            arn, by_arn.get('arnFingerPrint'), fingerprint))
    return by_arn or by_fingerprint


def run(task):
    params = task.params
    encryption.check_target(params)
    state = params['state']
    if not (params['arn'] or params['fingerprint']):
        raise ValueError('state=%s needs arn%s or fingerprint%s' % (
            state, ' (to find or create the provider)' if state == 'present' else '',
            ' (to update one)' if state == 'present' else ''))
    api = encryption.KeyProviders(task.client())
    # one read of every provider, the default one included: it says which key is current, and a
    # fingerprint of the default provider is refused rather than "not found"
    providers = api.list(include_default=True)
    current_key = encryption.current_provider(providers)
    current = _find(providers, params['arn'], params['fingerprint'])
    if current is not None and encryption.is_qlik_provider(current):
        if state == 'absent':
            raise ValueError(encryption.QLIK_DEFAULT_REFUSED)
        current = None
    if state == 'absent' and current is not None and current['current']:
        raise ValueError(encryption.in_use_message(current))
    if state == 'present' and current is None:
        if not params['arn']:
            raise ValueError('no key provider has fingerprint %s in this tenant; give arn and name to create one'
                             % params['fingerprint'])
        if not params['name']:
            raise ValueError('name is required to create the key provider for %s' % params['arn'])
        # the collection checks the key before Qlik does: only when it would register it (a no-op sends nothing more)
        encryption.check_key_region(params['arn'], encryption.TenantRegion(api.client), task.warn,
                                    params['require_dr_compliant'])
    settings = dict(name=params['name'], description=params['description'])
    desired = dict(settings, arn=current['arn'] if current else params['arn'], keyprovider=params['provider_type'])

    def create(wanted):
        created = api.create(wanted['arn'], wanted['name'], wanted['description'], wanted['keyprovider'])
        # a 409 (registered meanwhile) hands back the existing provider: converge it too
        changes = changes_between(created, settings)
        if changes:
            api.update(created['arnFingerPrint'], changes)
        return dict(created, **changes)

    outcome = ensure(task, current, desired, create, lambda provider, changes: api.update(
        provider['arnFingerPrint'], changes), api.delete, encryption.diff_view, state=state,
        operations=encryption.patch_ops)
    result = dict(changed=outcome['changed'], key_provider={}, tenant_url=api.client.base_url,
                  tenant_id=next((p.get('tenantId') for p in providers if p.get('tenantId')), None),
                  current_key_provider=current_key)
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if outcome.get('sent'):
        result['patch'] = outcome['sent']
    if state == 'absent':
        return result
    result['key_provider'] = encryption.normalize_provider(outcome['after'])
    if params['validate'] and not task.check_mode and not result['key_provider']['current']:
        try:
            result['validation'] = api.test(result['key_provider']['arnFingerPrint'])
        except QlikAPIError as exc:
            encryption.refused(exc, result['key_provider'].get('arn'))
            raise TaskFailure('key provider %r (%s) did not validate: %s' % (
                result['key_provider'].get('name'), result['key_provider'].get('arn'), exc.message),
                result, **exc.to_result())
    result['dr_compliant'], result['compliance_errors'] = encryption.compliance(
        result.get('validation') or result['key_provider'])
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
