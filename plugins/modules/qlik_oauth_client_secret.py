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

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations, oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        max_age=dict(type='raw'),
        hint=dict(type='str'),
        keep_newest=dict(type='int'),
        older_than=dict(type='raw'),
        allow_none=dict(type='bool', default=False),
    ),
    required_one_of=[('id', 'name')],
    mutually_exclusive=[('hint', 'keep_newest', 'older_than'), ('max_age', 'hint'), ('max_age', 'keep_newest'),
                        ('max_age', 'older_than')],
    required_if=[('state', 'absent', ('hint', 'keep_newest', 'older_than'), True)],
)


def _check(params):
    """Every check that needs no request; durations become seconds."""
    if params['max_age'] is not None:
        params['max_age'] = durations.seconds(params['max_age'], 'max_age')
        if params['state'] != 'present':
            raise ValueError('max_age goes with state=present')
    if params['older_than'] is not None:
        params['older_than'] = durations.seconds(params['older_than'], 'older_than')
    if params['keep_newest'] is not None:
        if params['keep_newest'] < 0:
            raise ValueError('keep_newest must be 0 or more, got %d' % params['keep_newest'])
        if params['keep_newest'] == 0 and not params['allow_none']:
            raise ValueError('keep_newest=0 would leave the client without a secret: set allow_none=true to mean it')
    if params['hint'] is not None and not params['hint'].strip():
        raise ValueError('hint must not be empty')


def _shown(secrets):
    return [dict((k, s.get(k)) for k in ('hint', 'createdAt', 'createdBy')) for s in secrets]


# present: the client has a secret younger than max_age (else one is created); absent: the secret with hint, or
# all but the keep_newest newest, or those older than older_than, are deleted. A client is never left without a
# secret unless allow_none.
def run(task):
    params = task.params
    _check(params)
    api = oauth_clients.OAuthClients(task.client())
    record = oauth_clients.find_client(task, api, required=False)
    if record is None:
        raise ValueError('no OAuth client %s in this tenant (%s)' % (
            'with id %s' % params['id'] if params['id'] else 'named %r' % params['name'], api.client.host))
    secrets = oauth_clients.newest_first(record)
    result = dict(changed=False, oauth_client_id=record['clientId'], secrets=_shown(secrets))
    if params['state'] == 'present':
        young = [s for s in secrets if params['max_age'] is None or (s['age'] is not None and s['age'] < params['max_age'])]
        if young and params['max_age'] != 0:
            return result
        result['changed'] = True
        if task.diff:
            result['diff'] = dict(before=dict(secrets=[s['hint'] for s in secrets]),
                                  after=dict(secrets=['(new)'] + [s['hint'] for s in secrets]))
        if task.check_mode:
            result['msg'] = 'would create a secret (check mode): %s' % (
                'max_age=0 makes one every run' if params['max_age'] == 0 else
                'the newest is older than max_age' if secrets else 'the client has none')
            return result
        made = api.create_secret(record)
        task.censor = True
        result.update(client_secret=made['clientSecret'], hint=made.get('hint'),
                      secrets=_shown([made]) + result['secrets'])
        return result

    if params['hint'] is not None:
        doomed = [s for s in secrets if s.get('hint') == params['hint']]
    elif params['keep_newest'] is not None:
        doomed = secrets[params['keep_newest']:]
    else:
        doomed = [s for s in secrets if s['age'] is not None and s['age'] > params['older_than']]
    kept = [s for s in secrets if s not in doomed]
    if doomed and not kept and not params['allow_none']:
        raise ValueError('deleting %s would leave OAuth client %s without a secret (nothing was deleted): set '
                         'allow_none=true to mean it' % (', '.join(s['hint'] for s in doomed), record.get('clientName')))
    result.update(deleted=[s['hint'] for s in doomed], secrets=_shown(kept))
    if task.diff:
        result['diff'] = dict(before=dict(secrets=[s['hint'] for s in secrets]),
                              after=dict(secrets=[s['hint'] for s in kept]))
    if not doomed:
        return result
    result['changed'] = True
    if not task.check_mode:
        result['deleted'] = [s['hint'] for s in doomed if api.delete_secret(record['clientId'], s['hint'])]
        result['changed'] = bool(result['deleted'])
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
