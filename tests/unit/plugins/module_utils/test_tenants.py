"""The Tenants and Organization API helpers: paging, look-ups, patches, the lost-create rule."""

from __future__ import annotations

import pytest

from ansible_collections.qlikcloud.platform.plugins.module_utils import tenants
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, QlikClient, Response


class FakeClient:
    """Answers GETs from a dict of path -> list of bodies; records every call."""

    host = 'console.example'

    def __init__(self, pages=None, tenants_by_id=None):
        self.pages = list(pages or [])
        self.tenants_by_id = tenants_by_id or {}
        self.calls = []

    def get(self, path, params=None, ok=(200,)):
        self.calls.append(('GET', path, params))
        if path.split('?')[0] == tenants.ORG_TENANTS:
            return Response(200, self.pages.pop(0), {})
        tenant = self.tenants_by_id.get(path.rsplit('/', 1)[1])
        if tenant is None:
            raise QlikAPIError('not found', status=404, method='GET', path=path)
        return Response(200, tenant, {})

    def json(self, response, method, path, what):
        return response.json

    get_all = QlikClient.get_all  # the real paging, over this fake's get and json
    _next_page = QlikClient._next_page  # pylint: disable=protected-access

    def write_once(self, write, recheck):
        try:
            return write()
        except QlikAPIError:
            return recheck()

    def post(self, path, body=None, ok=(200, 201), idempotent=False, headers=None):
        self.calls.append(('POST', path, body))
        raise QlikAPIError('no answer', method='POST', path=path, may_have_applied=True)


def test_paging_follows_the_next_link_as_given():
    query = 'filter=x&next=YWZ0ZXI6eA%3D%3D&limit=100'  # an opaque cursor, URL-encoded once by the API
    client = FakeClient(pages=[
        dict(data=[{'id': 'a'}], links=dict(next=dict(href='https://console.example/api/core/tenants?' + query))),
        dict(data=[{'id': 'b'}], links={}),
    ])
    found = tenants.Tenants(None, client, 'sub-1').search(name='acme')
    assert [t['id'] for t in found] == ['a', 'b']
    assert client.calls[0][2] == dict(filter='subscriptionId eq "sub-1" and name eq "acme"', limit=100)
    assert client.calls[1][1:] == ('/api/core/tenants?' + query, None)  # as given: requests leaves %3D alone


@pytest.mark.parametrize('href, words', [
    ('https://elsewhere.example/api/core/tenants?next=b', 'is on https://elsewhere.example/api/core/tenants'),
    ('/api/v1/other?next=b', 'is on ://'),
    ('http://console.example/api/core/tenants?next=b', 'not on this host and path'),
])
def test_a_next_link_to_another_host_or_path_is_not_followed(href, words):
    client = FakeClient(pages=[dict(data=[{'id': 'a'}], links=dict(next=dict(href=href)))])
    with pytest.raises(QlikAPIError) as info:
        tenants.Tenants(None, client, 'sub-1').search()
    assert words in info.value.message and len(client.calls) == 1


def test_a_console_that_repeats_its_next_link_stops_with_an_error():
    page = dict(data=[{'id': 'a'}], links=dict(next=dict(href='/api/core/tenants?next=a')))
    client = FakeClient(pages=[page] * 5)
    with pytest.raises(QlikAPIError) as info:
        tenants.Tenants(None, client, 'sub-1').search()
    assert 'gave the same next page twice' in info.value.message and len(client.calls) == 2


@pytest.mark.parametrize('body', [{}, {'errors': [{'code': 'X', 'title': 'Forbidden'}]}, [], None])
def test_a_page_without_a_data_list_is_an_error_not_no_tenant(body):
    client = FakeClient(pages=[body])
    with pytest.raises(QlikAPIError) as info:
        tenants.Tenants(None, client, 'sub-1').search(name='acme')
    assert 'answered with something that is not a list of tenants' in info.value.message


def test_scim_strings_are_quoted():
    client = FakeClient(pages=[dict(data=[], links={})])
    tenants.Tenants(None, client, 'sub"1').search(hostname='a\\b.example')
    assert client.calls[0][2]['filter'] == 'subscriptionId eq "sub\\"1" and hostnames eq "a\\\\b.example"'


def test_a_name_that_matches_two_tenants_is_an_error():
    client = FakeClient(pages=[dict(data=[{'id': 'a'}, {'id': 'b'}], links={})])
    with pytest.raises(ValueError) as info:
        tenants.Tenants(None, client, 'sub').find(name='twin')
    assert "name 'twin' matches 2 tenants (a, b); give id instead" == str(info.value)


def test_get_reads_404_of_the_tenant_itself_as_not_found_only():
    registration = FakeClient(tenants_by_id={'t1': {'id': 't1', 'name': 'one'}})
    api = tenants.Tenants(registration)
    assert api.get('t1')['name'] == 'one'
    assert api.get('t2') is None


def test_a_lost_create_without_a_way_to_look_up_is_never_resent():
    registration = FakeClient()
    with pytest.raises(QlikAPIError) as info:
        tenants.Tenants(registration, None, None).create('key', name='acme')
    assert 'without organization the tenant cannot be looked up' in info.value.message
    assert [c[0] for c in registration.calls] == ['POST']


def test_alias_is_hostnames_1_and_status_is_not_patched():
    tenant = tenants.with_alias({'id': 't', 'hostnames': ['t.example']})
    assert tenant['alias'] is None
    after = tenants.apply_changes(tenant, {'alias': 'a.example', 'status': 'disabled'})
    assert after['hostnames'] == ['t.example', 'a.example']
    assert tenants.patch_ops({'alias': 'a.example', 'name': 'n', 'status': 'disabled'}) == [
        dict(op='replace', path='/hostnames/1', value='a.example'), dict(op='replace', path='/name', value='n')]


def test_organization_params_default_to_the_module_credentials():
    params = dict(client_id='cid', client_secret='sec', access_token=None,
                  organization=dict(url='https://console.example', subscription_id='s', client_id=None,
                                    client_secret=None, access_token=None))
    out = tenants.organization_params(params)
    assert out[tenants.ORGANIZATION_URL] == 'https://console.example' and out['client_id'] == 'cid'
    with pytest.raises(ValueError):
        tenants.organization_params(dict(params, organization=dict(url=None, subscription_id='s')))
