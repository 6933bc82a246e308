"""The data connections helpers: PUT bodies copied from the connection, secrets dropped and redacted."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import data_connections
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

RECORD = dict(qID='c1', qEngineObjectID='c1', qName='orders', qType='odbc', qConnectStatement='host=db;',
              qArchitecture=0, qLogOn=0, qSeparateCredentials=False, datasourceID='postgres', tenant='t', user='u',
              privileges=['read'], createdAt='2026-01-01T00:00:00Z')


class FakeClient:
    host = 'acme.example'

    def __init__(self, answer):
        self.answer = answer
        self.redacted = []

    def get_record(self, path, what, params=None):
        return self.answer  # None: Qlik answered 404

    def redact(self, value, mask=True):
        if value:
            self.redacted.append(value)


def test_a_connection_read_by_id_loses_its_secret_which_is_redacted():
    client = FakeClient(dict(RECORD, qConnectionSecret='cs-value'))
    found = data_connections.DataConnections(client).get('c1')
    assert 'qConnectionSecret' not in found and client.redacted == ['cs-value']
    assert data_connections.DataConnections(FakeClient(None)).get('c1') is None


def test_the_put_copies_identity_and_settings_and_adds_the_changes():
    request = data_connections.DataConnections.update_request(dict(RECORD, qCredentialsID='k1', space=''), dict(
        qPassword='pw'))
    assert request['method'] == 'PUT' and request['path'] == '/api/v1/data-connections/c1'
    assert request['body'] == dict(qID='c1', qEngineObjectID='c1', qName='orders', qType='odbc',
                                   qConnectStatement='host=db;', qArchitecture=0, qLogOn=0, qSeparateCredentials=False,
                                   qCredentialsID='k1', datasourceID='postgres', qPassword='pw')
    assert data_connections.shown_body(request['body'])['qPassword'] == '********'


def test_oauth_refusals_are_recognised_by_their_words():
    refusal = QlikAPIError('x', status=400, errors=[dict(code='X', title='OAuth authorization code required',
                                                         detail='needs the qlik-auth-code header')])
    other = QlikAPIError('x', status=400, errors=[dict(code='X', title='Bad Request', detail='qType cannot change')])
    assert data_connections.is_oauth_refusal(refusal) and not data_connections.is_oauth_refusal(other)
    assert data_connections.settings(dict(RECORD, space='')) == dict(
        qID='c1', qName='orders', qType='odbc', qConnectStatement='host=db;', datasourceID='postgres', space=None)
