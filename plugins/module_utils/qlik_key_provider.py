# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_key_provider: register, rename, validate or delete one key provider."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, connection_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure

SPEC = dict(
    argument_spec=dict(
        connection_argument_spec(),
        arn=dict(type='str'),
        fingerprint=dict(type='str'),
        name=dict(type='str'),
        description=dict(type='str'),
        provider_type=dict(type='str', choices=['AWS-KMS'], default='AWS-KMS'),
        validate=dict(type='bool', default=False),
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
    for key in ('diff',):
        if key in outcome:
            result[key] = outcome[key]
    if outcome.get('sent'):
        result['patch'] = outcome['sent']
    if state == 'absent':
        return result
    result['key_provider'] = encryption.normalize_provider(outcome['after'])
    if params['validate'] and not task.check_mode and not result['key_provider']['current']:
        try:
            result['validation'] = api.test(result['key_provider']['arnFingerPrint'])
        except QlikAPIError as exc:
            raise TaskFailure('key provider %r (%s) did not validate: %s' % (
                result['key_provider'].get('name'), result['key_provider'].get('arn'), exc.message),
                result, **exc.to_result())
    result['dr_compliant'], result['compliance_errors'] = encryption.compliance(
        result.get('validation') or result['key_provider'])
    return result
