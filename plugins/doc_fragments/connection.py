# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every qlikcloud.platform module.

    ``qlikcloud.platform.connection``: credentials, TLS, timeout and retries (every module);
    ``qlikcloud.platform.connection.tenant_url``: the tenant_url option (modules that talk to a tenant);
    ``qlikcloud.platform.connection.plugin``: TLS, timeout and retries of the inventory plugin, which reads
    them from its configuration file or the environment (plugin options take ``env:``, module options cannot).
    """

    DOCUMENTATION = r'''
options:
  access_token:
    description:
      - An OAuth access token or an API key for the host the module talks to, sent as a Bearer token.
      - Takes precedence over O(client_id)/O(client_secret). Use
        M(qlikcloud.platform.qlik_token) to fetch one token per host and pass it to
        later tasks instead of exchanging credentials in every task.
      - If not set, the value of the E(QLIK_ACCESS_TOKEN) environment variable is used.
    type: str
  client_id:
    description:
      - Client ID of a Qlik OAuth machine-to-machine client. With O(client_secret) it is
        exchanged once per module run and host for an access token at C(<host>/oauth/token)
        (grant type C(client_credentials)); a token that expires during the run is
        exchanged again once.
      - If not set, the value of the E(QLIK_CLIENT_ID) environment variable is used.
    type: str
  client_secret:
    description:
      - Secret of the OAuth client named by O(client_id). Never logged or returned.
      - If not set, the value of the E(QLIK_CLIENT_SECRET) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Only set to V(false) on a trusted network.
      - If not set, the value of the E(QLIK_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) to trust instead of the system store,
        for example the CA the Qlik Cloud emulator prints on start.
      - If not set, the value of the E(QLIK_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
      - If not set, the value of the E(QLIK_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429 (waiting as long as the
        C(Retry-After) header says, at most 60 seconds), after HTTP 500/502/503/504 and
        after connection errors (exponential backoff with jitter).
      - A create or migrate call that may have reached Qlik without an answer is
        never re-sent blindly; the module first reads the state again.
      - If not set, the value of the E(QLIK_RETRIES) environment variable is used.
    type: int
    default: 5
requirements:
  - requests >= 2.31
notes:
  - Connection options can be set once for a play with C(module_defaults) and the
    action group C(group/qlikcloud.platform.all).
'''

    TENANT_URL = r'''
options:
  tenant_url:
    description:
      - The Qlik Cloud tenant to talk to, for example V(https://acme.eu.qlikcloud.com)
        or just the host name V(acme.eu.qlikcloud.com) (https is assumed).
      - If not set, the value of the E(QLIK_TENANT_URL) environment variable is used.
    type: str
'''

    PLUGIN = r'''
options:
  validate_certs:
    description: Verify the servers' TLS certificates. Only set to V(false) on a trusted network.
    type: bool
    default: true
    env:
      - name: QLIK_VALIDATE_CERTS
  ca_path:
    description: A PEM file with the CA certificate(s) to trust instead of the default bundle.
    type: path
    env:
      - name: QLIK_CA_PATH
  timeout:
    description: Seconds to wait for each HTTP request.
    type: float
    default: 30
    env:
      - name: QLIK_TIMEOUT
  retries:
    description: Retries after HTTP 429 (honouring C(Retry-After)), 5xx and connection errors.
    type: int
    default: 5
    env:
      - name: QLIK_RETRIES
requirements:
  - requests >= 2.31
'''
