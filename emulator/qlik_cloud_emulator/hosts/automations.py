"""Qlik Automate on a tenant host: the Automations and Automation Connections APIs (workflows and legacy paths) and
the trigger endpoint that takes an execution token. Routes only; the rules are in ../automations.py."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import jsonify, request

from ..automations import PREFIXES, TRIGGER, page_after, page_cursor
from ..errors import ApiError
from . import common
from .common import json_body, no_content


def register(app, model):
    """Add the Automations, Automation Connections and trigger routes to ``app``; the state is ``model.automations``."""
    state = model.automations

    def caller():
        """(tenant, caller, legacy) of a call to one of these APIs; 404 on a prefix the tenant does not serve."""
        info = request.environ['qlik.host']
        if info.kind != 'tenant':
            raise ApiError(404, 'HTTP-404', 'Not Found', 'This endpoint is served on tenant hosts.')
        legacy = request.path.startswith(PREFIXES['legacy'] + '/')
        if ('legacy' if legacy else 'workflows') not in state.paths:
            raise ApiError(404, 'HTTP-404', 'Not Found', 'No route for %s.' % request.path)
        tenant = model.tenant(info.tenant_id)
        return tenant, model.authenticate(info.netloc, request.headers.get('Authorization'), tenant), legacy

    def body():
        return json_body()

    def page(records):
        limit = common.limit()
        ids = [r['id'] for r in records]
        start = 0
        if request.args.get('cursor'):
            after = page_after(request.args['cursor'])
            start = ids.index(after) + 1 if after in ids else len(ids)
        chosen = records[start:start + limit]
        base = 'https://' + request.environ['qlik.host'].netloc + request.path
        links = dict(self=dict(href=request.url))
        if chosen and start + len(chosen) < len(records):
            args = dict(request.args.to_dict(), cursor=page_cursor(chosen[-1]['id']))
            links['next'] = dict(href='%s?%s' % (base, urlencode(args)))
        return jsonify(dict(data=chosen, links=links))

    def redact_logged(connection_id, by):
        """Keep the secret parameter values of this request out of the request log."""
        entry = request.environ.get('qlik.log_entry')
        if entry is not None and entry.get('body') is not None:
            entry['body'] = state.secret_values(model.tenant(request.environ['qlik.host'].tenant_id), connection_id,
                                                entry['body'], by)

    for prefix in PREFIXES.values():
        auto = prefix + '/automations'
        conn = prefix + '/automation-connections'
        tag = prefix.strip('/').replace('/', '_')

        def list_automations():
            tenant, dummy, dummy2 = caller()
            return page([a.render() for a in state.of(tenant)])

        def get_automation(automation_id):
            tenant, dummy, dummy2 = caller()
            return jsonify(state.automation(tenant, automation_id).render(detail=True))

        def put_automation(automation_id):
            tenant, dummy, dummy2 = caller()
            return jsonify(state.update(tenant, automation_id, body()).render(detail=True))

        def delete_automation(automation_id):
            tenant, dummy, dummy2 = caller()
            state.delete(tenant, automation_id)
            return no_content()

        def copy_automation(automation_id):
            tenant, who, legacy = caller()
            return jsonify(dict(id=state.copy(tenant, automation_id, body(), who, legacy).id)), 201

        def enable_automation(automation_id):
            tenant, dummy, dummy2 = caller()
            state.set_state(tenant, automation_id, 'available')
            return no_content()

        def disable_automation(automation_id):
            tenant, dummy, dummy2 = caller()
            state.set_state(tenant, automation_id, 'disabled')
            return no_content()

        def change_space(automation_id):
            tenant, dummy, dummy2 = caller()
            state.change_space(tenant, automation_id, body())
            return no_content()

        def list_connections():
            tenant, dummy, dummy2 = caller()
            return page([c.render() for c in state.connections_of(tenant)])

        def create_connection():
            tenant, who, dummy = caller()
            redact_logged(None, 'name')
            return jsonify(state.create_connection(tenant, body(), who).render(detail=True)), 201

        def get_connection(connection_id):
            tenant, dummy, dummy2 = caller()
            return jsonify(state.connection(tenant, connection_id).render(detail=True))

        def put_connection(connection_id):
            tenant, dummy, dummy2 = caller()
            redact_logged(connection_id, 'id')
            return jsonify(state.update_connection(tenant, connection_id, body()).render(detail=True))

        def check_connection(connection_id):
            tenant, dummy, dummy2 = caller()
            connected = state.connection(tenant, connection_id).connected
            return jsonify(dict(connected=connected, is_connected=connected))

        routes = [
            ('GET', auto, list_automations), ('GET', auto + '/<automation_id>', get_automation),
            ('PUT', auto + '/<automation_id>', put_automation), ('DELETE', auto + '/<automation_id>', delete_automation),
            ('POST', auto + '/<automation_id>/actions/copy', copy_automation),
            ('POST', auto + '/<automation_id>/actions/enable', enable_automation),
            ('POST', auto + '/<automation_id>/actions/disable', disable_automation),
            ('POST', auto + '/<automation_id>/actions/change-space', change_space),
            ('GET', conn, list_connections), ('POST', conn, create_connection),
            ('GET', conn + '/<connection_id>', get_connection), ('PUT', conn + '/<connection_id>', put_connection),
            ('POST', conn + '/<connection_id>/actions/check', check_connection),
        ]
        for method, rule, view in routes:
            app.add_url_rule(rule, '%s_%s' % (tag, view.__name__), view, methods=[method])

    @app.post(TRIGGER)
    def execute_automation(automation_id):
        info = request.environ['qlik.host']
        if info.kind != 'tenant':
            raise ApiError(404, 'HTTP-404', 'Not Found', 'This endpoint is served on tenant hosts.')
        tenant = model.tenant(info.tenant_id)
        return jsonify(state.execute(tenant, automation_id, request.headers.get('X-Execution-Token'),
                                     'X-Execution-Token' in request.args))
