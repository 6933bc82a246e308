"""The Data Connections API of a tenant host (``/api/v1/data-connections`` and ``/api/connectivity/...``): routes
only, the rules are in ../data_connections.py."""

from __future__ import annotations

import collections
from urllib.parse import urlencode

from flask import jsonify, request

from ..data_connections import PREFIXES, bad_request, page_cursor, page_offset
from . import common
from .common import base_url, caller, flag, json_body, no_content


def register(app, model):
    """Add the data connections routes to a tenant host's Flask ``app`` (state: ``model.data_connections``)."""
    state = model.data_connections

    def render(tenant, who, connection, single=False):
        return connection.render(base_url(), state.privileges(tenant, connection, who), single=single,
                                 parse=single and flag('parseConnection'))

    def list_connections():
        tenant, who = caller(model)
        limit = common.limit()
        if request.args.get('filter'):
            raise bad_request('The emulator does not implement SCIM filters on data connections.')
        found = state.listed(tenant, who, user=request.args.get('userId'), space=request.args.get('spaceId'),
                             personal=flag('personal'), no_datafiles=flag('noDatafiles'), order=request.args.get('sort'))
        start = page_offset(request.args['page']) if request.args.get('page') else 0
        chosen = found[start:start + limit]
        links = dict(self=dict(href=request.url))
        args = request.args.to_dict()
        if start + limit < len(found):
            links['next'] = dict(href='%s%s?%s' % (base_url(), request.path, urlencode(
                dict(args, page=page_cursor(start + limit)))))
        if start > 0:
            links['prev'] = dict(href='%s%s?%s' % (base_url(), request.path, urlencode(
                dict(args, page=page_cursor(max(0, start - limit))))))
        body = collections.OrderedDict()
        body[request.args.get('dataName') or 'data'] = [render(tenant, who, c) for c in chosen]
        body['links'] = links
        body['meta'] = dict(count=len(found))
        return jsonify(body)

    def create_connection():
        tenant, who = caller(model)
        connection, auth = state.create(tenant, who, json_body(), auth_code=request.headers.get('qlik-auth-code'))
        return jsonify(auth if connection is None else render(tenant, who, connection)), 201

    def find(tenant, who, key):
        kind = request.args.get('type')
        if kind not in (None, '', 'connectionname'):
            raise bad_request('type must be connectionname.')
        return state.find(tenant, who, key, by_name=kind == 'connectionname', space=request.args.get('spaceId', ''))

    def get_connection(key):
        tenant, who = caller(model)
        return jsonify(render(tenant, who, find(tenant, who, key), single=True))

    def put_connection(key):
        tenant, who = caller(model)
        state.replace(tenant, who, find(tenant, who, key), json_body(),
                      auth_code=request.headers.get('qlik-auth-code'))
        return no_content()

    def delete_connection(key):
        tenant, who = caller(model)
        state.delete(tenant, find(tenant, who, key))
        return no_content()

    for prefix in PREFIXES:
        name = prefix.strip('/').replace('/', '_').replace('-', '_')
        app.add_url_rule(prefix, name + '_list', list_connections, methods=['GET'])
        app.add_url_rule(prefix, name + '_create', create_connection, methods=['POST'])
        app.add_url_rule(prefix + '/<key>', name + '_get', get_connection, methods=['GET'])
        app.add_url_rule(prefix + '/<key>', name + '_put', put_connection, methods=['PUT'])
        app.add_url_rule(prefix + '/<key>', name + '_delete', delete_connection, methods=['DELETE'])
