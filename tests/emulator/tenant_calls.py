"""What the tenant APIs of data_connections.py and transports.py share: who calls, with which role, and the
shapes of their requests and answers.

The rest of the emulator treats every caller as a TenantAdmin. ``Roles`` lets a test (or the admin API) take
that role away from one caller of one tenant, so that the calls that need it answer 403 as Qlik does.
"""

from __future__ import annotations

import threading

from flask import Response, request

from .model import ApiError

TENANT_ADMIN = 'TenantAdmin'


class Roles:
    """Which callers of a tenant lack the TenantAdmin role (everyone else has it)."""

    def __init__(self):
        self.lock = threading.Lock()
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


def caller(model):
    """(the tenant this request arrived on, who calls); 404 on another host, 401 without a valid token."""
    info = request.environ['qlik.host']
    if info.kind != 'tenant':
        raise ApiError(404, 'HTTP-404', 'Not Found', 'This endpoint is served on tenant hosts.')
    tenant = model.tenant(info.tenant_id)
    return tenant, model.authenticate(info.netloc, request.headers.get('Authorization'), tenant)


def json_body(what='a JSON object'):
    """The request's JSON body; 400 when there is none."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'The body must be %s.' % what)
    return data


def no_content(status=204):
    """An answer without a body, and so without a Content-Type (RFC 9110)."""
    response = Response(status=status)
    response.headers.pop('Content-Type', None)
    return response


def flag(name):
    """A boolean query parameter (``true``/``false``, any case); 400 for anything else."""
    value = request.args.get(name)
    if value is None:
        return False
    if value.lower() not in ('true', 'false'):
        raise ApiError(400, 'HTTP-400', 'Bad Request', '%s must be true or false, got %r.' % (name, value))
    return value.lower() == 'true'
