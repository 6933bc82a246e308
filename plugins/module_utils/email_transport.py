# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tenant's email configuration (Transports API, ``/api/v1/transports/email-config``).

One configuration per tenant, written with one PUT that creates or replaces it as a whole (PATCH is
deprecated). Its secret (the SMTP password or the Microsoft 365 client secret) is write-only: a read says only
``passwordExists``. A connection check answers HTTP 200 whether it worked or not: ``success`` says.
"""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import REDACTED, QlikAPIError

EMAIL_CONFIG = '/api/v1/transports/email-config'
VERIFY = EMAIL_CONFIG + '/actions/verify-connection'
SEND_TEST = EMAIL_CONFIG + '/actions/send-test-email'
# the non-secret fields of each provider's configuration, as GET returns them
FIELDS = {'BasicAuth': ('serverAddress', 'serverPort', 'securityType', 'username', 'emailAddress', 'senderName'),
          'Microsoft365': ('providerTenantId', 'clientId', 'emailAddress')}
SECRET_FIELD = {'BasicAuth': 'emailPassword', 'Microsoft365': 'clientSecret'}
SECURITY_TYPES = ('none', 'StartTLS', 'SSL/TLS')
# the legacy flat copies at the top of a GET answer (the only form before providerConfig)
LEGACY_FIELDS = ('serverAddress', 'serverPort', 'securityType', 'username', 'emailAddress')


def _provider_config(record):
    """(provider, its non-secret fields) of a GET answer, from ``providerConfig`` or the legacy flat fields;
    (None, {}) when the tenant has no configuration."""
    if not isinstance(record, dict) or record.get('errorCode') == 'CONFIG_NOT_SET':
        return None, {}
    provider = record.get('serviceProvider') or None
    config = record.get('providerConfig') if isinstance(record.get('providerConfig'), dict) else {}
    if not config and record.get('serverAddress'):
        config = dict((f, record[f]) for f in LEGACY_FIELDS if f in record)
    if provider is None and config.get('serverAddress'):
        provider = 'BasicAuth'
    if provider not in FIELDS:
        return None, {}
    return provider, dict((f, config.get(f)) for f in FIELDS[provider])


def settings(record):
    """The configuration the module compares and shows in diffs: ``serviceProvider`` and that provider's fields
    (never a secret); None when the tenant has none."""
    provider, config = _provider_config(record)
    if provider is None:
        return None
    return dict(config, serviceProvider=provider)


def summary(record):
    """What an audit reports of a tenant's email configuration (never a secret)."""
    provider, config = _provider_config(record)
    record = record or {}
    return dict(configured=provider is not None, service_provider=provider,
                email_address=config.get('emailAddress'),
                login=config.get('username') if provider == 'BasicAuth' else config.get('clientId'),
                secret_stored=bool(record.get('passwordExists')) if provider else False,
                is_valid=record.get('isValid'), error_code=record.get('errorCode'),
                auth_failures=record.get('authFailures'), modified=record.get('modificationTime'))


def put_request(provider, fields, secret=None):
    """The PUT that makes the configuration ``provider`` with ``fields`` (None values left out) and ``secret``."""
    config = dict((k, v) for k, v in fields.items() if v is not None and k in FIELDS[provider])
    if secret is not None:
        config[SECRET_FIELD[provider]] = secret
    return dict(method='PUT', path=EMAIL_CONFIG, body=dict(serviceProvider=provider, providerConfig=config))


def delete_request():
    return dict(method='DELETE', path=EMAIL_CONFIG, body=None)


def shown(request):
    """A request as a task may show it: the secret replaced."""
    body = request.get('body')
    if not body or 'providerConfig' not in body:
        return dict(request) if body is not None else dict(method=request['method'], path=request['path'])
    config = dict((k, REDACTED if k in SECRET_FIELD.values() else v) for k, v in body['providerConfig'].items())
    return dict(request, body=dict(body, providerConfig=config))


class EmailTransport:
    """Calls of the Transports API's email configuration on one tenant (``client`` is a QlikClient)."""

    def __init__(self, client):
        self.client = client

    def get(self):
        """The configuration as GET describes it (no secret is in it), or None when the tenant has none
        (Qlik answers 200 with ``errorCode: CONFIG_NOT_SET``; a 404 is taken the same way)."""
        record = self.client.get_record(EMAIL_CONFIG, 'the email configuration')
        if record is None:
            return None
        public = dict((k, v) for k, v in record.items() if k not in SECRET_FIELD.values())
        if isinstance(public.get('providerConfig'), dict):
            public['providerConfig'] = dict((k, v) for k, v in public['providerConfig'].items()
                                            if k not in SECRET_FIELD.values())
        return public if settings(public) is not None else None

    def send(self, request):
        """Send a request made by ``put_request`` / ``delete_request``; a DELETE answers whether this call deleted
        the configuration (False: there was none)."""
        if request['method'] == 'DELETE':
            return self.client.remove(request['path'])
        for secret_field in SECRET_FIELD.values():
            self.client.redact(request['body']['providerConfig'].get(secret_field))
        return self.client.put(request['path'], request['body'], ok=(200, 204))

    def _check(self, path, body=None, idempotent=True):
        response = self.client.post(path, body, ok=(200,), idempotent=idempotent)
        result = self.client.json(response, 'POST', path, 'an SMTP result')
        if not isinstance(result, dict) or not isinstance(result.get('success'), bool):
            raise QlikAPIError('POST %s on %s answered without a success field: %r' % (
                path, self.client.host, result), status=response.status, method='POST', path=path)
        return result

    def verify(self):
        """Qlik's connection check (a handshake with the mail server, no mail sent): ``{success, connectionFailed,
        message, smtpResponseCode}``."""
        return self._check(VERIFY)

    def send_test(self, recipient, subject, body):
        """Send a test mail with the stored configuration; the same answer as ``verify``. Never sent twice: a lost
        answer is an error that says the mail may have gone."""
        return self._check(SEND_TEST, dict(recipient=recipient, subject=subject, body=body), idempotent=False)
