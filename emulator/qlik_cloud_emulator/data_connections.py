"""Analytics data connections, as shared/api-docs/data-connections.md and Qlik's typings describe them.

Served under ``/api/v1/data-connections`` and the namespaced copy ``/api/connectivity/data-connections``:
list (paged with an opaque ``page`` cursor, ``spaceId``, ``personal``, ``noDatafiles``, ``userId``, ``sort``,
``dataName``), create (classic or data-source-driven body, ``authUrlOnly``), get (by id, or by name with
``type=connectionname``; ``parseConnection``), PUT (a full replace; credentials updated from ``qUsername`` /
``qPassword``, ``qConnectionSecret`` replaced, cleared with ``""`` or kept when absent) and DELETE.

What Qlik does and the emulator does too:

* a user name or password is never returned; ``qConnectionSecret`` only by a GET of one connection;
* a connection of an OAuth-based data source (``DataConnections.oauth_datasources``) is created and updated
  only with a ``qlik-auth-code`` header holding a valid authorization code, which only an interactive user
  login produces (here: ``issue_auth_code``); without one the call is refused with 400;
* personal connections (no ``space``) are listed to their owner only; ``userId`` of another user needs the
  TenantAdmin role (403), and a TenantAdmin reaches any connection by its id.

Not emulated: PATCH, the bulk actions (``actions/delete``, ``actions/update``, ``actions/duplicate``), the
data credentials API, SCIM ``filter`` (refused with 400 so that a test notices), spaces and their roles (a
connection in a space is reachable by every caller).
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import secrets
import uuid


from .clock import iso
from .errors import ApiError

PREFIXES = ('/api/v1/data-connections', '/api/connectivity/data-connections')
OAUTH_DATASOURCES = ('box', 'dropbox', 'googledrive', 'onedrive', 'sharepoint')
DATAFILES_TYPE = 'qix-datafiles'
SORTS = {'_id': 'id', 'qName': 'name', 'created': 'created', 'updated': 'updated'}
REQUIRED_ON_PUT = ('qID', 'qEngineObjectID', 'qName', 'qType', 'qConnectStatement')
MAX_TAGS = 32  # classic create; the data-source-driven create allows one fewer (fact sheet)


def bad_request(detail, code='DATA-CONNECTIONS-400', title='Bad Request'):
    return ApiError(400, code, title, detail)


@dataclasses.dataclass
class Connection:
    id: str
    name: str
    type: str
    connect_statement: str
    datasource_id: str
    space: str  # '' for a personal connection
    owner: str
    tenant_id: str
    created: float
    updated: float
    architecture: int = 0
    logon: int = 0
    separate_credentials: bool = False
    credentials_id: str = ''
    username: str | None = None
    password: str | None = None
    secret: str = ''
    oauth: bool = False
    tags: list = dataclasses.field(default_factory=list)
    updates: int = 0  # PUTs applied

    def properties(self):
        """``connectionProperties`` (``parseConnection=true``): the connection string's ``key=value`` pairs."""
        pairs = [p.split('=', 1) for p in self.connect_statement.split(';') if '=' in p]
        return dict((k.strip(), v.strip()) for k, v in pairs)

    def render(self, base_url, privileges, single=False, parse=False):
        out = collections.OrderedDict(
            qID=self.id, qEngineObjectID=self.id, qName=self.name, qType=self.type,
            qConnectStatement=self.connect_statement, qArchitecture=self.architecture, qLogOn=self.logon,
            qSeparateCredentials=self.separate_credentials, datasourceID=self.datasource_id)
        if self.credentials_id:
            out['qCredentialsID'] = self.credentials_id
        if single and self.secret:
            out['qConnectionSecret'] = self.secret  # the typings: on a GET of one connection, never in a list
        if self.space:
            out['space'] = self.space
        out.update(tenant=self.tenant_id, user=self.owner, tags=list(self.tags), createdAt=iso(self.created),
                   updated=iso(self.updated), privileges=list(privileges),
                   links=dict(self=dict(href='%s%s/%s' % (base_url, PREFIXES[0], self.id))))
        if parse:
            out['connectionProperties'] = self.properties()
        return out


class DataConnections:
    """Every tenant's data connections, with one lock; ``roles`` says who is a TenantAdmin."""

    def __init__(self, lock, clock, roles, default_owner):
        self.lock = lock  # the model's: one lock for the whole domain
        self.clock = clock
        self.roles = roles
        self.default_owner = default_owner  # whom seed() makes the owner: the emulator's OAuth client
        self.oauth_datasources = set(OAUTH_DATASOURCES)
        self._connections = {}  # tenant id -> OrderedDict(id -> Connection)
        self._auth_codes = {}  # tenant id -> codes not used yet

    # ------------------------------------------------------------- for tests
    def seed(self, tenant, name, space='', owner=None, datasource_id='postgres', type='QvOdbcConnectorPackage.exe',
             connect_statement=None, username=None, password=None, connection_secret='', oauth=None):
        """A connection made directly (no API call, nothing logged), as if made earlier."""
        now = self.clock.time()
        connection = Connection(
            id=str(uuid.uuid4()), name=name, type=type, datasource_id=datasource_id, space=space or '',
            connect_statement=connect_statement or 'CUSTOM CONNECT TO "provider=%s;host=db.example.com;"' % type,
            owner=owner or self.default_owner, tenant_id=tenant.id, created=now, updated=now,
            username=username, password=password, secret=connection_secret or '',
            credentials_id=str(uuid.uuid4()) if username or password else '',
            oauth=datasource_id in self.oauth_datasources if oauth is None else oauth)
        with self.lock:
            self._of(tenant)[connection.id] = connection
        return connection

    def seed_datafiles(self, tenant, space=''):
        """The DataFiles connection Qlik keeps for a space (or a user's personal space)."""
        return self.seed(tenant, 'DataFiles', space=space, datasource_id='DataFiles', type=DATAFILES_TYPE,
                         connect_statement='qix-datafiles')

    def issue_auth_code(self, tenant):
        """An authorization code as an interactive OAuth login would produce; good for one call."""
        code = secrets.token_urlsafe(16)
        with self.lock:
            self._auth_codes.setdefault(tenant.id, set()).add(code)
        return code

    def held(self, tenant):
        """The tenant's connections (the objects, secrets included: for tests)."""
        with self.lock:
            return list(self._of(tenant).values())

    def named(self, tenant, name):
        return [c for c in self.held(tenant) if c.name == name]

    # --------------------------------------------------------------- rules
    def _of(self, tenant):
        return self._connections.setdefault(tenant.id, collections.OrderedDict())

    def privileges(self, tenant, connection, who):
        admin = self.roles.is_admin(tenant, who)
        if connection.owner != who and connection.space == '' and not admin:
            return []
        return ['list', 'read', 'update', 'delete'] + (['change_owner', 'change_space'] if admin else [])

    def _reachable(self, tenant, connection, who):
        """A caller reaches a connection in a space, their own personal ones, and (a TenantAdmin) any by id."""
        return connection.space != '' or connection.owner == who or self.roles.is_admin(tenant, who)

    def _consume_auth_code(self, tenant, connection_name, code):
        with self.lock:
            codes = self._auth_codes.get(tenant.id, set())
            if code and code in codes:
                codes.discard(code)
                return
        raise bad_request('The connection %r uses an OAuth-based data source: the request needs the qlik-auth-code header '
                          'with a valid authorization code (%s).' % (connection_name, 'missing' if not code else 'invalid'),
                          code='DATA-CONNECTIONS-AUTH-CODE', title='OAuth authorization code required')

    def _conflict(self, tenant, name, space, owner, besides=None):
        for other in self._of(tenant).values():
            if other.id != besides and other.name == name and other.space == space \
                    and (space != '' or other.owner == owner):
                raise ApiError(409, 'DATA-CONNECTIONS-409', 'Conflict', 'A connection named %r already exists in %s.'
                               % (name, 'space %s' % space if space else 'the personal space'))

    def find(self, tenant, who, key, by_name=False, space=''):
        """The connection at ``/{key}``: an id or, ``by_name`` (``type=connectionname``), a name in ``space`` (else
        in the caller's personal space)."""
        with self.lock:
            if by_name:
                found = [c for c in self._of(tenant).values() if c.name == key and c.space == space
                         and (space != '' or c.owner == who)]
                connection = found[0] if found else None
            else:
                connection = self._of(tenant).get(key)
            if connection is None or not self._reachable(tenant, connection, who):
                raise ApiError(404, 'DATA-CONNECTIONS-404', 'Not Found', 'No data connection %s.' % key)
            return connection

    def listed(self, tenant, who, user=None, space=None, personal=False, no_datafiles=False, order=None):
        """The connections a list call returns for its query (datafile connections last)."""
        user = user or who
        if user != who:
            self.roles.require_admin(tenant, who, code='DATA-CONNECTIONS-403')
        personal = personal and space is None
        with self.lock:
            found = [c for c in self._of(tenant).values()
                     if (c.space != '' or c.owner == user) and (space is None or c.space == space)
                     and (not personal or c.space == '')
                     and not (no_datafiles and c.type == DATAFILES_TYPE)]
        if order:
            field = SORTS.get(order.lstrip('+-'))
            if field is None or order[0] not in '+-':
                raise bad_request('sort must be one of %s.' % ', '.join('+' + s for s in SORTS))
            found.sort(key=lambda c: getattr(c, field), reverse=order[0] == '-')
        return [c for c in found if c.type != DATAFILES_TYPE] + [c for c in found if c.type == DATAFILES_TYPE]

    def create(self, tenant, who, body, auth_code=None):
        if not isinstance(body, dict):
            raise bad_request('The body must be a JSON object.')
        driven = 'connectionProperties' in body
        required = ('qName', 'datasourceID', 'connectionProperties') if driven else (
            'qName', 'qType', 'qConnectStatement', 'datasourceID')
        missing = [f for f in required if body.get(f) in (None, '')]
        if missing:
            raise bad_request('Missing required field(s): %s.' % ', '.join(missing))
        if any(not isinstance(body[f], str) for f in required if f != 'connectionProperties'):
            raise bad_request('%s must be strings.' % ', '.join(f for f in required if f != 'connectionProperties'))
        tags = body.get('tags') or []
        if not isinstance(tags, list) or len(tags) > MAX_TAGS - (1 if driven else 0):
            raise bad_request('tags must be a list of at most %d.' % (MAX_TAGS - (1 if driven else 0)))
        oauth = body['datasourceID'] in self.oauth_datasources
        if driven and oauth and body.get('authUrlOnly') is True:
            return None, dict(authUrl='https://login.example.com/authorize?datasource=%s&state=%s' % (
                body['datasourceID'], secrets.token_hex(8)))
        if driven:
            properties = body['connectionProperties']
            if not isinstance(properties, dict):
                raise bad_request('connectionProperties must be an object.')
            kind = body['datasourceID']
            statement = 'CUSTOM CONNECT TO "provider=%s;%s"' % (kind, ''.join(
                '%s=%s;' % (k, v) for k, v in properties.items() if 'password' not in k.lower()))
        else:
            kind, statement = body['qType'], body['qConnectStatement']
        space = body.get('space') or ''
        if not isinstance(space, str):
            raise bad_request('space must be a string.')
        with self.lock:
            self._conflict(tenant, body['qName'], space, who)
            if oauth:
                self._consume_auth_code(tenant, body['qName'], auth_code)
            now = self.clock.time()
            username, password = body.get('qUsername'), body.get('qPassword')
            connection = Connection(
                id=str(uuid.uuid4()), name=body['qName'], type=kind, connect_statement=statement,
                datasource_id=body['datasourceID'], space=space, owner=who, tenant_id=tenant.id, created=now,
                updated=now, separate_credentials=bool(body.get('qSeparateCredentials')), username=username,
                password=password, secret=body.get('qConnectionSecret') or '', oauth=oauth, tags=list(tags),
                credentials_id=str(uuid.uuid4()) if username or password else '')
            self._of(tenant)[connection.id] = connection
        return connection, None

    def replace(self, tenant, who, connection, body, auth_code=None):
        """PUT: the whole connection from ``body``; credentials as the fields given say."""
        if not isinstance(body, dict):
            raise bad_request('The body must be a JSON object.')
        missing = [f for f in REQUIRED_ON_PUT if not isinstance(body.get(f), str) or body[f] == '']
        if missing:
            raise bad_request('Missing required field(s): %s.' % ', '.join(missing))
        if body['qID'] != connection.id or body['qEngineObjectID'] != connection.id:
            raise bad_request('qID and qEngineObjectID must be the id of the connection in the path (%s).' % connection.id)
        if body['qType'] != connection.type:
            raise bad_request('qType cannot change (%s).' % connection.type)
        if body.get('datasourceID') not in (None, connection.datasource_id):
            raise bad_request('datasourceID cannot change (%s).' % connection.datasource_id)
        if (body.get('space') or '') != connection.space and 'space' in body:
            raise bad_request('A connection is moved to another space with actions/update, not with PUT.')
        if body.get('qCredentialsID') not in (None, '', connection.credentials_id):
            raise ApiError(404, 'DATA-CONNECTIONS-404', 'Not Found', 'No credential %s.' % body['qCredentialsID'])
        for field in ('qUsername', 'qPassword', 'qConnectionSecret'):
            if field in body and not isinstance(body[field], str):
                raise bad_request('%s must be a string.' % field)
        with self.lock:
            self._conflict(tenant, body['qName'], connection.space, connection.owner, besides=connection.id)
            if connection.oauth:
                self._consume_auth_code(tenant, connection.name, auth_code)
            connection.name = body['qName']
            connection.connect_statement = body['qConnectStatement']
            connection.architecture = int(body.get('qArchitecture') or 0)
            connection.logon = 1 if str(body.get('qLogOn')) in ('1', 'LOG_ON_CURRENT_USER') else 0
            connection.separate_credentials = bool(body.get('qSeparateCredentials'))
            if 'qUsername' in body or 'qPassword' in body:
                connection.username = body.get('qUsername', connection.username)
                connection.password = body.get('qPassword', connection.password)
                connection.credentials_id = connection.credentials_id or str(uuid.uuid4())
            if 'qConnectionSecret' in body:
                connection.secret = body['qConnectionSecret']
            connection.updated = self.clock.time()
            connection.updates += 1

    def delete(self, tenant, connection):
        with self.lock:
            self._of(tenant).pop(connection.id, None)


def page_cursor(offset):
    """An opaque page cursor (base64 with padding, so that it needs URL encoding)."""
    return base64.b64encode(('offset:%d' % offset).encode()).decode()


def page_offset(cursor):
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if text.startswith('offset:'):
            return int(text[len('offset:'):])
    except (ValueError, UnicodeDecodeError):
        pass
    raise bad_request('The page cursor %r cannot be read.' % cursor)
