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

    def body(self):
        return error_body(self.status, self.code, self.title, self.detail)


def error_body(status, code, title, detail=None):
    """Qlik's error answer: ``errors[]`` with ``status`` as a string, and the ``traceId`` support asks for."""
    error = dict(code=code, title=title)
    if detail:
        error['detail'] = detail
    error['status'] = str(status)
    return dict(errors=[error], traceId=uuid.uuid4().hex)
