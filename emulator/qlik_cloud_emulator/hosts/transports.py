"""The tenant email configuration of a tenant host (``/api/v1/transports/email-config``): routes only, the rules
are in ../transports.py."""

from __future__ import annotations

from flask import jsonify

from ..transports import EMAIL_CONFIG
from .common import caller, json_body, no_content


def register(app, model):
    """Add the email configuration routes to a tenant host's Flask ``app`` (state: ``model.transports``)."""
    state = model.transports

    def admin():
        tenant, who = caller(model)
        state.roles.require_admin(tenant, who)
        return tenant

    @app.get(EMAIL_CONFIG)
    def get_email_config():
        return jsonify(state.render(admin()))

    @app.put(EMAIL_CONFIG)
    def put_email_config():
        tenant = admin()
        state.replace(tenant, json_body())
        return no_content()

    @app.delete(EMAIL_CONFIG)
    def delete_email_config():
        state.delete(admin())
        return no_content()

    @app.post(EMAIL_CONFIG + '/actions/validate')
    def validate_email_config():
        return jsonify(state.validate(admin()))

    @app.post(EMAIL_CONFIG + '/actions/verify-connection')
    def verify_email_connection():
        return jsonify(state.check(admin()))

    @app.post(EMAIL_CONFIG + '/actions/send-test-email')
    def send_test_email():
        tenant = admin()
        return jsonify(state.send_test(tenant, json_body()))
