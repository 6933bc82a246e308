"""The email configuration helpers: every documented answer form read the same way, and no secret kept."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import email_transport

SMTP = dict(serverAddress='smtp.example.com', serverPort=587, securityType='StartTLS', username='u',
            emailAddress='a@example.com', senderName='Qlik')


def test_settings_from_provider_config_and_from_the_legacy_flat_fields():
    current = dict(serviceProvider='BasicAuth', providerConfig=dict(SMTP), passwordExists=True, errorCode='OK')
    assert email_transport.settings(current) == dict(SMTP, serviceProvider='BasicAuth')
    flat = dict((k, v) for k, v in SMTP.items() if k != 'senderName')  # no senderName among the flat copies
    assert email_transport.settings(dict(flat, passwordExists=True, isValid=True)) == dict(
        flat, serviceProvider='BasicAuth', senderName=None)


def test_no_configuration_in_every_documented_form():
    for record in (None, dict(errorCode='CONFIG_NOT_SET', serviceProvider='', providerConfig={}), {},
                   dict(serviceProvider='', providerConfig={}, passwordExists=False)):
        assert email_transport.settings(record) is None
        assert email_transport.summary(record)['configured'] is False


def test_summary_of_microsoft_365():
    record = dict(serviceProvider='Microsoft365', passwordExists=True, isValid=False, errorCode='INVALID_CREDENTIALS',
                  authFailures=2, modificationTime='2026-11-30T10:00:00Z',
                  providerConfig=dict(providerTenantId='t', clientId='c', emailAddress='a@example.com'))
    assert email_transport.summary(record) == dict(
        configured=True, service_provider='Microsoft365', email_address='a@example.com', login='c',
        secret_stored=True, is_valid=False, error_code='INVALID_CREDENTIALS', auth_failures=2,
        modified='2026-11-30T10:00:00Z')


def test_put_request_keeps_only_the_provider_fields_and_shown_hides_the_secret():
    request = email_transport.put_request('Microsoft365', dict(SMTP, clientId='c', providerTenantId='t'), 's3cr3t')
    assert request['body'] == dict(serviceProvider='Microsoft365', providerConfig=dict(
        clientId='c', providerTenantId='t', emailAddress='a@example.com', clientSecret='s3cr3t'))
    assert email_transport.shown(request)['body']['providerConfig']['clientSecret'] == '********'
    assert email_transport.shown(email_transport.delete_request()) == dict(method='DELETE', path=email_transport.EMAIL_CONFIG)
