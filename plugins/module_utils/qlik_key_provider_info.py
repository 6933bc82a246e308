# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_key_provider_info: list a tenant's key providers."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec

SPEC = dict(argument_spec=dict(connection_argument_spec(), arn=dict(type='str'), fingerprint=dict(type='str'),
                               name=dict(type='str')))


def run(task):
    params = task.params
    encryption.check_target(params, allow_qlik_arn=True)
    client = task.client()
    providers = encryption.KeyProviders(client).list(include_default=True)
    current = encryption.current_provider(providers)
    selected = [p for p in providers
                if (params['arn'] is None or p.get('arn') == params['arn'])
                and (params['fingerprint'] is None or p.get('arnFingerPrint') == params['fingerprint'])
                and (params['name'] is None or p.get('name') == params['name'])]
    return dict(changed=False, key_providers=selected, current_key_provider=current, tenant_url=client.base_url)
