# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_api_key_info: a tenant's API keys with their status and expiry."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.qlik_api_key import with_expiry

SPEC = dict(argument_spec=dict(connection_argument_spec(), description=dict(type='str'),
                               status=dict(type='str', choices=['active', 'expired', 'revoked'])))


def run(task):
    params = task.params
    keys = oauth_clients.ApiKeys(task.client()).list(status=params['status'])
    return dict(changed=False, api_keys=[with_expiry(k) for k in keys
                                         if params['description'] is None or k.get('description') == params['description']])
