"""The admin host: the emulator's own ``/_emulator/...`` API (no Qlik API, no authentication, loopback only).

    GET    /_emulator/env       URLs, CA file, client id, subscription, license key and the tenants (with API keys)
    GET    /_emulator/state     tenants, key providers, migrations (and how many each tenant's calls started)
    GET    /_emulator/log       the request log (?host=URL, ?writes=true, ?since=SEQ); DELETE clears it
    GET    /_emulator/config    the settings; PATCH changes some ({"fault_rate": 0.3, ...})
    POST   /_emulator/tenants   add tenants directly ({"count": N, "name", "datacenter", "migration_seconds", "region"})
    POST   /_emulator/tokens/expire   every issued token expires now
    POST   /_emulator/automations, /_emulator/automation-connections   seed Qlik Automate ({"name", ...})
    GET    /_emulator/clock     the emulator's time; POST {"advance": SECONDS} moves it forward
"""

from __future__ import annotations

from flask import Flask, jsonify, request

from ..clock import iso


def create_app(emulator):
    admin = Flask('qlik_cloud_emulator_admin')
    admin.json.sort_keys = False

    @admin.errorhandler(ValueError)
    def _bad(exc):
        return jsonify(dict(error=str(exc))), 400

    @admin.get('/_emulator/env')
    def env():
        return jsonify(emulator.describe())

    @admin.get('/_emulator/state')
    def state():
        return jsonify(emulator.snapshot())

    @admin.get('/_emulator/log')
    def log():
        return jsonify(emulator.requests(host=request.args.get('host'),
                                         writes=request.args.get('writes') == 'true',
                                         since=int(request.args.get('since', 0))))

    @admin.delete('/_emulator/log')
    def clear_log():
        emulator.gateway.clear()
        return '', 204

    @admin.get('/_emulator/config')
    def get_config():
        return jsonify(emulator.config.as_dict())

    @admin.patch('/_emulator/config')
    def patch_config():
        emulator.config.update(request.get_json(force=True) or {})
        return jsonify(emulator.config.as_dict())

    @admin.post('/_emulator/tenants')
    def add_tenants():
        data = request.get_json(silent=True) or {}
        made = [emulator.add_tenant(data.get('name') if data.get('count', 1) == 1 else None,
                                    data.get('datacenter'), data.get('migration_seconds'), data.get('region'))
                for dummy in range(int(data.get('count', 1)))]
        return jsonify([dict(id=t.id, name=t.name, url=emulator.url(t)) for t in made]), 201

    @admin.post('/_emulator/tokens/expire')
    def expire_tokens():
        emulator.model.expire_tokens()
        return '', 204

    def clock_state():
        now = emulator.clock.time()
        return jsonify(dict(time=iso(now), epoch=now, offset=emulator.clock.offset))

    @admin.get('/_emulator/clock')
    def get_clock():
        return clock_state()

    @admin.post('/_emulator/clock')
    def advance_clock():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or 'advance' not in data:
            raise ValueError('the body must be {"advance": SECONDS}')
        emulator.clock.advance(data['advance'])
        return clock_state()

    _automations(admin, emulator.model)
    return admin


def _automations(admin, model):
    """Seeding Qlik Automate: automations (with execution tokens) and automation connections."""

    def tenant_of(data):
        if not data.get('name'):
            raise ValueError('name is required')
        tenant_id = data.get('tenant_id') or next(iter(model.tenants))
        return model.tenant(tenant_id)

    @admin.post('/_emulator/automations')
    def seed_automation():
        data = request.get_json(force=True) or {}
        made = model.automations.add_automation(
            tenant_of(data), data['name'], run_mode=data.get('run_mode', 'triggered'),
            state=data.get('state', 'available'), space_id=data.get('space_id', 'shared-space-01'),
            description=data.get('description', ''))
        return jsonify(made.render()), 201

    @admin.post('/_emulator/automation-connections')
    def seed_connection():
        data = request.get_json(force=True) or {}
        made = model.automations.add_connection(
            tenant_of(data), data['name'], data.get('connector_id', 'smtp'), data.get('values'),
            data.get('space_id'), data.get('expected'), data.get('oauth_account'))
        return jsonify(made.render()), 201
