"""Who holds the TenantAdmin role on a tenant.

The emulator treats every caller as a TenantAdmin unless a test (or the admin API) takes the role away from
one caller of one tenant (``revoke_admin``); the calls that need the role then answer 403 as Qlik does.
"""

from __future__ import annotations

from .errors import ApiError

TENANT_ADMIN = 'TenantAdmin'


class Roles:
    """Which callers of a tenant lack the TenantAdmin role (everyone else has it)."""

    def __init__(self, lock):
        self.lock = lock  # the model's
        self._not_admin = {}  # tenant id -> set of callers (OAuth client ids, API-key users)

    def revoke_admin(self, tenant, caller):
        with self.lock:
            self._not_admin.setdefault(tenant.id, set()).add(caller)

    def grant_admin(self, tenant, caller):
        with self.lock:
            self._not_admin.get(tenant.id, set()).discard(caller)

    def is_admin(self, tenant, caller):
        with self.lock:
            return caller not in self._not_admin.get(tenant.id, ())

    def require_admin(self, tenant, caller, code='TenantAdminError'):
        if not self.is_admin(tenant, caller):
            raise ApiError(403, code, 'Forbidden', 'This call needs the %s role; %s does not have it.' % (
                TENANT_ADMIN, caller))
