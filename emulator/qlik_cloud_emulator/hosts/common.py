"""What the Qlik hosts' routes share: the host a request came on, JSON bodies, answers without a body,
paging, SCIM filters, Qlik's error answers and the token endpoint.

Routes translate HTTP to calls of the domain model and never take its lock (locking.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import ApiError, error_body

SCIM_TERM = re.compile(r'^\s*(\w+)\s+(eq|ne|gt|ge|lt|le|co)\s+"([^"]*)"\s*$')


def host():
    """The HostInfo of the host this request arrived on."""
    return request.environ['qlik.host']


def base_url():
    return 'https://' + host().netloc


def authorization():
    return request.headers.get('Authorization')


def json_body(required=True):
    data = request.get_json(silent=True)
    if data is None and required:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'The body must be JSON.')
    return data


def no_content(status=204):
    """An answer without a body, and so without a Content-Type (RFC 9110)."""
    response = Flask.response_class(status=status)
    response.headers.pop('Content-Type', None)
    return response


def flag(name):
    """A boolean query parameter (``true``/``false``, any case; absent is false); 400 for anything else."""
    value = request.args.get(name)
    if value is None:
        return False
    if value.lower() not in ('true', 'false'):
        raise ApiError(400, 'HTTP-400', 'Bad Request', '%s must be true or false, got %r.' % (name, value))
    return value.lower() == 'true'


def caller(model):
    """(the tenant of this tenant host, who calls: the OAuth client or the API key's user); 401 without a valid
    token."""
    info = host()
    tenant = model.tenant(info.tenant_id)
    return tenant, model.authenticate(info.netloc, authorization(), tenant)


def parse_scim(expression):
    """``a eq "x" and b ge "y"`` -> [(a, op, x), (b, op, y)] (the subset the Organization API needs)."""
    terms = []
    for part in re.split(r'\s+and\s+', expression.strip()) if expression else []:
        match = SCIM_TERM.match(part)
        if not match:
            raise ApiError(400, 'CORE-1', 'Invalid filter', 'Cannot parse SCIM filter term %r' % part)
        terms.append(match.groups())
    return terms


def scim_match(record, terms):
    for attr, op, value in terms:
        got = record.get(attr)
        values = got if isinstance(got, list) else [got]
        values = ['' if v is None else str(v) for v in values]
        if op == 'eq':
            ok = any(v.lower() == value.lower() for v in values) if attr == 'hostnames' else value in values
        elif op == 'ne':
            ok = value not in values
        elif op == 'co':
            ok = any(value in v for v in values)
        else:
            ok = any({'gt': v > value, 'ge': v >= value, 'lt': v < value, 'le': v <= value}[op] for v in values)
        if not ok:
            return False
    return True


def limit(default=20, maximum=100):
    """The ``limit`` of a list call: a whole number from 1 to ``maximum``, else 400 as Qlik answers."""
    text = request.args.get('limit')
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'limit must be a whole number, got %r.' % text)
    if not 1 <= value <= maximum:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'limit must be 1 to %d, got %d.' % (maximum, value))
    return value


def paged_around(records, size, key='id'):
    """A page as the API keys API gives one: ``startingAfter`` / ``endingBefore`` an item's ``key``, and
    ``links.next`` / ``links.prev`` carrying them (qlik.dev/apis/rest/api-keys); an unknown cursor gives an empty
    page."""
    ids = [r[key] for r in records]
    after, before = request.args.get('startingAfter'), request.args.get('endingBefore')
    if after is not None and before is not None:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'give startingAfter or endingBefore, not both.')
    if before is not None:
        end = ids.index(before) if before in ids else 0
        start = max(0, end - size)
    else:
        start = (ids.index(after) + 1 if after in ids else len(ids)) if after is not None else 0
        end = start + size
    chosen = records[start:end]
    links = dict(self=dict(href=request.url))
    args = dict((k, v) for k, v in request.args.to_dict().items() if k not in ('startingAfter', 'endingBefore'))
    if chosen and end < len(records):
        links['next'] = dict(href='%s%s?%s' % (base_url(), request.path, urlencode(dict(args, startingAfter=chosen[-1][key]))))
    if chosen and start > 0:
        links['prev'] = dict(href='%s%s?%s' % (base_url(), request.path, urlencode(dict(args, endingBefore=chosen[0][key]))))
    return dict(data=chosen, links=links)


def paged(records, size, key='id', to_cursor=str, from_cursor=str):
    """One page of ``records`` as Qlik's list answers: ``data`` and ``links``, the next page's cursor (after
    the page's last ``key``) in ``links.next.href``; an unknown cursor gives an empty page."""
    ids = [r[key] for r in records]
    start = 0
    if request.args.get('next'):
        after = from_cursor(request.args['next'])
        start = ids.index(after) + 1 if after in ids else len(ids)
    chosen = records[start:start + size]
    links = dict(self=dict(href=request.url))
    if chosen and start + len(chosen) < len(records):
        args = request.args.to_dict()
        args['next'] = to_cursor(chosen[-1][key])
        links['next'] = dict(href='%s%s?%s' % (base_url(), request.path, urlencode(args)))
    return dict(data=chosen, links=links)


def create_app(name, model):
    """A Flask application for one kind of Qlik host: Qlik's error bodies and the token endpoint."""
    app = Flask(name)
    app.json.sort_keys = False

    @app.errorhandler(ApiError)
    def _api_error(exc):
        response = jsonify(exc.body())
        response.status_code = exc.status
        for header, value in exc.headers.items():
            response.headers[header] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        response = jsonify(error_body(exc.code, 'HTTP-%d' % exc.code, exc.name, exc.description))
        response.status_code = exc.code
        return response

    @app.post('/oauth/token')
    def oauth_token():
        data = request.get_json(silent=True)
        if data is None:
            data = request.form.to_dict()
        if not isinstance(data, dict) or data.get('grant_type') != 'client_credentials':
            raise ApiError(400, 'OAUTH-2', 'unsupported_grant_type', 'Only client_credentials is supported.')
        info = host()
        tenant = model.tenant(info.tenant_id) if info.kind == 'tenant' else None
        return jsonify(model.issue_token(info.netloc, data.get('client_id'), data.get('client_secret'), tenant,
                                         info.region))

    return app
