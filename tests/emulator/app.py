"""HTTP routes of the Qlik Cloud emulator (Flask).

One Flask application serves every emulated host; the server sets
``environ['qlik.host']`` to say which host (registration, console or a tenant)
a request arrived on, the way Qlik routes by host name.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import urlencode

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from . import automations
from .model import ApiError, error_body

ENC = '/api/v1/encryption/keyproviders'
SCIM_TERM = re.compile(r'^\s*(\w+)\s+(eq|ne|gt|ge|lt|le|co)\s+"([^"]*)"\s*$')


def _json_body(required=True):
    data = request.get_json(silent=True)
    if data is None and required:
        raise ApiError(400, 'HTTP-400', 'Bad Request', 'The body must be JSON.')
    return data


def _parse_scim(expression):
    """``a eq "x" and b ge "y"`` -> [(a, op, x), (b, op, y)] (the subset the Organization API needs)."""
    terms = []
    for part in re.split(r'\s+and\s+', expression.strip()) if expression else []:
        match = SCIM_TERM.match(part)
        if not match:
            raise ApiError(400, 'CORE-1', 'Invalid filter', 'Cannot parse SCIM filter term %r' % part)
        terms.append(match.groups())
    return terms


def _scim_match(record, terms):
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


def create_app(model):
    app = Flask('qlik_cloud_emulator')
    app.json.sort_keys = False

    def host():
        return request.environ['qlik.host']

    def base_url():
        return 'https://' + host().netloc

    def tenant_here():
        info = host()
        if info.kind != 'tenant':
            raise ApiError(404, 'HTTP-404', 'Not Found', 'This endpoint is served on tenant hosts.')
        tenant = model.tenant(info.tenant_id)
        return tenant

    def authenticated_tenant():
        return authenticated_caller()[0]

    def authenticated_caller():
        """(the tenant of this host, who calls: the OAuth client or API key user the token belongs to)."""
        tenant = tenant_here()
        return tenant, model.authenticate(host().netloc, request.headers.get('Authorization'), tenant)

    def no_content(status=204):
        """An answer without a body, and so without a Content-Type (RFC 9110)."""
        response = app.response_class(status=status)
        response.headers.pop('Content-Type', None)
        return response

    @app.before_request
    def _disabled_tenant():
        # a deactivated tenant's host refuses every call the same way, the token endpoint included
        info = host()
        if info.kind == 'tenant':
            tenant = model.tenants.get(info.tenant_id)
            if tenant is not None and tenant.status != 'active':
                raise ApiError(403, 'TENANT-DISABLED', 'Forbidden',
                               'The tenant %s (%s) is deactivated.' % (tenant.name, tenant.id))

    def authenticated(kind):
        if host().kind != kind:
            raise ApiError(404, 'HTTP-404', 'Not Found', 'This endpoint is served on the %s host.' % kind)
        return model.authenticate(host().netloc, request.headers.get('Authorization'))

    @app.errorhandler(ApiError)
    def _api_error(exc):
        response = jsonify(exc.body())
        response.status_code = exc.status
        for name, value in exc.headers.items():
            response.headers[name] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        response = jsonify(error_body(exc.code, 'HTTP-%d' % exc.code, exc.name, exc.description))
        response.status_code = exc.code
        return response

    # ------------------------------------------------------------------ OAuth
    @app.post('/oauth/token')
    def oauth_token():
        data = request.get_json(silent=True)
        if data is None:
            data = request.form.to_dict()
        if not isinstance(data, dict) or data.get('grant_type') != 'client_credentials':
            raise ApiError(400, 'OAUTH-2', 'unsupported_grant_type', 'Only client_credentials is supported.')
        info = host()
        tenant = model.tenants.get(info.tenant_id) if info.kind == 'tenant' else None
        return jsonify(model.issue_token(info.netloc, data.get('client_id'), data.get('client_secret'), tenant))

    # ------------------------------------------------------------- encryption
    @app.get(ENC)
    def list_aws_providers():
        tenant = authenticated_tenant()
        with model.lock:
            model.advance(tenant)
            items = [model.render_provider(tenant, p) for p in tenant.providers.values()]
        return jsonify(model.wrap_list(items))

    @app.get(ENC + '/actions/list')
    def list_all_providers():
        tenant = authenticated_tenant()
        with model.lock:
            model.advance(tenant)
            items = [model.render_qlik_provider(tenant)]
            items += [model.render_provider(tenant, p) for p in tenant.providers.values()]
        return jsonify(model.wrap_list(items))

    @app.post(ENC)
    def create_provider():
        tenant = authenticated_tenant()
        provider = model.create_provider(tenant, _json_body())
        return jsonify(model.render_provider(tenant, provider)), 201

    @app.get(ENC + '/<fingerprint>')
    def get_provider(fingerprint):
        tenant = authenticated_tenant()
        with model.lock:
            model.advance(tenant)
            return jsonify(model.render_provider(tenant, model.find_provider(tenant, fingerprint)))

    @app.patch(ENC + '/<fingerprint>')
    def patch_provider(fingerprint):
        tenant = authenticated_tenant()
        model.patch_provider(tenant, fingerprint, _json_body())
        return no_content()

    @app.delete(ENC + '/<fingerprint>')
    def delete_provider(fingerprint):
        tenant = authenticated_tenant()
        model.delete_provider(tenant, fingerprint)
        return no_content()

    @app.post(ENC + '/<fingerprint>/actions/test')
    def test_provider(fingerprint):
        tenant = authenticated_tenant()
        return jsonify(model.test_provider(tenant, fingerprint)), 201

    @app.post(ENC + '/<fingerprint>/actions/migrate')
    def migrate(fingerprint):
        tenant = authenticated_tenant()
        return jsonify(model.migrate(tenant, fingerprint)), 200

    @app.post(ENC + '/actions/reset-to-default-provider')
    def reset_to_default():
        tenant = authenticated_tenant()
        status, body = model.reset_to_default(tenant)
        return jsonify(body) if body is not None else no_content(status), status

    @app.get(ENC + '/migration/actions/details')
    def migration_details():
        tenant = authenticated_tenant()
        return jsonify(model.migration_details(tenant))

    # ------------------------------------------------------------ tenant host
    @app.get('/api/v1/licenses/overview')
    def licenses_overview():
        tenant = authenticated_tenant()
        return jsonify(dict(
            licenseNumber='0123456789%08d' % (abs(hash(tenant.subscription_id)) % 10 ** 8),
            licenseKey=tenant.license_key, valid='./2030-12-31', status='Ok', origin='Internal',
            product='Qlik Cloud Analytics', version='2', secondaryNumber='', parameters=[
                dict(name='qlikcloud', valid=True, access=dict(allotment='professional'))],
            updated='0001-01-01T00:00:00Z', trial=False,
            allotments=[dict(name='professional', usageClass='assigned', units=25, unitsUsed=1, overage=0)]))

    @app.get('/api/v1/tenants/me')
    def tenants_me():
        tenant = authenticated_tenant()
        return jsonify(model.render_tenant(tenant, base_url()))

    @app.get('/api/v1/users/me')
    def users_me():
        tenant, client = authenticated_caller()
        return jsonify(dict(
            id='bot-' + tenant.id[:12], tenantId=tenant.id, clientId=client, status='active',
            subject='qlikbot\\%s' % client, name='OAuth client %s' % client, roles=['TenantAdmin'],
            assignedRoles=[dict(name='TenantAdmin', type='default', level='admin')],
            assignedGroups=[], groups=[], createdAt=tenant.created, lastUpdatedAt=tenant.created,
            created=tenant.created, lastUpdated=tenant.created,
            links=dict(self=dict(href=base_url() + '/api/v1/users/me'))))

    # ------------------------------------------------------ OAuth clients, API keys
    credentials = model.credentials

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

    def page(records, key='id'):
        """A page of OAuth clients or API keys for the ``limit`` asked (1 to 100, default 20)."""
        try:
            limit = int(request.args.get('limit', 20))
        except ValueError:
            raise ApiError(400, 'HTTP-400', 'Bad Request', 'limit must be a number.')
        return jsonify(paged(records, max(1, min(limit, 100)), key))

    @app.get('/api/v1/oauth-clients')
    def list_oauth_clients():
        tenant = authenticated_tenant()
        terms = _parse_scim(request.args.get('filter', ''))
        clients = [c.render() for c in credentials.list_clients(tenant)]
        return page([c for c in clients if _scim_match(c, terms)], key='clientId')

    @app.post('/api/v1/oauth-clients')
    def create_oauth_client():
        tenant, caller = authenticated_caller()
        client, secret = credentials.create_client(tenant, _json_body(), caller)
        body = client.render()
        if secret is not None:
            body['clientSecret'] = secret
        return jsonify(body), 201

    @app.get('/api/v1/oauth-clients/<client_id>')
    def get_oauth_client(client_id):
        tenant = authenticated_tenant()
        return jsonify(credentials.client(tenant, client_id).render())

    @app.patch('/api/v1/oauth-clients/<client_id>')
    def patch_oauth_client(client_id):
        tenant = authenticated_tenant()
        credentials.patch_client(tenant, client_id, _json_body())
        return no_content()

    @app.delete('/api/v1/oauth-clients/<client_id>')
    def delete_oauth_client(client_id):
        tenant = authenticated_tenant()
        credentials.delete_client(tenant, client_id)
        return no_content()

    @app.post('/api/v1/oauth-clients/<client_id>/client-secrets')
    def create_client_secret(client_id):
        tenant, caller = authenticated_caller()
        return jsonify(credentials.create_secret(tenant, client_id, caller)), 201

    @app.delete('/api/v1/oauth-clients/<client_id>/client-secrets/<hint>')
    def delete_client_secret(client_id, hint):
        tenant = authenticated_tenant()
        credentials.delete_secret(tenant, client_id, hint)
        return no_content()

    @app.get('/api/v1/api-keys')
    def list_api_keys():
        tenant = authenticated_tenant()
        status = request.args.get('status')
        return page([k.render() for k in credentials.list_keys(tenant) if not status or k.status == status])

    @app.post('/api/v1/api-keys')
    def create_api_key():
        tenant, caller = authenticated_caller()
        key = credentials.create_key(tenant, _json_body(), caller)
        return jsonify(dict(key.render(), token=key.token)), 201

    @app.get('/api/v1/api-keys/<key_id>')
    def get_api_key(key_id):
        tenant = authenticated_tenant()
        return jsonify(credentials.key(tenant, key_id).render())

    @app.patch('/api/v1/api-keys/<key_id>')
    def patch_api_key(key_id):
        tenant = authenticated_tenant()
        credentials.patch_key(tenant, key_id, _json_body())
        return no_content()

    @app.delete('/api/v1/api-keys/<key_id>')
    def delete_api_key(key_id):
        tenant, caller = authenticated_caller()
        credentials.delete_key(tenant, key_id, caller)
        return no_content()

    @app.get('/api/v1/api-keys/configs/<tenant_id>')
    def api_key_config(tenant_id):
        tenant = authenticated_tenant()
        if tenant_id != tenant.id:
            raise ApiError(404, 'APIKEYS-4', 'Not found', 'No tenant %s here.' % tenant_id)
        return jsonify(dict(max_api_key_expiry=model.config.max_api_key_expiry,
                            max_keys_per_user=model.config.max_keys_per_user, scim_externalClient_expiry='P365D'))

    # -------------------------------------------------------- registration host
    def tenant_by_id_for_host(tenant_id):
        info = host()
        if info.kind == 'tenant':
            model.authenticate(info.netloc, request.headers.get('Authorization'), model.tenant(info.tenant_id))
            if tenant_id != info.tenant_id:
                raise ApiError(404, 'TENANTS-4', 'Tenant not found', 'No tenant with id %s' % tenant_id)
        else:
            authenticated('registration')
        return model.tenant(tenant_id)

    @app.post('/api/v1/tenants')
    def create_tenant():
        client = authenticated('registration')
        data = _json_body()
        if not isinstance(data, dict) or not data.get('licenseKey'):
            raise ApiError(400, 'TENANTS-6', 'licenseKey is required')
        tenant = model.create_tenant(data.get('licenseKey'), data.get('datacenter'), data.get('name'),
                                     data.get('hostnames'), created_by=client)
        return jsonify(model.render_tenant(tenant, base_url())), 201

    @app.get('/api/v1/tenants/<tenant_id>')
    def get_tenant(tenant_id):
        tenant = tenant_by_id_for_host(tenant_id)
        return jsonify(model.render_tenant(tenant, base_url()))

    @app.patch('/api/v1/tenants/<tenant_id>')
    def patch_tenant(tenant_id):
        tenant = tenant_by_id_for_host(tenant_id)
        model.patch_tenant(tenant, _json_body())
        return no_content()

    @app.post('/api/v1/tenants/<tenant_id>/actions/deactivate')
    def deactivate_tenant(tenant_id):
        authenticated('registration')
        tenant = model.tenant(tenant_id)
        data = _json_body(required=False) or {}
        return jsonify(model.deactivate_tenant(tenant, request.headers.get('qlik-confirm-hostname'),
                                               data.get('purgeAfterDays'))), 200

    @app.post('/api/v1/tenants/<tenant_id>/actions/reactivate')
    def reactivate_tenant(tenant_id):
        authenticated('registration')
        answer = model.reactivate_tenant(model.tenant(tenant_id), request.headers.get('qlik-confirm-hostname'))
        return jsonify(answer), 200

    # ---------------------------------------------------------- console (org)
    def organization_client():
        client = authenticated('console')
        allowed = model.config.organization_clients
        if allowed and client not in allowed:
            raise ApiError(403, 'CORE-403', 'Forbidden',
                           'The client %s has no access to the Organization API.' % client)
        return client

    @app.get('/api/core/tenants')
    def org_list_tenants():
        organization_client()
        terms = _parse_scim(request.args.get('filter', ''))
        if not any(attr == 'subscriptionId' and op == 'eq' for attr, op, dummy in terms):
            raise ApiError(400, 'CORE-2', 'subscriptionId is required in the filter')
        try:
            limit = int(request.args.get('limit', 20))
        except ValueError:
            raise ApiError(400, 'CORE-3', 'Invalid limit')
        if not 0 <= limit <= 100:
            raise ApiError(400, 'CORE-3', 'Invalid limit', 'limit must be 0 to 100')
        with model.lock:
            records = [model.render_org_tenant(t, base_url()) for t in model.tenants.values()]
        matching = [r for r in records if _scim_match(r, terms)]
        body = paged(matching, min(limit, model.config.org_max_page),
                     to_cursor=lambda i: _to_cursor(i, model.config.org_cursor),
                     from_cursor=lambda c: _from_cursor(c, model.config.org_cursor))
        if request.args.get('totalResults') == 'true':
            body['totalResults'] = len(matching)
        return jsonify(body)

    @app.get('/api/core/tenants/<tenant_id>')
    def org_get_tenant(tenant_id):
        organization_client()
        return jsonify(model.render_org_tenant(model.tenant(tenant_id), base_url()))

    automations.register(app, model)  # Qlik Automate: tests/emulator/automations.py
    return app
