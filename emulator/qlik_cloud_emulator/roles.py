"""Who the callers of a tenant are, and which roles they hold.

Callers have identities: the emulator's own OAuth client (``EmulatorConfig.client_id``) is a TenantAdmin; so are the
OAuth clients created through a tenant's API and the users of API keys, unless a test (or the admin API) takes the
role away from one caller of one tenant (``revoke_admin``). The tenant-level M2M clients of
``EmulatorConfig.clients`` (``--client NAME:ROLE[,ROLE]``) exist on every tenant and hold just the roles named. An
API key acts as its owner. The calls that need TenantAdmin answer 403 with Qlik's error body.
"""

from __future__ import annotations

import re
import secrets

from .errors import ApiError

TENANT_ADMIN = 'TenantAdmin'
DEVELOPER = 'Developer'
# the emulator's default client: a tenant admin that may also create API keys (Qlik asks Developer for that)
DEFAULT_ROLES = (TENANT_ADMIN, DEVELOPER)
CLIENT_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9_-]{0,39}$')
ROLE_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9]{0,63}$')


def parse_client(text):
    """``NAME:ROLE[,ROLE]`` (``viewer:`` for none) -> (name, [roles]); ValueError when it is not one."""
    name, sep, roles = text.partition(':')
    roles = [r.strip() for r in roles.split(',') if r.strip()]
    if not sep or not CLIENT_NAME.match(name) or not all(ROLE_NAME.match(r) for r in roles):
        raise ValueError('expected NAME:ROLE[,ROLE] (NAME: letters, digits, - and _; `viewer:` for no role), got %r'
                         % text)
    return name, roles


def env_name(name):
    return re.sub(r'[^A-Z0-9]', '_', name.upper())


class NamedClient:
    """A tenant-level M2M OAuth client that exists on every tenant, with the roles it was given."""

    def __init__(self, name, roles, prefix):
        self.name = name
        self.roles = list(roles)
        self.client_id = '%s-%s' % (prefix, name)
        self.secret = secrets.token_hex(24)

    def describe(self):
        return dict(name=self.name, client_id=self.client_id, client_secret=self.secret, roles=list(self.roles))


class Roles:
    """The roles of every caller of every tenant."""

    def __init__(self, lock, config=None):
        self.lock = lock  # the model's
        self._not_admin = {}  # tenant id -> set of callers (OAuth client ids, API-key users)
        prefix = config.client_id if config is not None else 'emulator-client'
        clients = (config.clients if config is not None else None) or {}
        self.named = dict((c.client_id, c) for c in (NamedClient(n, r, prefix) for n, r in clients.items()))

    def named_client(self, client_id):
        return self.named.get(client_id)

    def revoke_admin(self, tenant, caller):
        with self.lock:
            self._not_admin.setdefault(tenant.id, set()).add(caller)

    def grant_admin(self, tenant, caller):
        with self.lock:
            self._not_admin.get(tenant.id, set()).discard(caller)

    def roles_of(self, tenant, caller):
        """The roles ``caller`` holds on ``tenant``."""
        with self.lock:
            named = self.named.get(caller)
            roles = list(named.roles) if named is not None else list(DEFAULT_ROLES)
            if caller in self._not_admin.get(tenant.id, ()):
                roles = [r for r in roles if r != TENANT_ADMIN]
            return roles

    def is_admin(self, tenant, caller):
        return TENANT_ADMIN in self.roles_of(tenant, caller)

    def require_admin(self, tenant, caller, code='TenantAdminError'):
        if not self.is_admin(tenant, caller):
            raise ApiError(403, code, 'Forbidden', 'This call needs the %s role; %s does not have it.' % (
                TENANT_ADMIN, caller))
