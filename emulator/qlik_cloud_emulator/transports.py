"""The tenant's email configuration (Transports API), as shared/api-docs/transports-email.md describes it.

``/api/v1/transports/email-config``: GET (never a secret: ``passwordExists`` only), PUT (creates or replaces
the whole configuration: a PUT without ``emailPassword`` / ``clientSecret`` leaves none stored), DELETE (404
when there is none), and the actions ``validate`` (the stored ``isValid``, no contact with the server),
``verify-connection`` (a handshake with the mail server) and ``send-test-email``. Every call needs the
TenantAdmin role (403 ``TenantAdminError``).

Mail servers are emulated: ``add_smtp_server`` and ``add_m365_app`` say which servers exist and which
credentials they accept. A check of a server nobody added fails as a DNS failure would; a wrong password is
HTTP 200 with ``success: false`` (SMTP 535), as Qlik answers. Mails that a test email would send are kept in
``EmailTransports.sent``.

Not emulated: the deprecated PATCH.
"""

from __future__ import annotations

import dataclasses
import re


from .clock import iso
from .errors import ApiError

EMAIL_CONFIG = '/api/v1/transports/email-config'
SECURITY_TYPES = ('none', 'StartTLS', 'SSL/TLS')
FIELDS = {
    'BasicAuth': {'serverAddress': str, 'serverPort': int, 'securityType': str, 'username': str,
                  'emailPassword': str, 'emailAddress': str, 'senderName': str},
    'Microsoft365': {'providerTenantId': str, 'clientId': str, 'clientSecret': str, 'emailAddress': str},
}
REQUIRED = {'BasicAuth': ('serverAddress', 'serverPort', 'securityType', 'emailAddress'),
            'Microsoft365': ('providerTenantId', 'clientId', 'emailAddress')}
SECRET_FIELD = {'BasicAuth': 'emailPassword', 'Microsoft365': 'clientSecret'}
ADDRESS = re.compile(r'^[^@\s]+@[^@\s]+$')


def _bad(detail):
    return ApiError(400, 'UpdateEmailConfigError', 'Bad Request', detail)


@dataclasses.dataclass
class SmtpServer:
    port: int
    security: str
    accounts: dict  # user name -> password


@dataclasses.dataclass
class EmailConfig:
    provider: str
    settings: dict  # the non-secret fields
    secret: str | None
    modified: float
    is_valid: bool = True
    error_code: str = 'OK'
    auth_failures: int = 0
    status: tuple = (200, 'Configuration saved')


class EmailTransports:
    """Every tenant's email configuration and the mail servers it can reach, with one lock."""

    def __init__(self, lock, clock, roles):
        self.lock = lock  # the model's: one lock for the whole domain
        self.clock = clock
        self.roles = roles
        self.configs = {}  # tenant id -> EmailConfig
        self.smtp_servers = {}  # host name -> SmtpServer
        self.m365_apps = {}  # (Entra tenant id, client id) -> client secret
        self.sent = []  # dict(tenant, recipient, subject, body, sender) of every test mail sent
        # GET on a tenant without a configuration: 200 with errorCode CONFIG_NOT_SET (what the fact sheet
        # infers) or 404
        self.missing_status = 200

    # ------------------------------------------------------------- for tests
    def add_smtp_server(self, address, accounts, port=587, security='StartTLS'):
        with self.lock:
            self.smtp_servers[address] = SmtpServer(port, security, dict(accounts))

    def add_m365_app(self, provider_tenant_id, client_id, client_secret):
        with self.lock:
            self.m365_apps[(provider_tenant_id, client_id)] = client_secret

    def seed(self, tenant, provider, settings, secret=None):
        """A configuration made directly (no API call, nothing logged), as if made earlier."""
        with self.lock:
            self.configs[tenant.id] = EmailConfig(provider, dict(settings), secret, self.clock.time())
            return self.configs[tenant.id]

    def held(self, tenant):
        with self.lock:
            return self.configs.get(tenant.id)

    # --------------------------------------------------------------- rules
    def _config(self, tenant):
        config = self.configs.get(tenant.id)
        if config is None:
            raise ApiError(404, 'EMAIL-CONFIG-NOT-FOUND', 'Not Found', 'The tenant has no email configuration.')
        return config

    def render(self, tenant):
        with self.lock:
            config = self.configs.get(tenant.id)
            if config is None:
                if self.missing_status == 404:
                    self._config(tenant)
                return dict(serviceProvider='', providerConfig={}, passwordExists=False, isValid=False,
                            errorCode='CONFIG_NOT_SET', authFailures=0,
                            status=dict(statusCode=404, statusReason='No configuration'), tenantId=tenant.id)
            out = dict(serviceProvider=config.provider, providerConfig=dict(config.settings),
                       passwordExists=config.secret is not None, isValid=config.is_valid,
                       errorCode=config.error_code, authFailures=config.auth_failures,
                       status=dict(statusCode=config.status[0], statusReason=config.status[1]))
            for field in ('serverAddress', 'serverPort', 'securityType', 'username', 'emailAddress'):
                if field in config.settings:
                    out[field] = config.settings[field]  # the legacy flat copies
            out.update(tenantId=tenant.id, modificationTime=iso(config.modified), lastUpdated=iso(config.modified))
            return out

    def replace(self, tenant, body):
        if not isinstance(body, dict) or body.get('serviceProvider') not in FIELDS:
            raise _bad('serviceProvider must be one of %s.' % ', '.join(FIELDS))
        provider = body['serviceProvider']
        settings = body.get('providerConfig')
        if not isinstance(settings, dict):
            raise _bad('providerConfig must be an object.')
        unknown = sorted(set(settings) - set(FIELDS[provider]))
        if unknown:
            raise _bad('Unknown %s field(s): %s.' % (provider, ', '.join(unknown)))
        for field, kind in FIELDS[provider].items():
            value = settings.get(field)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise _bad('%s must be a %s.' % (field, 'number' if kind is int else 'string'))
        missing = [f for f in REQUIRED[provider] if settings.get(f) in (None, '')]
        if missing:
            raise _bad('Missing %s field(s): %s.' % (provider, ', '.join(missing)))
        if provider == 'BasicAuth':
            if not 1 <= settings['serverPort'] <= 65535:
                raise _bad('serverPort must be from 1 to 65535.')
            if settings['securityType'] not in SECURITY_TYPES:
                raise _bad('securityType must be one of %s.' % ', '.join(SECURITY_TYPES))
        if not ADDRESS.match(settings['emailAddress']):
            raise _bad('emailAddress is not an email address.')
        secret = settings.get(SECRET_FIELD[provider])
        kept = dict((k, v) for k, v in settings.items() if k != SECRET_FIELD[provider] and v is not None)
        incomplete = secret is None and (provider == 'Microsoft365' or kept.get('username'))
        with self.lock:
            self.configs[tenant.id] = EmailConfig(
                provider, kept, secret, self.clock.time(), is_valid=not incomplete,
                error_code='INCOMPLETE_CONFIG' if incomplete else 'OK')

    def delete(self, tenant):
        with self.lock:
            self._config(tenant)
            del self.configs[tenant.id]

    def validate(self, tenant):
        with self.lock:
            config = self.configs.get(tenant.id)
            if config is None:
                return dict(isValid=False, errorCode='CONFIG_NOT_SET')
            return dict(isValid=config.is_valid, errorCode=config.error_code)

    def check(self, tenant):
        """verify-connection: an SMTP handshake (or a Microsoft 365 token request) with the stored settings."""
        with self.lock:
            config = self._config(tenant)
            settings = config.settings
            if config.provider == 'Microsoft365':
                known = self.m365_apps.get((settings['providerTenantId'], settings['clientId']))
                if known is None:
                    result = dict(success=False, connectionFailed=True, smtpResponseCode=0,
                                  message='AADSTS700016: Application not found in the directory.')
                elif known != config.secret:
                    result = dict(success=False, connectionFailed=False, smtpResponseCode=535,
                                  message='AADSTS7000215: Invalid client secret provided.')
                else:
                    result = dict(success=True, connectionFailed=False, smtpResponseCode=250, message='OK')
            else:
                result = self._smtp_check(settings, config.secret)
            if result['success']:
                config.is_valid, config.error_code, config.status = True, 'OK', (200, 'Connection verified')
            elif result['connectionFailed']:
                config.is_valid, config.error_code = False, 'PROVIDER_ERROR'
                config.status = (502, result['message'])
            else:
                config.auth_failures += 1
                config.is_valid, config.error_code, config.status = False, 'INVALID_CREDENTIALS', (401, result['message'])
            return result

    def _smtp_check(self, settings, password):
        server = self.smtp_servers.get(settings['serverAddress'])
        if server is None:
            return dict(success=False, connectionFailed=True, smtpResponseCode=0,
                        message='getaddrinfo ENOTFOUND %s' % settings['serverAddress'])
        if server.port != settings['serverPort']:
            return dict(success=False, connectionFailed=True, smtpResponseCode=0,
                        message='connect ECONNREFUSED %s:%s' % (settings['serverAddress'], settings['serverPort']))
        if server.security != settings['securityType']:
            return dict(success=False, connectionFailed=True, smtpResponseCode=0,
                        message='SSL routines: wrong version number (the server expects %s)' % server.security)
        if settings.get('username') and server.accounts.get(settings['username']) != password:
            return dict(success=False, connectionFailed=False, smtpResponseCode=535,
                        message='535 5.7.8 Authentication credentials invalid')
        return dict(success=True, connectionFailed=False, smtpResponseCode=250, message='250 2.0.0 OK')

    def send_test(self, tenant, body):
        fields = ('recipient', 'subject', 'body')
        if not isinstance(body, dict) or any(not isinstance(body.get(f, ''), str) for f in fields):
            raise ApiError(400, 'HTTP-400', 'Bad Request', 'recipient, subject and body must be strings.')
        if not ADDRESS.match(body.get('recipient') or ''):
            raise ApiError(400, 'HTTP-400', 'Bad Request', 'recipient is not an email address.')
        result = self.check(tenant)
        if result['success']:
            with self.lock:
                self.sent.append(dict(tenant=tenant.id, recipient=body['recipient'], subject=body.get('subject', ''),
                                      body=body.get('body', ''), sender=self.configs[tenant.id].settings['emailAddress']))
        return result
