"""The console host: the Organization API (/api/core/tenants), for organization-level OAuth clients."""

from __future__ import annotations

import base64

from flask import jsonify, request

from ..errors import ApiError
from . import common
from .common import base_url


def _to_cursor(tenant_id, style):
    """A paging cursor for links.next: the tenant id, or an opaque base64 form (with '=' padding)."""
    if style == 'opaque':
        return base64.b64encode(('after:' + tenant_id).encode()).decode()
    return tenant_id


def _from_cursor(cursor, style):
    if style != 'opaque':
        return cursor
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, 'CORE-4', 'Invalid cursor', 'The next cursor %r cannot be read.' % cursor)
    if not text.startswith('after:'):
        raise ApiError(400, 'CORE-4', 'Invalid cursor', 'The next cursor %r cannot be read.' % cursor)
    return text[len('after:'):]


# What the Organization API's filter takes (tenants-and-organization.md): regionCode and status eq/ne; name,
# hostnames and id eq only; subscriptionId eq (and required); the dates compared; others eq/ne.
ORG_FILTER = dict(subscriptionId=('eq',), regionCode=('eq', 'ne'), status=('eq', 'ne'), name=('eq',),
                  hostnames=('eq',), id=('eq',), countryCode=('eq', 'ne'), originalId=('eq', 'ne'),
                  createdAt=('eq', 'ne', 'gt', 'ge', 'lt', 'le'), updatedAt=('eq', 'ne', 'gt', 'ge', 'lt', 'le'))
ORG_SORT = ('name', 'regionCode', 'createdAt', 'updatedAt', 'status', 'id')


def create_app(model):
    app = common.create_app('qlik_cloud_emulator_console', model)
    config = model.config

    def organization_client():
        client = model.authenticate(common.host().netloc, common.authorization())
        allowed = config.organization_clients
        if allowed and client not in allowed:
            raise ApiError(403, 'CORE-403', 'Forbidden',
                           'The client %s has no access to the Organization API.' % client)
        return client

    @app.get('/api/core/tenants')
    def org_list_tenants():
        organization_client()
        tree = common.parse_scim(request.args.get('filter', ''), ORG_FILTER)
        if not any(attr == 'subscriptionId' and op == 'eq' for attr, op, dummy in common.scim_terms(tree)):
            raise ApiError(400, 'CORE-2', 'subscriptionId is required in the filter')
        try:
            limit = int(request.args.get('limit', 20))
        except ValueError:
            raise ApiError(400, 'CORE-3', 'Invalid limit')
        if not 0 <= limit <= 100:
            raise ApiError(400, 'CORE-3', 'Invalid limit', 'limit must be 0 to 100')
        matching = [r for r in model.org_tenants(base_url()) if common.scim_match(r, tree)]
        matching = common.sort_records(matching, ORG_SORT, code='CORE-5')
        body = common.paged(matching, min(limit, config.org_max_page),
                            to_cursor=lambda i: _to_cursor(i, config.org_cursor),
                            from_cursor=lambda c: _from_cursor(c, config.org_cursor))
        if request.args.get('totalResults') == 'true':
            body['totalResults'] = len(matching)
        return jsonify(body)

    @app.get('/api/core/tenants/<tenant_id>')
    def org_get_tenant(tenant_id):
        organization_client()
        return jsonify(model.render_org_tenant(model.tenant(tenant_id), base_url()))

    return app
