#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: qlik_oauth_client_secret
short_description: Rotate and prune the secrets of a Qlik Cloud OAuth client
version_added: 0.1.0
description:
  - Manages the secrets of a tenant OAuth client, found by O(id) or O(name), idempotently.
    Qlik shows a secret once, when it is created; afterwards only its C(hint) is readable.
  - With O(state=present), makes sure the client has a secret younger than O(max_age); when none is
    (or the client has none), creates one and returns it in RV(client_secret) with its RV(hint). The
    task's output is then censored as with C(no_log); the registered result keeps the secret.
  - With O(state=absent), deletes the secret with O(hint), or every secret but the O(keep_newest)
    newest, or those older than O(older_than). A client is never left without a secret unless
    O(allow_none=true) (refused before any write).
  - Qlik allows five secrets per client; a sixth is refused with a message that says what to delete.
  - A create whose answer is lost (the secret may exist, its value is lost) is settled by reading the
    hints again; the orphan is deleted before the call is sent again.
author:
  - Qlik Cloud platform collection maintainers (@qlikcloud)
extends_documentation_fragment:
  - qlikcloud.platform.connection
  - qlikcloud.platform.connection.tenant_url
  - qlikcloud.platform.attributes
options:
  id:
    description: The C(clientId) of the OAuth client.
    type: str
  name:
    description: The name of the OAuth client (it must be unique), when O(id) is not given.
    type: str
  state:
    description: V(present) ensures a young enough secret; V(absent) deletes secrets.
    type: str
    choices: [present, absent]
    default: present
  max_age:
    description:
      - With O(state=present), the age past which the newest secret is replaced by a new one, as an
        ISO 8601 duration (V(P90D), V(PT12H), V(P1W)) or seconds. Without it any secret will do.
      - V(0) creates a new secret on every run (not idempotent, by request).
    type: raw
  hint:
    description: With O(state=absent), the hint of the secret to delete (a hint that does not exist is no change).
    type: str
  keep_newest:
    description: With O(state=absent), delete every secret but the N newest (by C(createdAt)).
    type: int
  older_than:
    description: With O(state=absent), delete the secrets older than this ISO 8601 duration (or seconds).
    type: raw
  allow_none:
    description: Allow a deletion that leaves the client without any secret (so no pipeline can use it).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Nothing is written; C(changed) and C(deleted) tell what would happen.
  diff_mode:
    support: full
    details: Shows the hints of the client's secrets before and after (a new one as V((new))), never a secret.
notes:
  - The credentials are those of a tenant admin; they can be the OAuth client's own (then delete old
    secrets with the new one, as the role C(qlikcloud.platform.rotate_client_secret) does).
seealso:
  - module: qlikcloud.platform.qlik_oauth_client
  - module: qlikcloud.platform.qlik_oauth_client_info
  - name: Secret management
    description: Qlik's guidance on rotating secrets.
    link: https://qlik.dev/manage/oem/privacy-security/secrets-encryption/
'''

EXAMPLES = r'''
- name: A secret younger than 90 days
  qlikcloud.platform.qlik_oauth_client_secret:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
    max_age: P90D
  register: secret

- name: Keep only the two newest secrets
  qlikcloud.platform.qlik_oauth_client_secret:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
    state: absent
    keep_newest: 2
'''

RETURN = r'''
client_secret:
  description: The secret this task created. Shown once; the task's output is censored.
  returned: when a secret was created
  type: str
hint:
  description: The hint of the secret this task created.
  returned: when a secret was created
  type: str
  sample: 9f3a
deleted:
  description: The hints of the secrets deleted (in check mode, that would be deleted).
  returned: with O(state=absent)
  type: list
  elements: str
  sample: [1b2c, 77de]
secrets:
  description: The client's secrets after the task, newest first (hints, never secrets).
  returned: always
  type: list
  elements: dict
  sample: [{hint: 9f3a, createdAt: '2026-11-30T10:00:00.000Z', createdBy: bot-1234}]
oauth_client_id:
  description: The C(clientId) of the client.
  returned: always
  type: str
msg:
  description: In check mode, what the real run would do.
  returned: in check mode when a secret would be created
  type: str
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import qlik_oauth_client_secret as logic
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module


def main():
    run_module(logic)


if __name__ == '__main__':
    main()
