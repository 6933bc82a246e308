"""The region's registration host: the Tenants API (create, read, update, deactivate, reactivate)."""

from __future__ import annotations

from flask import jsonify, request

from ..errors import ApiError
from . import common
from .common import base_url, json_body, no_content


def create_app(model):
    app = common.create_app('qlik_cloud_emulator_registration', model)

    def authenticated():
        """The OAuth client the caller's token belongs to."""
        return model.authenticate(common.host().netloc, common.authorization())

    def registered(tenant_id):
        return model.registered_tenant(tenant_id, common.host().region)

    @app.post('/api/v1/tenants')
    def create_tenant():
        client = authenticated()
        data = json_body()
        if not isinstance(data, dict) or not data.get('licenseKey'):
            raise ApiError(400, 'TENANTS-6', 'licenseKey is required')
        tenant = model.create_tenant(data.get('licenseKey'), data.get('datacenter'), data.get('name'),
                                     data.get('hostnames'), created_by=client, region=common.host().region)
        return jsonify(model.render_tenant(tenant, base_url())), 201

    @app.get('/api/v1/tenants/<tenant_id>')
    def get_tenant(tenant_id):
        authenticated()
        return jsonify(model.render_tenant(registered(tenant_id), base_url()))

    @app.patch('/api/v1/tenants/<tenant_id>')
    def patch_tenant(tenant_id):
        authenticated()
        model.patch_tenant(registered(tenant_id), json_body())
        return no_content()

    @app.post('/api/v1/tenants/<tenant_id>/actions/deactivate')
    def deactivate_tenant(tenant_id):
        authenticated()
        tenant = registered(tenant_id)
        data = json_body(required=False) or {}
        return jsonify(model.deactivate_tenant(tenant, request.headers.get('qlik-confirm-hostname'),
                                               data.get('purgeAfterDays'))), 200

    @app.post('/api/v1/tenants/<tenant_id>/actions/reactivate')
    def reactivate_tenant(tenant_id):
        authenticated()
        answer = model.reactivate_tenant(registered(tenant_id), request.headers.get('qlik-confirm-hostname'))
        return jsonify(answer), 200

    return app
