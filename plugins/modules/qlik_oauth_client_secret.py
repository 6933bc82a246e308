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
  - "With O(state=present), makes sure that the secret in use is younger than O(max_age): when it is older
    (or the client has none), creates one and returns it in RV(client_secret) with its RV(hint). The task's
    output is then censored as with C(no_log); the registered result keeps the secret."
  - The secret in use is the one with O(current_hint), or the client's only secret. A client with several
    secrets and no O(current_hint) is refused, because nobody can tell which one a pipeline holds. Age never
    decides what is kept; only which secret is in use does.
  - Secrets newer than the one in use were never handed over. One younger than O(pending_timeout) may be
    another run's rotation that is handing it over right now - a rotation is then refused before any write;
    an older one is an interrupted run's orphan, whose value nobody has - it is deleted.
  - When two runs create a secret at the same moment, the one whose secret was made first goes on; the other
    deletes its own new secret and fails saying so. A create whose answer is lost is never sent again; the
    task fails naming the hint that appeared, and a later run deletes it as an orphan.
  - RV(old) lists the secrets to delete once the new one is handed over (or, when no rotation was due, those
    older than the one in use); delete them with O(state=absent) and O(hint), as the role
    C(qlikcloud.platform.rotate_client_secret) does.
  - With O(state=absent), deletes the secrets with O(hint), or every secret but the O(keep_newest) newest,
    or those older than O(older_than). A client is never left without a secret unless O(allow_none=true)
    (refused before any write).
  - Qlik allows five secrets per client; a sixth is refused with a message that says what to delete.
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
    description: V(present) ensures a young enough secret in use; V(absent) deletes secrets.
    type: str
    choices: [present, absent]
    default: present
  max_age:
    description:
      - With O(state=present), the age past which the secret in use is replaced by a new one, as an
        ISO 8601 duration (V(P90D), V(PT12H), V(P1W)) or seconds. Without it a secret is only created when
        the client has none.
      - V(0) creates a new secret on every run (not idempotent, by request).
    type: raw
  current_hint:
    description:
      - With O(state=present), the hint of the secret in use (the one your pipeline holds). Needed when the
        client has more than one secret. The role C(qlikcloud.platform.rotate_client_secret) hands it over
        with every new secret.
    type: str
  pending_timeout:
    description:
      - With O(state=present), how long a secret newer than the one in use is taken for another run's
        rotation in progress (no rotation starts meanwhile); once older it is an orphan and deleted. An ISO
        8601 duration or seconds; V(0) treats every such secret as an orphan (only when no other run can be
        rotating this client).
    type: raw
    default: PT15M
  hint:
    description: With O(state=absent), the hint(s) of the secrets to delete (a hint that does not exist is no change).
    type: list
    elements: str
  keep_newest:
    description:
      - With O(state=absent), delete every secret but the N newest (by C(createdAt)).
      - With O(state=present), how many secrets RV(old) leaves, the one in use (or the new one) included
        (default 1).
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
    details: Nothing is written; C(changed), C(plan) and C(deleted) tell what would happen.
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
- name: The secret in use (hint 9f3a) younger than 90 days
  qlikcloud.platform.qlik_oauth_client_secret:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
    max_age: P90D
    current_hint: 9f3a
  register: secret

- name: Once the new secret is stored, delete the ones it replaces
  qlikcloud.platform.qlik_oauth_client_secret:
    tenant_url: acme.eu.qlikcloud.com
    name: reporting-pipeline
    state: absent
    hint: "{{ secret.old }}"
  when: secret.old | length > 0

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
current_hint:
  description: The hint of the secret in use before the task (None when the client had none).
  returned: with O(state=present)
  type: str
old:
  description:
    - The hints of the secrets to delete once the new secret is handed over or, when no secret was created,
      of the secrets older than the one in use (beyond O(keep_newest)).
  returned: with O(state=present)
  type: list
  elements: str
pending:
  description: The hints of secrets newer than the one in use and younger than O(pending_timeout).
  returned: with O(state=present)
  type: list
  elements: str
deleted:
  description: The hints of the secrets deleted (in check mode, that would be deleted), orphans with O(state=present).
  returned: always
  type: list
  elements: str
  sample: [1b2c, 77de]
plan:
  description: What the task did or, in check mode, would do, one line a write.
  returned: when something changed or would change
  type: list
  elements: str
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
'''

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations, oauth_clients
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import tenant_argument_spec
from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import ensure, first_made
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import TaskFailure, run_module

SPEC = dict(
    argument_spec=dict(
        tenant_argument_spec(),
        id=dict(type='str'),
        name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        max_age=dict(type='raw'),
        current_hint=dict(type='str'),
        pending_timeout=dict(type='raw', default='PT15M'),
        hint=dict(type='list', elements='str'),
        keep_newest=dict(type='int'),
        older_than=dict(type='raw'),
        allow_none=dict(type='bool', default=False),
    ),
    required_one_of=[('id', 'name')],
    mutually_exclusive=[('hint', 'keep_newest', 'older_than'), ('max_age', 'hint'), ('max_age', 'older_than'),
                        ('current_hint', 'hint'), ('current_hint', 'older_than')],
    required_if=[('state', 'absent', ('hint', 'keep_newest', 'older_than'), True)],
)


def _check(params):
    """Every check that needs no request; durations become seconds."""
    for option in ('max_age', 'older_than', 'pending_timeout'):
        if params[option] is not None:
            params[option] = durations.seconds(params[option], option)
    if params['state'] != 'present':
        for option in ('max_age', 'current_hint'):
            if params[option] is not None:
                raise ValueError('%s goes with state=present' % option)
    if params['keep_newest'] is not None:
        if params['keep_newest'] < 0:
            raise ValueError('keep_newest must be 0 or more, got %d' % params['keep_newest'])
        if params['keep_newest'] == 0 and not params['allow_none']:
            raise ValueError('keep_newest=0 would leave the client without a secret: set allow_none=true to mean it')
    for option in ('current_hint',):
        if params[option] is not None and not params[option].strip():
            raise ValueError('%s must not be empty' % option)
    if params['hint'] is not None:
        params['hint'] = [h.strip() for h in params['hint']]
        if not all(params['hint']):
            raise ValueError('hint must not be empty')


def _shown(secrets):
    return [dict((k, s.get(k)) for k in ('hint', 'createdAt', 'createdBy')) for s in secrets]


def _age(secret):
    return durations.describe(secret['age'])


# present: the secret in use is younger than max_age, else a new one is made (and orphans deleted); absent: the
# secrets named by hint, or all but the keep_newest newest, or those older than older_than are deleted. Both go
# through ensure(), on the client's secrets as the object: which hints it has, and whether the one in use is fresh.
def run(task):
    params = task.params
    _check(params)
    api = oauth_clients.OAuthClients(task.client())
    record = oauth_clients.find_client(task, api, required=False)
    if record is None:
        raise ValueError('no OAuth client %s in this tenant (%s)' % (
            'with id %s' % params['id'] if params['id'] else 'named %r' % params['name'], api.client.host))
    secrets = oauth_clients.newest_first(record)
    result = dict(changed=False, oauth_client_id=record['clientId'], secrets=_shown(secrets), deleted=[])
    if params['state'] == 'present':
        return _present(task, api, record, secrets, result)
    return _absent(task, api, record, secrets, result)


def _view(state):
    return dict(secrets=list(state['hints']))


def _present(task, api, record, secrets, result):
    params = task.params
    name = record.get('clientName')
    try:
        where = oauth_clients.rotation(secrets, params['current_hint'], params['max_age'], params['keep_newest'] or 1,
                                       params['pending_timeout'])
    except ValueError as exc:
        raise ValueError('OAuth client %s: %s' % (name, exc))
    current = where['current']
    result.update(current_hint=current and current.get('hint'), pending=[s['hint'] for s in where['pending']],
                  old=where['old_now'])
    if where['due'] and where['pending']:
        raise TaskFailure(
            'OAuth client %s: %s newer than the secret in use (%s) and never handed over: another run may be rotating '
            'this client right now, so this run changes nothing. Re-run once it has finished, or after pending_timeout '
            'if no other run is going on (an interrupted run left it)' % (
                name, ', '.join('secret %s (made %s ago)' % (s['hint'], _age(s)) for s in where['pending'])
                + (' are' if len(where['pending']) > 1 else ' is'), current['hint'] if current else 'none'), result)
    made = {}

    def update(state, changes):
        sent = []
        for secret in where['abandoned']:
            if api.delete_secret(record['clientId'], secret['hint']):
                result['deleted'].append(secret['hint'])
            sent.append('delete orphan secret %s' % secret['hint'])
        if changes.get('fresh'):
            made.update(api.create_secret(record))
            _settle(task, api, record, where, made)
            sent.append('create a secret')
        return sent

    def apply(state, changes):
        hints = [h for h in state['hints'] if h not in [s['hint'] for s in where['abandoned']]]
        return dict(state, fresh=True, hints=([made.get('hint', '(new)')] if changes.get('fresh') else []) + hints)

    def operations(changes):
        plan = ['delete orphan secret %s (made %s ago, never handed over)' % (s['hint'], _age(s))
                for s in where['abandoned']]
        if changes.get('fresh'):
            plan.append('create a secret: %s' % (
                'max_age=0 makes one every run' if params['max_age'] == 0 else 'the client has none'
                if current is None else 'the secret in use (%s) is %s old, older than max_age' % (
                    current['hint'], _age(current))))
        return plan

    state = dict(hints=[s['hint'] for s in secrets], fresh=not where['due'],
                 orphans=[s['hint'] for s in where['abandoned']])
    outcome = ensure(task, state, dict(fresh=True, orphans=[]), None, update, view=_view, apply=apply,
                     operations=operations)
    result['changed'] = outcome['changed']
    if outcome.get('sent'):
        result['plan'] = outcome['sent']
    if task.check_mode:
        result['deleted'] = [s['hint'] for s in where['abandoned']]
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    if made:
        task.censor = True
        result.update(client_secret=made['clientSecret'], hint=made.get('hint'), old=where['old_after'],
                      secrets=_shown([made]) + [s for s in result['secrets'] if s['hint'] not in result['deleted']])
    elif outcome['changed'] and not task.check_mode:
        result['secrets'] = [s for s in result['secrets'] if s['hint'] not in result['deleted']]
    if task.check_mode and outcome.get('sent') and where['due']:
        result['old'] = where['old_after']
    return result


def _settle(task, api, record, where, made):
    """After creating ``made``: when another run made a secret of this client at the same moment (newer than the one
    in use, never handed over, younger than pending_timeout), the one made first goes on; this run deletes its own if
    it is not that one, and fails saying so."""
    before = set(s['hint'] for s in where['older'] + ([where['current']] if where['current'] else []))
    after = oauth_clients.newest_first(api.find(client_id=record['clientId']) or {})
    rivals = [s for s in after if s.get('hint') not in before and s.get('hint') != made.get('hint')
              and (s['age'] is None or s['age'] < task.params['pending_timeout'])]
    if not rivals:
        return
    first = first_made(rivals + [made], key='hint')
    if first.get('hint') == made.get('hint'):
        return
    api.delete_secret(record['clientId'], made['hint'])
    raise TaskFailure('OAuth client %s: another run made a new secret (%s) at the same moment as this one, and first: '
                      'this run deleted its own new secret (%s) and hands nothing over; the secret in use (%s) still '
                      'works, and the other run hands its secret over' % (
                          record.get('clientName'), first.get('hint'), made.get('hint'),
                          where['current']['hint'] if where['current'] else 'none'),
                      dict(changed=False, oauth_client_id=record['clientId']))


def _absent(task, api, record, secrets, result):
    params = task.params
    if params['hint'] is not None:
        doomed = [s for s in secrets if s.get('hint') in params['hint']]
    elif params['keep_newest'] is not None:
        doomed = secrets[params['keep_newest']:]
    else:
        doomed = [s for s in secrets if s['age'] is not None and s['age'] > params['older_than']]
    kept = [s for s in secrets if s not in doomed]
    if doomed and not kept and not params['allow_none']:
        raise ValueError('deleting %s would leave OAuth client %s without a secret (nothing was deleted): set '
                         'allow_none=true to mean it' % (', '.join(s['hint'] for s in doomed), record.get('clientName')))

    def update(state, changes):
        deleted = [s['hint'] for s in doomed if api.delete_secret(record['clientId'], s['hint'])]
        result['deleted'] = deleted
        return ['delete secret %s' % hint for hint in deleted] or None

    outcome = ensure(task, dict(hints=[s['hint'] for s in secrets]), dict(hints=[s['hint'] for s in kept]), None,
                     update, view=_view, operations=lambda changes: ['delete secret %s' % s['hint'] for s in doomed])
    result.update(changed=outcome['changed'], secrets=_shown(kept))
    if task.check_mode:
        result['deleted'] = [s['hint'] for s in doomed]
    if outcome.get('sent'):
        result['plan'] = outcome['sent']
    if 'diff' in outcome:
        result['diff'] = outcome['diff']
    return result


def main():
    run_module(SPEC, run)


if __name__ == '__main__':
    main()
