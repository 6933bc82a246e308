"""Tenant OAuth clients (with their secrets) and API keys, as oauth-clients-and-api-keys.md describes them.

Part of the domain model: ``Model.issue_token`` asks ``secret_matches`` and ``Model.authenticate`` asks
``api_key_user``. ``Credentials`` shares the model's lock and its rule (locking.py).
"""

from __future__ import annotations

import dataclasses
import re
import secrets

from .clock import iso
from .errors import ApiError
from .locking import locked

MAX_SECRETS = 5
APP_TYPES = ('web', 'native', 'spa', 'anonymous-embed')
GRANT_TYPES = ('client_credentials', 'urn:qlik:oauth:user-impersonation')
AUTH_METHODS = ('client_secret', 'private_key_jwt')
PUBLIC_APP_TYPES = ('native', 'spa')  # public clients: no secret
# what PATCH takes (the typings' paths, and /jwksUri of the API reference) -> the type of its value and the field
PATCHABLE = {'/clientName': (str, 'name'), '/description': (str, 'description'), '/redirectUris': (list, 'redirect_uris'),
             '/allowedOrigins': (list, 'allowed_origins'), '/allowedScopes': (list, 'scopes'),
             '/allowedGrantTypes': (list, 'grant_types'), '/clientUri': (str, 'client_uri'),
             '/logoUri': (str, 'logo_uri'), '/allowedAuthMethods': (list, 'auth_methods'),
             '/publicKeys': (list, 'public_keys'), '/jwksUri': (str, 'jwks_uri')}
SUB_TYPES = ('user', 'externalClient')
DURATION = re.compile(r'^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$')


def duration_seconds(text):
    """Seconds of an ISO 8601 duration in weeks, days, hours, minutes and seconds (None when not one)."""
    match = DURATION.match(text or '')
    if not match or text in ('P', 'PT'):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


@dataclasses.dataclass
class ClientSecret:
    value: str
    hint: str
    created: float
    created_by: str

    def render(self):
        return dict(hint=self.hint, createdAt=iso(self.created), createdBy=self.created_by)


@dataclasses.dataclass
class OAuthClient:
    client_id: str
    name: str
    description: str
    app_type: str
    grant_types: list
    scopes: list
    redirect_uris: list
    allowed_origins: list
    created: float
    updated: float
    created_by: str
    secrets: list = dataclasses.field(default_factory=list)
    tenant_id: str = ''
    auth_methods: list = dataclasses.field(default_factory=list)
    client_uri: str = ''
    logo_uri: str = ''
    public_keys: list = dataclasses.field(default_factory=list)
    jwks_uri: str = ''

    def render(self):
        out = dict(clientId=self.client_id, clientName=self.name, description=self.description,
                   appType=self.app_type, tenantId=self.tenant_id, allowedGrantTypes=list(self.grant_types),
                   allowedScopes=list(self.scopes), allowedAuthMethods=list(self.auth_methods),
                   redirectUris=list(self.redirect_uris), allowedOrigins=list(self.allowed_origins),
                   createdAt=iso(self.created), updatedAt=iso(self.updated), createdBy=self.created_by,
                   clientSecrets=[s.render() for s in self.secrets])
        for name, value in (('clientUri', self.client_uri), ('logoUri', self.logo_uri),
                            ('publicKeys', self.public_keys), ('jwksUri', self.jwks_uri)):
            if value:
                out[name] = list(value) if isinstance(value, list) else value
        return out


@dataclasses.dataclass
class ApiKey:
    id: str
    description: str
    tenant_id: str
    created_by: str
    created: float
    expiry: float
    token: str
    last_updated: float
    revoked: bool = False
    sub: str = ''
    sub_type: str = 'user'

    def status(self, now):
        """'revoked', 'expired' (at ``now``, epoch seconds) or 'active'."""
        if self.revoked:
            return 'revoked'
        return 'expired' if self.expiry <= now else 'active'

    def render(self, now):
        return dict(id=self.id, description=self.description, tenantId=self.tenant_id, sub=self.sub or self.created_by,
                    subType=self.sub_type, createdByUser=self.created_by, created=iso(self.created),
                    lastUpdated=iso(self.last_updated), expiry=iso(self.expiry), status=self.status(now))


class Credentials:
    """The OAuth clients and API keys of every tenant."""

    def __init__(self, lock, config, clock):
        self.lock = lock  # the model's
        self.config = config  # max_keys_per_user, max_api_key_expiry
        self.clock = clock
        self.clients = {}  # tenant id -> {client id: OAuthClient}
        self.keys = {}  # tenant id -> {key id: ApiKey}
        self.key_configs = {}  # tenant id -> the API-key settings PATCHed (others: the config's)

    @locked
    def key_config(self, tenant):
        """The tenant's API-key settings (GET /api/v1/api-keys/configs/{tenantId})."""
        out = dict(max_api_key_expiry=self.config.max_api_key_expiry, max_keys_per_user=self.config.max_keys_per_user,
                   scim_externalClient_expiry='P365D')
        out.update(self.key_configs.get(tenant.id, {}))
        return out

    @locked
    def patch_key_config(self, tenant, ops):
        kinds = {'/max_api_key_expiry': str, '/max_keys_per_user': int, '/scim_externalClient_expiry': str}
        if not isinstance(ops, list) or not ops:
            raise ApiError(400, 'APIKEYS-1', 'Bad request', 'The body must be a non-empty JSON patch list.')
        for op in ops:
            kind = kinds.get(op.get('path')) if isinstance(op, dict) else None
            value = op.get('value') if kind else None
            if kind is None or op.get('op') != 'replace' or not isinstance(value, kind) or isinstance(value, bool) \
                    or (kind is int and value < 1) or (kind is str and not duration_seconds(value)):
                raise ApiError(400, 'APIKEYS-1', 'Bad request', 'Invalid patch operation %r.' % (op,))
        for op in ops:
            self.key_configs.setdefault(tenant.id, {})[op['path'][1:]] = op['value']

    @locked
    def render(self, item):
        """The API's record of an OAuth client or an API key (no secret value, no key token)."""
        return item.render(self.clock.time()) if isinstance(item, ApiKey) else item.render()

    # ------------------------------------------------------------ OAuth clients
    def _clients(self, tenant):
        return self.clients.setdefault(tenant.id, {})

    @locked
    def client(self, tenant, client_id):
        found = self._clients(tenant).get(client_id)
        if found is None:
            raise ApiError(404, 'OAUTH-CLIENTS-4', 'Not found', 'No OAuth client %s' % client_id)
        return found

    @locked
    def list_clients(self, tenant):
        return list(self._clients(tenant).values())

    @staticmethod
    def _check_auth(app_type, methods, public_keys, jwks_uri):
        if not isinstance(methods, list) or set(methods) - set(AUTH_METHODS):
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'allowedAuthMethods must be a list of %s.'
                           % ', '.join(AUTH_METHODS))
        if 'client_secret' in methods and app_type in PUBLIC_APP_TYPES:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'A %s client is a public client: it has no secret '
                           '(allowedAuthMethods client_secret is for web clients).' % app_type)
        if 'private_key_jwt' in methods and not public_keys and not jwks_uri:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'private_key_jwt needs publicKeys (or jwksUri).')

    @locked
    def create_client(self, tenant, body, caller):
        if not isinstance(body, dict) or not isinstance(body.get('clientName'), str) or not body['clientName'].strip():
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'clientName is required.')
        app_type = body.get('appType')
        if app_type not in APP_TYPES:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'appType is required: one of %s.' % ', '.join(APP_TYPES))
        grants = body.get('allowedGrantTypes') or []
        if not isinstance(grants, list) or set(grants) - set(GRANT_TYPES) or (grants and app_type != 'web'):
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'allowedGrantTypes are for web clients: %s.' %
                           ', '.join(GRANT_TYPES))
        if 'clientSecret' in body:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'clientSecret cannot be given: Qlik generates it.')
        methods = body.get('allowedAuthMethods')
        if methods is None:
            methods = ['client_secret'] if app_type == 'web' else []
        public_keys, jwks_uri = body.get('publicKeys') or [], body.get('jwksUri') or ''
        self._check_auth(app_type, methods, public_keys, jwks_uri)
        for name in ('clientUri', 'logoUri', 'jwksUri', 'description'):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', '%s must be a string.' % name)
        now = self.clock.time()
        client = OAuthClient(client_id=secrets.token_hex(16), name=body['clientName'],
                             description=body.get('description') or '', app_type=app_type, grant_types=list(grants),
                             scopes=list(body.get('allowedScopes') or []),
                             redirect_uris=list(body.get('redirectUris') or []),
                             allowed_origins=list(body.get('allowedOrigins') or []), created=now, updated=now,
                             created_by=caller, tenant_id=tenant.id, auth_methods=list(methods),
                             client_uri=body.get('clientUri') or '', logo_uri=body.get('logoUri') or '',
                             public_keys=list(public_keys), jwks_uri=jwks_uri)
        self._clients(tenant)[client.client_id] = client
        value = self._new_secret(client, caller) if app_type == 'web' and 'client_secret' in methods else None
        return client, value

    @locked
    def patch_client(self, tenant, client_id, ops, caller=''):
        """Apply a JSON patch; the secret it generates (adding client_secret to allowedAuthMethods of a client with
        no secret, when ``config.oauth_patch_secret``), else None."""
        client = self.client(tenant, client_id)
        if not isinstance(ops, list) or not ops:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'The body must be a non-empty JSON patch list.')
        for op in ops:
            kind = PATCHABLE.get(op.get('path')) if isinstance(op, dict) else None
            if kind is None or op.get('op') not in ('add', 'replace', 'remove') \
                    or (op['op'] != 'remove' and not isinstance(op.get('value'), kind[0])):
                raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'Invalid patch operation %r.' % (op,))
        values = dict((field, getattr(client, field)) for kind, field in PATCHABLE.values())
        for op in ops:
            kind, field = PATCHABLE[op['path']]
            values[field] = (kind()) if op['op'] == 'remove' else op['value']
        if values['grant_types'] and client.app_type != 'web':
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'allowedGrantTypes are for web clients.')
        self._check_auth(client.app_type, values['auth_methods'], values['public_keys'], values['jwks_uri'])
        adds_secret = 'client_secret' in values['auth_methods'] and 'client_secret' not in client.auth_methods
        for field, value in values.items():
            setattr(client, field, list(value) if isinstance(value, list) else value)
        client.updated = self.clock.time()
        if adds_secret and not client.secrets and self.config.oauth_patch_secret:
            return self._new_secret(client, caller)
        return None

    @locked
    def delete_client(self, tenant, client_id):
        self.client(tenant, client_id)
        del self._clients(tenant)[client_id]

    def _new_secret(self, client, caller):
        if len(client.secrets) >= MAX_SECRETS:
            raise ApiError(409, 'OAUTH-CLIENTS-9', 'Conflict',
                           'The client already has %d secrets; delete one before creating another.' % MAX_SECRETS)
        hints = {s.hint for s in client.secrets}
        value = secrets.token_hex(32)
        while value[-4:] in hints:
            value = secrets.token_hex(32)
        client.secrets.append(ClientSecret(value=value, hint=value[-4:], created=self.clock.time(), created_by=caller))
        return value

    @locked
    def create_secret(self, tenant, client_id, caller):
        client = self.client(tenant, client_id)
        if client.app_type in PUBLIC_APP_TYPES:
            raise ApiError(400, 'OAUTH-CLIENTS-1', 'Bad request', 'A %s client is a public client: it has no secret.'
                           % client.app_type)
        value = self._new_secret(client, caller)
        made = client.secrets[-1]
        return dict(clientId=client.client_id, clientSecret=value, hint=made.hint, createdAt=iso(made.created),
                    createdBy=caller)

    @locked
    def delete_secret(self, tenant, client_id, hint):
        client = self.client(tenant, client_id)
        kept = [s for s in client.secrets if s.hint != hint]
        if len(kept) == len(client.secrets):
            raise ApiError(404, 'OAUTH-CLIENTS-4', 'Not found', 'The client has no secret with hint %s.' % hint)
        client.secrets = kept

    @locked
    def secret_matches(self, tenant, client_id, value):
        """True when ``value`` is a current secret of the tenant's OAuth client ``client_id``."""
        client = self._clients(tenant).get(client_id) if tenant is not None else None
        return client is not None and any(secrets.compare_digest(s.value, value or '') for s in client.secrets)

    # ----------------------------------------------------------------- API keys
    def _keys(self, tenant):
        return self.keys.setdefault(tenant.id, {})

    @locked
    def key(self, tenant, key_id):
        found = self._keys(tenant).get(key_id)
        if found is None:
            raise ApiError(404, 'APIKEYS-4', 'Not found', 'No API key %s' % key_id)
        return found

    @locked
    def list_keys(self, tenant, status=None):
        """The tenant's API keys, or those whose status is ``status`` ('active', 'expired' or 'revoked')."""
        now = self.clock.time()
        return [k for k in self._keys(tenant).values() if status is None or k.status(now) == status]

    @locked
    def create_key(self, tenant, body, caller):
        if not isinstance(body, dict) or not isinstance(body.get('description'), str) or not body['description']:
            raise ApiError(400, 'APIKEYS-1', 'Bad request', 'description is required.')
        settings = self.key_config(tenant)
        limit = duration_seconds(settings['max_api_key_expiry'])
        expiry = duration_seconds(body['expiry']) if body.get('expiry') is not None else limit
        if body.get('subType') != 'externalClient' and (expiry is None or expiry <= 0 or expiry > limit):
            raise ApiError(400, 'APIKEYS-2', 'Bad request', 'expiry must be an ISO 8601 duration up to %s.'
                           % settings['max_api_key_expiry'])
        sub_type = body.get('subType') or 'user'
        sub = body.get('sub') or caller
        if sub_type not in SUB_TYPES or not isinstance(sub, str):
            raise ApiError(400, 'APIKEYS-1', 'Bad request', 'subType must be one of %s.' % ', '.join(SUB_TYPES))
        if sub_type == 'externalClient':
            if not sub.startswith('SCIM\\'):
                raise ApiError(400, 'APIKEYS-1', 'Bad request', 'An externalClient key needs sub SCIM\\<IDP-ID>.')
            scim = duration_seconds(settings['scim_externalClient_expiry'])
            expiry = duration_seconds(body['expiry']) if body.get('expiry') is not None else scim
            if expiry is None or expiry <= 0 or expiry > scim:
                raise ApiError(400, 'APIKEYS-2', 'Bad request', 'expiry must be an ISO 8601 duration up to %s.'
                               % settings['scim_externalClient_expiry'])
        now = self.clock.time()
        active = [k for k in self._keys(tenant).values() if k.created_by == caller and k.status(now) == 'active'
                  and k.sub_type == 'user']
        if sub_type == 'user' and len(active) >= settings['max_keys_per_user']:
            raise ApiError(400, 'APIKEYS-9', 'Bad request', 'The user already has %d active API keys, the maximum.'
                           % settings['max_keys_per_user'])
        key = ApiKey(id=secrets.token_hex(12), description=body['description'], tenant_id=tenant.id,
                     created_by=caller, created=now, expiry=now + expiry, last_updated=now,
                     token='qlik-emulator-api-key.' + secrets.token_urlsafe(32), sub=sub, sub_type=sub_type)
        self._keys(tenant)[key.id] = key
        return key

    @locked
    def patch_key(self, tenant, key_id, ops):
        key = self.key(tenant, key_id)
        if not isinstance(ops, list) or not ops or any(
                not isinstance(op, dict) or op.get('op') != 'replace' or op.get('path') != '/description'
                or not isinstance(op.get('value'), str) for op in ops):
            raise ApiError(400, 'APIKEYS-1', 'Bad request', 'Only a replace of /description is allowed.')
        key.description = ops[-1]['value']
        key.last_updated = self.clock.time()

    @locked
    def delete_key(self, tenant, key_id, caller):
        key = self.key(tenant, key_id)
        if key.created_by == caller:
            del self._keys(tenant)[key_id]
        else:
            key.revoked = True  # a TenantAdmin on another user's key revokes it
            key.last_updated = self.clock.time()

    @locked
    def api_key_user(self, tenant, token):
        """The owner of an active API key ``token`` of the tenant, else None."""
        now = self.clock.time()
        for key in self._keys(tenant).values() if tenant is not None else ():
            if secrets.compare_digest(key.token, token) and key.status(now) == 'active':
                return key.created_by
        return None
