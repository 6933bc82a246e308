"""Qlik's error answers, raised by the domain model and the hosts alike."""

from __future__ import annotations

import uuid


class ApiError(Exception):
    """An answer with Qlik's error body: ``{"errors": [{"code", "title", "detail"}]}``."""

    def __init__(self, status, code, title, detail=None, headers=None):
        super().__init__(title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers or {}

    def body(self, path=None):
        return error_body(self.status, self.code, self.title, self.detail, path)


# The type of errors[].status in each API, as the typings of Qlik's own client (@qlik/api, generated from Qlik's
# OpenAPI specs) give it: a string (Tenants), a number (API keys, Users, Data connections), or no such field
# (OAuth clients, Encryption, Licenses, Transports, Automations). Other paths: a string.
STATUS_TYPES = (('/api/v1/tenants', str), ('/api/v1/api-keys', int), ('/api/v1/users', int),
                ('/api/v1/data-connections', int), ('/api/v1/oauth-clients', None), ('/api/v1/encryption', None),
                ('/api/v1/licenses', None), ('/api/v1/transports', None), ('/api/v1/automations', None),
                ('/api/v1/automation-connections', None), ('/api/workflows', None),
                ('/api/connectivity/data-connections', int))


def status_type(path):
    for prefix, kind in STATUS_TYPES:
        if path and (path == prefix or path.startswith(prefix + '/')):
            return kind
    return str


def error_body(status, code, title, detail=None, path=None):
    """Qlik's error answer: ``errors[]`` (with ``status`` typed as the API at ``path`` types it, see
    ``STATUS_TYPES``), and the ``traceId`` support asks for."""
    error = dict(code=code, title=title)
    if detail:
        error['detail'] = detail
    kind = status_type(path)
    if kind is not None:
        error['status'] = kind(status)
    body = dict(errors=[error], traceId=uuid.uuid4().hex)
    if path and path.startswith('/api/v1/licenses'):
        body.update(error=title, message=detail or title)  # deprecated, but required by the Licenses typings
    return body
