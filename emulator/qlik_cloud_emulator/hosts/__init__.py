"""The emulated hosts, one Flask application per kind of host.

``registration`` (the region's Tenants API), ``console`` (the Organization API), ``tenant`` (each tenant's
own APIs) and ``admin`` (the emulator's ``/_emulator/...`` API, no Qlik API). The server puts every host
but the admin one behind the gateway, which sets ``environ['qlik.host']`` (a ``HostInfo``) to say which
host a request arrived on.
"""
