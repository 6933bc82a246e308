"""A tenant's host: the encryption (key providers, migrations), licenses, tenants/me, users/me, OAuth clients
and API keys APIs, and GET/PATCH of the tenant's own record (/api/v1/tenants/{id})."""

from __future__ import annotations

import hashlib

from flask import jsonify, request

from ..errors import ApiError
from ..roles import DEVELOPER
from . import automations, common, data_connections, transports
from .common import base_url, json_body, no_content

ENC = '/api/v1/encryption/keyproviders'


OAUTH_OPERATORS = ('eq', 'ne', 'co', 'sw', 'ew', 'pr')
OAUTH_FILTER = dict((a, OAUTH_OPERATORS) for a in ('clientId', 'clientName', 'appType', 'tenantId', 'createdByType'))
OAUTH_SORT = ('clientId', 'clientName', 'appType', 'tenantId', 'createdAt', 'updatedAt')
API_KEY_SORT = ('createdByUser', 'sub', 'status', 'description', 'created')


def role_id(name):
    """A role's id, stable across runs (Qlik's are 24 hex digits)."""
    return hashlib.sha256(('role:' + name).encode()).hexdigest()[:24]


def create_app(model):
    app = common.create_app('qlik_cloud_emulator_tenant', model)
    credentials = model.credentials

    @app.before_request
    def _disabled_tenant():
        # a deactivated tenant's host refuses every call the same way, the token endpoint included
        model.check_active(common.host().tenant_id)

    def authenticated_caller():
        """(the tenant of this host, who calls: the OAuth client or API key user the token belongs to)."""
        info = common.host()
        tenant = model.tenant(info.tenant_id)
        return tenant, model.authenticate(info.netloc, common.authorization(), tenant)

    def authenticated_tenant():
        return authenticated_caller()[0]

    def admin_tenant():
        """This host's tenant, when the caller is a TenantAdmin of it (else 403, as Qlik answers)."""
        tenant, caller = authenticated_caller()
        model.roles.require_admin(tenant, caller)
        return tenant

    def admin_caller():
        tenant, caller = authenticated_caller()
        model.roles.require_admin(tenant, caller)
        return tenant, caller

    def page(records, key='id'):
        """A page of OAuth clients for the ``limit`` asked (1 to 100, default 20), ``next`` cursors."""
        return jsonify(common.paged(records, common.limit(), key))

    # ------------------------------------------------------------- encryption
    @app.get(ENC)
    def list_aws_providers():
        tenant = admin_tenant()
        return jsonify(model.wrap_list(model.list_providers(tenant)))

    @app.get(ENC + '/actions/list')
    def list_all_providers():
        tenant = admin_tenant()
        return jsonify(model.wrap_list(model.list_providers(tenant, with_qlik=True)))

    @app.post(ENC)
    def create_provider():
        tenant = admin_tenant()
        provider = model.create_provider(tenant, json_body())
        return jsonify(model.render_provider(tenant, provider)), 201

    @app.get(ENC + '/<fingerprint>')
    def get_provider(fingerprint):
        tenant = admin_tenant()
        return jsonify(model.get_provider(tenant, fingerprint))

    @app.patch(ENC + '/<fingerprint>')
    def patch_provider(fingerprint):
        tenant = admin_tenant()
        model.patch_provider(tenant, fingerprint, json_body())
        return no_content()

    @app.delete(ENC + '/<fingerprint>')
    def delete_provider(fingerprint):
        tenant = admin_tenant()
        model.delete_provider(tenant, fingerprint)
        return no_content()

    @app.post(ENC + '/<fingerprint>/actions/test')
    def test_provider(fingerprint):
        tenant = admin_tenant()
        return jsonify(model.test_provider(tenant, fingerprint)), 201

    @app.post(ENC + '/<fingerprint>/actions/migrate')
    def migrate(fingerprint):
        tenant = admin_tenant()
        return jsonify(model.migrate(tenant, fingerprint)), 200

    @app.post(ENC + '/actions/reset-to-default-provider')
    def reset_to_default():
        tenant = admin_tenant()
        status, body = model.reset_to_default(tenant)
        return jsonify(body) if body is not None else no_content(status), status

    @app.get(ENC + '/migration/actions/details')
    def migration_details():
        tenant = admin_tenant()
        return jsonify(model.migration_details(tenant))

    # ------------------------------------------------- licenses, the tenant, the caller
    # (these read only what never changes after a tenant is created: its id, creation time, license)
    @app.get('/api/v1/licenses/overview')
    def licenses_overview():
        tenant = authenticated_tenant()
        return jsonify(dict(
            licenseNumber='0123456789%08d' % (abs(hash(tenant.subscription_id)) % 10 ** 8),
            licenseKey=tenant.license_key, valid='./2030-12-31', status='Ok', origin='Internal',
            product='Qlik Cloud Analytics', version='2', secondaryNumber='', parameters=[
                dict(name='qlikcloud', valid='./2030-12-31', access=dict(allotment='professional'))],
            updated='0001-01-01T00:00:00Z', trial=False,
            allotments=[dict(name='professional', usageClass='assigned', units=25, unitsUsed=1, overage=0)]))

    @app.get('/api/v1/tenants/me')
    def tenants_me():
        tenant = authenticated_tenant()
        return jsonify(model.render_tenant(tenant, base_url()))

    @app.get('/api/v1/users/me')
    def users_me():
        tenant, client = authenticated_caller()
        roles = model.roles.roles_of(tenant, client)
        return jsonify(dict(
            id=client, tenantId=tenant.id, clientId=client, status='active',
            subject='qlikbot\\%s' % client, name='OAuth client %s' % client, roles=roles,
            assignedRoles=[dict(id=role_id(role), name=role, type='default',
                                level='admin' if role.endswith('Admin') else 'user') for role in roles],
            assignedGroups=[], groups=[], createdAt=tenant.created, lastUpdatedAt=tenant.created,
            created=tenant.created, lastUpdated=tenant.created,
            links=dict(self=dict(href=base_url() + '/api/v1/users/me'))))

    def own_tenant(tenant_id):
        """This host's tenant, when ``tenant_id`` names it (a tenant host serves only its own record)."""
        tenant = authenticated_tenant()
        if tenant_id != tenant.id:
            raise ApiError(404, 'TENANTS-4', 'Tenant not found', 'No tenant with id %s' % tenant_id)
        return tenant

    @app.get('/api/v1/tenants/<tenant_id>')
    def get_tenant(tenant_id):
        return jsonify(model.render_tenant(own_tenant(tenant_id), base_url()))

    @app.patch('/api/v1/tenants/<tenant_id>')
    def patch_tenant(tenant_id):
        model.patch_tenant(own_tenant(tenant_id), json_body())
        return no_content()

    # ------------------------------------------------------ OAuth clients, API keys
    @app.get('/api/v1/oauth-clients')
    def list_oauth_clients():
        tenant = admin_tenant()  # Qlik: a TenantAdmin's token, for reads too
        tree = common.parse_scim(request.args.get('filter', ''), OAUTH_FILTER, code='OAUTH-CLIENTS-1')
        size = common.limit()
        clients = [credentials.render(c) for c in credentials.list_clients(tenant)]
        matching = common.sort_records([c for c in clients if common.scim_match(c, tree)], OAUTH_SORT)
        body = common.paged(matching, size, 'clientId')
        if common.flag('totalResults'):
            body['totalResults'] = len(matching)
        return jsonify(body)

    @app.post('/api/v1/oauth-clients')
    def create_oauth_client():
        tenant, caller = admin_caller()
        client, secret = credentials.create_client(tenant, json_body(), caller)
        body = credentials.render(client)
        if secret is not None:
            body['clientSecret'] = secret
        return jsonify(body), 201

    @app.get('/api/v1/oauth-clients/<client_id>')
    def get_oauth_client(client_id):
        tenant = admin_tenant()
        return jsonify(credentials.render(credentials.client(tenant, client_id)))

    @app.patch('/api/v1/oauth-clients/<client_id>')
    def patch_oauth_client(client_id):
        tenant, caller = admin_caller()
        secret = credentials.patch_client(tenant, client_id, json_body(), caller)
        if secret is not None:  # the patch generated a secret (client_secret added to allowedAuthMethods)
            return jsonify(dict(clientSecret=secret)), 202
        return no_content()

    @app.delete('/api/v1/oauth-clients/<client_id>')
    def delete_oauth_client(client_id):
        tenant = admin_tenant()
        credentials.delete_client(tenant, client_id)
        return no_content()

    @app.post('/api/v1/oauth-clients/<client_id>/client-secrets')
    def create_client_secret(client_id):
        tenant, caller = admin_caller()
        return jsonify(credentials.create_secret(tenant, client_id, caller)), 201

    @app.delete('/api/v1/oauth-clients/<client_id>/client-secrets/<hint>')
    def delete_client_secret(client_id, hint):
        tenant = admin_tenant()
        credentials.delete_secret(tenant, client_id, hint)
        return no_content()

    def own_key(tenant, caller, key_id):
        """The API key ``key_id``, when the caller owns it or is a TenantAdmin (403 for another user's key)."""
        key = credentials.key(tenant, key_id)
        if key.created_by != caller:
            model.roles.require_admin(tenant, caller)
        return key

    @app.get('/api/v1/api-keys')
    def list_api_keys():
        tenant, caller = authenticated_caller()
        size = common.limit()
        status = request.args.get('status') or None
        if status not in (None, 'active', 'expired', 'revoked'):
            raise ApiError(400, 'APIKEYS-1', 'Bad request', 'status must be active, expired or revoked.')
        admin = model.roles.is_admin(tenant, caller)
        wanted_user = request.args.get('createdByUser')
        if wanted_user and wanted_user != caller and not admin:
            model.roles.require_admin(tenant, caller)  # other users' keys: TenantAdmin only
        keys = [credentials.render(k) for k in credentials.list_keys(tenant, status=status)
                if k.created_by == caller or admin]
        for field in ('createdByUser', 'sub', 'subType'):
            if request.args.get(field):
                keys = [k for k in keys if k.get(field) == request.args[field]]
        keys = common.sort_records(keys, API_KEY_SORT)
        return jsonify(common.paged_around(keys, size))

    @app.post('/api/v1/api-keys')
    def create_api_key():
        tenant, caller = authenticated_caller()
        body = json_body()
        roles = model.roles.roles_of(tenant, caller)
        if DEVELOPER not in roles:
            raise ApiError(403, 'APIKEYS-3', 'Forbidden', 'Creating an API key needs the Developer role; %s does '
                           'not have it.' % caller)
        if isinstance(body, dict) and (body.get('subType') == 'externalClient' or body.get('sub') not in (None, caller)):
            model.roles.require_admin(tenant, caller)  # a key for someone else (or a SCIM key)
        key = credentials.create_key(tenant, body, caller)
        return jsonify(dict(credentials.render(key), token=key.token)), 201

    @app.get('/api/v1/api-keys/<key_id>')
    def get_api_key(key_id):
        tenant, caller = authenticated_caller()
        return jsonify(credentials.render(own_key(tenant, caller, key_id)))

    @app.patch('/api/v1/api-keys/<key_id>')
    def patch_api_key(key_id):
        tenant, caller = authenticated_caller()
        own_key(tenant, caller, key_id)
        credentials.patch_key(tenant, key_id, json_body())
        return no_content()

    @app.delete('/api/v1/api-keys/<key_id>')
    def delete_api_key(key_id):
        tenant, caller = authenticated_caller()
        own_key(tenant, caller, key_id)  # revoking another user's key needs TenantAdmin
        credentials.delete_key(tenant, key_id, caller)
        return no_content()

    @app.get('/api/v1/api-keys/configs/<tenant_id>')
    def api_key_config(tenant_id):
        tenant = admin_tenant()
        if tenant_id != tenant.id:
            raise ApiError(404, 'APIKEYS-4', 'Not found', 'No tenant %s here.' % tenant_id)
        return jsonify(credentials.key_config(tenant))

    @app.patch('/api/v1/api-keys/configs/<tenant_id>')
    def patch_api_key_config(tenant_id):
        tenant = admin_tenant()
        if tenant_id != tenant.id:
            raise ApiError(404, 'APIKEYS-4', 'Not found', 'No tenant %s here.' % tenant_id)
        credentials.patch_key_config(tenant, json_body())
        return no_content()

    data_connections.register(app, model)
    transports.register(app, model)
    automations.register(app, model)
    return app
