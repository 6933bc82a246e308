"""Qlik Automate: automations with their execution tokens, and automation connections (automations.md).

Kept apart from app.py and model.py, which only call ``register(app, model)`` and ``register_admin(admin,
model)``. The state lives in ``model.automations`` (an ``Automations``: per-tenant records, one lock).

What the fact sheet says, and what the emulator chose where it is silent:

* Both paths serve the same resource: ``/api/workflows/automations`` (the preferred API) and the legacy
  ``/api/v1/automations``; the same for ``automation-connections``. ``Automations.paths`` says which a
  tenant serves (``('legacy',)``: a tenant without the workflows API, whose paths answer 404).
* Lists: ``{data, links: {self, next?}}``, ``limit`` 1 to 100 (default 20, more is a 400), the opaque
  ``cursor`` of ``links.next``. List items and ``GET /{id}`` carry ``executionToken``; ``copy`` answers 201
  with the new ``{id}`` only; enable, disable, change-space and DELETE answer 204.
* A copy gets a new id and a new execution token, the source's workspace, schedules, description and
  connectors; it starts **disabled**, is owned by the caller and lies in the caller's personal space
  (``spaceId`` null): none of that is documented, so the emulator takes the least convenient answer.
* Who may copy: on the legacy path the owner only (403 otherwise); on the workflows path the owner or an
  admin token (every OAuth client of the emulator acts as a tenant admin). The emulator cannot tell other
  roles apart: every other call is allowed to any authenticated caller.
* ``PUT /{id}`` replaces the automation: ``name`` is required, fields not sent are reset, ``spaceId`` is
  refused (the PUT body is the create body minus ``spaceId``).
* The trigger endpoint ``POST /api/v1/automations/{id}/actions/execute`` takes the token in the
  ``X-Execution-Token`` header only (the query form is refused), and only for a triggered automation that
  is enabled; a deleted automation's URL answers 404, another automation's token 401.
* Connection parameters with ``fieldType`` ``password`` are secret: their values are never returned (the
  ``value`` key is absent) and never kept in the request log. ``actions/check`` answers
  ``{connected, is_connected}``: connected when every required parameter has a value and the parameters
  the "remote system" expects (``expected``, set when seeding) match.
* Rate limits: the gateway's tiers (reads Tier 1, writes Tier 2); the list's Tier 1 is the one documented.
"""

from __future__ import annotations

import base64
import collections
import copy as copying
import dataclasses
import secrets

from .clock import iso
from .errors import ApiError

PREFIXES = dict(workflows='/api/workflows', legacy='/api/v1')
TRIGGER = '/api/v1/automations/<automation_id>/actions/execute'
RUN_MODES = ('manual', 'scheduled', 'triggered', 'webhook')
PUT_FIELDS = ('name', 'description', 'workspace', 'schedules', 'maxConcurrentRuns')
SECRET_FIELD_TYPES = ('password',)
REDACTED = '<redacted>'
# connectors the emulator knows: id -> (name, [(parameter, fieldType, optional)], interactive OAuth)
CONNECTORS = {
    'smtp': ('SMTP', [('host', 'string', False), ('port', 'string', False), ('username', 'string', False),
                      ('password', 'password', False), ('sender', 'string', True)], False),
    'http-basic': ('HTTP (basic authentication)', [('baseUrl', 'string', False), ('username', 'string', False),
                                                   ('password', 'password', False)], False),
    'salesforce': ('Salesforce', [('instanceUrl', 'string', False)], True),
}


def _new_id():
    return secrets.token_hex(12)


def _token():
    return 'qlik-exec-' + secrets.token_urlsafe(24)


@dataclasses.dataclass
class Automation:
    id: str
    name: str
    description: str
    state: str
    run_mode: str
    owner_id: str
    space_id: str | None
    workspace: dict
    schedules: list
    max_concurrent_runs: int
    execution_token: str
    connector_ids: list
    created: float
    updated: float
    runs: int = 0
    last_run_at: float | None = None

    def render(self, detail=False):
        out = dict(id=self.id, name=self.name, description=self.description, state=self.state,
                   runMode=self.run_mode, executionToken=self.execution_token, ownerId=self.owner_id,
                   spaceId=self.space_id, lastRunAt=iso(self.last_run_at) if self.last_run_at else None,
                   lastRunStatus='finished' if self.runs else None, createdAt=iso(self.created),
                   updatedAt=iso(self.updated))
        if detail:
            out.update(workspace=copying.deepcopy(self.workspace), schedules=copying.deepcopy(self.schedules),
                       maxConcurrentRuns=self.max_concurrent_runs, connectorIds=list(self.connector_ids),
                       endpointIds=[], snippetIds=[])
        return out


@dataclasses.dataclass
class Connection:
    id: str
    name: str
    connector_id: str
    owner_id: str
    space_id: str | None
    values: dict  # parameter name -> value
    param_ids: dict  # parameter name -> parameter id
    created: float
    updated: float
    expected: dict = dataclasses.field(default_factory=dict)
    oauth_account: str | None = None

    @property
    def connector(self):
        return CONNECTORS[self.connector_id]

    def secret(self, name):
        return any(p == name and kind in SECRET_FIELD_TYPES for p, kind, dummy in self.connector[1])

    @property
    def connected(self):
        if self.connector[2]:
            return bool(self.oauth_account)
        required = [p for p, dummy, optional in self.connector[1] if not optional]
        return all(self.values.get(p) for p in required) and all(
            self.values.get(k) == v for k, v in self.expected.items())

    def render(self, detail=False):
        out = dict(id=self.id, name=self.name, connectorId=self.connector_id, isConnected=self.connected,
                   ownerId=self.owner_id, spaceId=self.space_id, createdAt=iso(self.created),
                   updatedAt=iso(self.updated))
        if not detail:
            return out
        out['error'] = '' if self.connected else 'The connection could not be established.'
        if self.connector[2]:
            out.update(oauthAccountName=self.oauth_account, redirect='https://login.example/authorize')
        out['params'] = []
        for order, (name, kind, optional) in enumerate(self.connector[1]):
            param = dict(id=self.param_ids[name], name=name, fieldType=kind, isOptional=optional, order=order,
                         documentation='', exampleValue='', meta={}, paramOptions=[])
            if not self.secret(name):
                param['value'] = self.values.get(name, '')
            out['params'].append(param)
        return out


class Automations:
    """The automations and automation connections of every tenant (``{tenant id: {id: record}}``)."""

    def __init__(self, lock, clock):
        self.lock = lock  # the model's: one lock for the whole domain
        self.clock = clock
        self.automations = {}
        self.connections = {}
        self.paths = ('workflows', 'legacy')  # the prefixes tenants serve
        self.owner = 'automation-owner'  # owner of seeded automations (not the OAuth client tests call with)

    # ------------------------------------------------------------- seeding
    def add_automation(self, tenant, name, run_mode='triggered', state='available', space_id='shared-space-01',
                       description='', owner_id=None, workspace=None, age=0.0, token=True):
        """An automation made directly (no API call, nothing logged), ``age`` seconds old."""
        if run_mode not in RUN_MODES:
            raise ValueError('run_mode must be one of %s' % ', '.join(RUN_MODES))
        made = self.clock.time() - age
        record = Automation(
            id=_new_id(), name=name, description=description, state=state, run_mode=run_mode,
            owner_id=owner_id or self.owner, space_id=space_id,
            workspace=workspace or dict(blocks=[dict(type='StartBlock', runMode=run_mode)]),
            schedules=[], max_concurrent_runs=1, execution_token=_token() if token else '',
            connector_ids=[], created=made, updated=made)
        with self.lock:
            self.automations.setdefault(tenant.id, collections.OrderedDict())[record.id] = record
        return record

    def add_connection(self, tenant, name, connector_id='smtp', values=None, space_id=None, expected=None,
                       oauth_account=None, owner_id=None):
        """An automation connection made directly; ``expected``: the parameters its check accepts."""
        if connector_id not in CONNECTORS:
            raise ValueError('connector_id must be one of %s' % ', '.join(CONNECTORS))
        now = self.clock.time()
        record = Connection(id=_new_id(), name=name, connector_id=connector_id, owner_id=owner_id or self.owner,
                            space_id=space_id, values=dict(values or {}),
                            param_ids=dict((p, _new_id()) for p, dummy, dummy2 in CONNECTORS[connector_id][1]),
                            created=now, updated=now, expected=dict(expected or {}), oauth_account=oauth_account)
        with self.lock:
            self.connections.setdefault(tenant.id, collections.OrderedDict())[record.id] = record
        return record

    def of(self, tenant):
        """The tenant's automations (a list, oldest first)."""
        with self.lock:
            return list(self.automations.get(tenant.id, {}).values())

    def connections_of(self, tenant):
        with self.lock:
            return list(self.connections.get(tenant.id, {}).values())

    # ---------------------------------------------------------- automations
    def automation(self, tenant, automation_id):
        found = self.automations.get(tenant.id, {}).get(automation_id)
        if found is None:
            raise ApiError(404, 'AUTOMATIONS-404', 'Not found', 'No automation with id %s.' % automation_id)
        return found

    def copy(self, tenant, automation_id, body, caller, legacy):
        source = self.automation(tenant, automation_id)
        if legacy and caller != source.owner_id:
            raise ApiError(403, 'AUTOMATIONS-403', 'Forbidden', 'Only the owner of an automation can copy it.')
        name = body.get('name') if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request', 'name is required.')
        now = self.clock.time()
        made = dataclasses.replace(
            source, id=_new_id(), name=name, state='disabled', owner_id=caller, space_id=None,
            workspace=copying.deepcopy(source.workspace), schedules=copying.deepcopy(source.schedules),
            execution_token=_token() if source.execution_token else '', connector_ids=list(source.connector_ids),
            created=now, updated=now, runs=0, last_run_at=None)
        with self.lock:
            self.automations[tenant.id][made.id] = made
        return made

    def update(self, tenant, automation_id, body):
        record = self.automation(tenant, automation_id)
        if not isinstance(body, dict) or not isinstance(body.get('name'), str) or not body['name'].strip():
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request', 'name is required.')
        unknown = sorted(set(body) - set(PUT_FIELDS))
        if unknown:
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request', 'Unknown or read-only field(s): %s.' % ', '.join(
                unknown))
        with self.lock:
            record.name = body['name']
            record.description = body.get('description') or ''
            record.workspace = body.get('workspace') or {}
            record.schedules = body.get('schedules') or []
            record.max_concurrent_runs = body.get('maxConcurrentRuns') or 1
            record.run_mode = next((b.get('runMode') for b in record.workspace.get('blocks') or []
                                    if isinstance(b, dict) and b.get('type') == 'StartBlock'), 'manual')
            record.updated = self.clock.time()
        return record

    def set_state(self, tenant, automation_id, state):
        record = self.automation(tenant, automation_id)
        with self.lock:
            record.state = state
            record.updated = self.clock.time()

    def change_space(self, tenant, automation_id, body):
        record = self.automation(tenant, automation_id)
        if not isinstance(body, dict) or not isinstance(body.get('spaceId'), str) or not body['spaceId']:
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request', 'spaceId is required.')
        with self.lock:
            record.space_id = body['spaceId']
            record.updated = self.clock.time()

    def delete(self, tenant, automation_id):
        self.automation(tenant, automation_id)
        with self.lock:
            del self.automations[tenant.id][automation_id]

    def execute(self, tenant, automation_id, token, token_in_query):
        """A triggered run, as a third party calls it with the execution token."""
        if token_in_query:
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request',
                           'The execution token is accepted only in the X-Execution-Token header.')
        record = self.automation(tenant, automation_id)
        if record.run_mode != 'triggered':
            raise ApiError(400, 'AUTOMATIONS-400', 'Bad request', 'The automation is not triggered.')
        if not token or not record.execution_token or not secrets.compare_digest(token, record.execution_token):
            raise ApiError(401, 'AUTOMATIONS-401', 'Unauthorized', 'Missing or invalid execution token.')
        if record.state == 'disabled':
            raise ApiError(403, 'AUTOMATIONS-403', 'Forbidden', 'The automation is disabled.')
        with self.lock:
            record.runs += 1
            record.last_run_at = self.clock.time()
        return dict(id=_new_id(), status='queued', context='webhook')

    # ---------------------------------------------------------- connections
    def connection(self, tenant, connection_id):
        found = self.connections.get(tenant.id, {}).get(connection_id)
        if found is None:
            raise ApiError(404, 'AUTOMATION-CONNECTIONS-404', 'Not found', 'No connection with id %s.' % connection_id)
        return found

    @staticmethod
    def _bad(detail):
        raise ApiError(400, 'AUTOMATION-CONNECTIONS-400', 'Bad request', detail)

    def create_connection(self, tenant, body, caller):
        if not isinstance(body, dict) or body.get('connectorId') not in CONNECTORS:
            self._bad('connectorId is required and must name a known connector.')
        known = [p for p, dummy, dummy2 in CONNECTORS[body['connectorId']][1]]
        values = {}
        for param in body.get('params') or []:
            if not isinstance(param, dict) or param.get('name') not in known or not isinstance(param.get('value'), str):
                self._bad('Each parameter is {name, value} with a parameter of the connector and a string value.')
            values[param['name']] = param['value']
        return self.add_connection(tenant, body.get('name') or CONNECTORS[body['connectorId']][0], body['connectorId'],
                                   values, body.get('spaceId'), owner_id=caller)

    def update_connection(self, tenant, connection_id, body):
        record = self.connection(tenant, connection_id)
        if not isinstance(body, dict) or set(body) - {'name', 'params'}:
            self._bad('The body is {name?, params?}.')
        by_id = dict((v, k) for k, v in record.param_ids.items())
        changes = {}
        for param in body.get('params') or []:
            if not isinstance(param, dict) or param.get('id') not in by_id or not isinstance(param.get('value'), str):
                self._bad('Each parameter is {id, value} with the id of one of the connection\'s parameters.')
            changes[by_id[param['id']]] = param['value']
        if 'name' in body and (not isinstance(body['name'], str) or not body['name'].strip()):
            self._bad('name must not be empty.')
        with self.lock:
            record.values.update(changes)
            record.name = body.get('name') or record.name
            record.updated = self.clock.time()
        return record

    def secret_values(self, tenant, connection_id, body, by):
        """The values of the secret parameters in a request ``body`` (params addressed ``by`` 'id' or 'name')."""
        if not isinstance(body, dict) or not isinstance(body.get('params'), list):
            return body
        if connection_id is None:
            connector = CONNECTORS.get(body.get('connectorId'))
            secret = set(p for p, kind, dummy in connector[1] if kind in SECRET_FIELD_TYPES) if connector else set()
        else:
            record = self.connections.get(tenant.id, {}).get(connection_id)
            # a connection that does not exist: which parameters are secret is unknown, so all are
            secret = set(record.param_ids[p] if by == 'id' else p for p in record.param_ids
                         if record.secret(p)) if record else None
        return dict(body, params=[dict(p, value=REDACTED) if isinstance(p, dict) and (
            secret is None or p.get(by) in secret) else p for p in body['params']])


def page_cursor(value):
    return base64.urlsafe_b64encode(('after:' + value).encode()).decode()


def page_after(cursor):
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        text = ''
    if not text.startswith('after:'):
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'The cursor %r cannot be read.' % cursor)
    return text[len('after:'):]
