"""qlik_token: one token per host, handed to later tasks."""

from __future__ import annotations

from tests.harness.plays import task


def test_token_for_each_host_is_usable_and_not_logged(emulator, ansible):
    cfg = emulator.config
    creds = dict(client_id=cfg.client_id, client_secret=cfg.client_secret)
    run = ansible.run([
        task('tenant token', dict(creds, tenant_url=emulator.source_tenant_url), module='qlikcloud.platform.qlik_token',
             register='tok', no_log=True),
        task('registration token', dict(creds, tenant_url=emulator.registration_url),
             module='qlikcloud.platform.qlik_token', no_log=True),
        dict(name='check it', **{'ansible.builtin.assert': dict(that=[
            "tok.access_token is match('qlik-emulator-token-')", 'tok.changed is false', 'tok.expires_in == 21600',
            "tok.tenant_url == '%s'" % emulator.source_tenant_url])}),
        task('use it', dict(tenant_url=emulator.source_tenant_url, access_token='{{ tok.access_token }}'),
             module='qlikcloud.platform.qlik_key_provider_info'),
    ], check=True, extra_args=['-vvv'])
    assert run.rc == 0, run.output()
    hidden = run.task('tenant token')
    assert 'access_token' not in hidden and hidden['censored'].startswith('the output has been hidden')
    assert run.status('check it') == 'ok'
    assert run.task('use it')['current_key_provider']['keyprovider'] == 'Qlik'
    issued = list(emulator.model.tokens)
    assert len(issued) == 2
    for secret in issued + [cfg.client_secret]:
        assert secret not in run.stdout + run.stderr
    log = emulator.requests()
    assert [(e['host'], e['method'], e['path']) for e in log] == [
        (emulator.source_tenant.hostnames[0], 'POST', '/oauth/token'),
        (emulator.registration_url.split('//')[1], 'POST', '/oauth/token'),
        (emulator.source_tenant.hostnames[0], 'GET', '/api/v1/encryption/keyproviders/actions/list')]


def test_token_with_bad_credentials_fails_clearly(emulator, ansible):
    run = ansible.run([task('token', dict(tenant_url=emulator.source_tenant_url, client_id='x',
                                          client_secret='not-the-secret'), module='qlikcloud.platform.qlik_token')])
    assert run.rc != 0
    assert 'client credentials (client_id/client_secret) were rejected' in run.task('token')['msg']
    assert 'not-the-secret' not in run.stdout + run.stderr
