"""Qlik Automate in the emulator: seeding automations and calling the trigger endpoint as a third party does."""

from __future__ import annotations

import requests

AUTOS = '/api/workflows/automations'
CONNS = '/api/workflows/automation-connections'
SPACE = 'shared-space-01'


def automate(emulator):
    return emulator.model.automations


def seed(emulator, name='Orders webhook', tenant=None, **extra):
    return automate(emulator).add_automation(tenant or emulator.source_tenant, name, **extra)


def execute(emulator, automation_id, token, tenant=None):
    """Status of a call of the trigger endpoint, as a third party makes it."""
    url = emulator.url(tenant or emulator.source_tenant) + '/api/v1/automations/%s/actions/execute' % automation_id
    return requests.post(url, headers={'X-Execution-Token': token}, verify=emulator.ca_path, timeout=10).status_code
