# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_oauth_client_info: a tenant's OAuth clients and the hints of their secrets."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec

SPEC = dict(argument_spec=dict(connection_argument_spec(), id=dict(type='str'), name=dict(type='str')),
            mutually_exclusive=[('id', 'name')])


def run(task):
    params = task.params
    clients = oauth_clients.OAuthClients(task.client()).list()
    selected = [c for c in clients if (params['id'] is None or c.get('clientId') == params['id'])
                and (params['name'] is None or c.get('clientName') == params['name'])]
    for client in selected:
        client['clientSecrets'] = [dict((k, v) for k, v in s.items() if k != 'age' or v is not None)
                                   for s in oauth_clients.newest_first(client)]
    return dict(changed=False, oauth_clients=selected)
