# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_token: one OAuth access token for a host."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec

SPEC = dict(argument_spec=connection_argument_spec(), required_together=[('client_id', 'client_secret')])


def run(task):
    params = task.params
    if not (params['client_id'] and params['client_secret']):
        raise ValueError('client_id and client_secret (or QLIK_CLIENT_ID / QLIK_CLIENT_SECRET) are required')
    client = task.client(dict(params, access_token=None), mask_tokens=False)
    token = client.exchange_token()
    # the result is a secret as a whole: the action door censors what Ansible shows of it (as no_log does),
    # while the registered result keeps the token for later tasks
    task.censor = True
    return dict(changed=False, tenant_url=client.base_url, **token)
