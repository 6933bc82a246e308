# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The ``organization`` option: the console's Organization API, to find tenants by name or host name."""

    DOCUMENTATION = r'''
options:
  organization:
    description:
      - The Organization API on the console, the only way to find tenants by O(name) or O(hostname).
    type: dict
    suboptions:
      url:
        description:
          - The console, for example V(https://console.qlikcloud.com).
          - If not set, the value of the E(QLIK_ORGANIZATION_URL) environment variable is used.
        type: str
      subscription_id:
        description:
          - The subscription the tenants belong to (required by the Organization API).
          - If not set, the value of the E(QLIK_SUBSCRIPTION_ID) environment variable is used.
        type: str
      client_id:
        description: An organization-level OAuth client. Defaults to O(client_id).
        type: str
      client_secret:
        description: Its secret. Defaults to O(client_secret).
        type: str
      access_token:
        description: An access token for the console, instead of client credentials.
        type: str
'''
