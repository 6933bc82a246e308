"""The rotate_automation_token role: copy, hand over, delete the original; roll back; finish after an interruption."""

from __future__ import annotations

import json
import sys

import pytest

from tests.harness.automate import AUTOS, SPACE, automate, execute, seed


ROLE = 'qlikcloud.platform.rotate_automation_token'
MARKER = ' (token rotation of %s)'
FAULTS = dict(fault_rate=0.3, fault_kinds=('429', '500', '503', 'drop', 'drop_after'), fault_seed=3)


def role_play(emulator, **extra):
    cfg = emulator.config
    variables = dict(rotate_automation_token_tenant_url=emulator.source_tenant_url,
                     rotate_automation_token_client_id=cfg.client_id,
                     rotate_automation_token_client_secret=cfg.client_secret)
    variables.update(extra)
    # the role needs no connection; the handover tasks below write files on this machine
    return dict(name='rotate', hosts='localhost', gather_facts=False, connection='local',
                vars=dict(ansible_python_interpreter=sys.executable), roles=[dict(role=ROLE, vars=variables)])


def handover(tmp_path, fail=False, wait=False):
    """A handover task file that stores the new URL and token in ``tmp_path``/handed (and fails, or hangs, if asked)."""
    path = tmp_path / ('handover-%s.yml' % ('fail' if fail else 'wait' if wait else 'ok'))
    tasks = [dict(name='Store the new URL and token', no_log=True, **{'ansible.builtin.copy': dict(
        content='{{ rotate_automation_token_url }} {{ rotate_automation_token_token }}', dest=str(tmp_path / 'handed'),
        mode='0600')})]
    if fail:
        tasks.append(dict(name='The vault is read-only', **{'ansible.builtin.fail': dict(msg='vault refused')}))
    if wait:  # an operator's job that is killed while it waits here
        tasks.append(dict(name='Wait for the callers', **{'ansible.builtin.wait_for': dict(
            path=str(tmp_path / 'never'), timeout=300)}))
    path.write_text(json.dumps(tasks))
    return str(path)


def handed(tmp_path):
    url, token = (tmp_path / 'handed').read_text().split(' ')
    return url, token


def automations(emulator):
    return automate(emulator).of(emulator.source_tenant)


def writes(emulator, since):
    """The role's writes (not the test's own calls of the trigger endpoint)."""
    return [(e['method'], e['path']) for e in emulator.requests(writes=True, since=since)
            if not e['path'].endswith('/actions/execute')]


def rotation_writes(old_id, new_id, renamed=True):
    old, new = '%s/%s' % (AUTOS, old_id), '%s/%s' % (AUTOS, new_id)
    return [('POST', old + '/actions/copy'), ('POST', new + '/actions/change-space'), ('POST', new + '/actions/enable'),
            ('POST', old + '/actions/disable'), ('DELETE', old)] + ([('PUT', new)] if renamed else [])


def assert_rotated(emulator, tmp_path, original):
    """One automation with the original's name, space and run mode, enabled, reached with the handed-over URL and
    token; the original's URL and token refused."""
    held = [a for a in automations(emulator) if a.name.startswith(original.name)]
    assert [(a.name, a.state, a.space_id, a.run_mode) for a in held] == [
        (original.name, 'available', original.space_id, 'triggered')]
    url, token = handed(tmp_path)
    copy = held[0]
    assert url == emulator.source_tenant_url + '/api/v1/automations/%s/actions/execute' % copy.id
    assert token == copy.execution_token and copy.id != original.id and token != original.execution_token
    assert execute(emulator, copy.id, token) == 200
    assert execute(emulator, original.id, original.execution_token) == 404  # the old URL is gone
    assert execute(emulator, copy.id, original.execution_token) == 401  # and the old token opens nothing
    return copy


def copies_made(emulator):
    return [e for e in emulator.requests() if e['path'].endswith('/actions/copy') and e['status'] == 201]


def test_a_rotation_end_to_end(emulator, ansible, tmp_path):
    original = seed(emulator, description='Takes orders')
    seed(emulator, 'Nightly report', run_mode='scheduled')
    play = role_play(emulator, rotate_automation_token_name='Orders webhook',
                     rotate_automation_token_handover=handover(tmp_path))
    mark = emulator.last_seq()
    check = ansible.run(play=play, check=True, diff=True)
    assert check.rc == 0, check.output()
    plan = check.task('Say what the rotation does')['msg']
    assert plan == ('would copy automation %s ("Orders webhook") as "Orders webhook (token rotation of %s)", enable '
                    'the copy, move it to space %s, hand its new URL and token over, disable and delete automation '
                    '%s, then name the copy "Orders webhook"' % (original.id, original.id, SPACE, original.id))
    assert check.recap()['localhost']['changed'] == 1 and writes(emulator, mark) == []

    run = ansible.run(play=play, diff=True, extra_args=['-vvvv'])
    assert run.rc == 0, run.output()
    copy = assert_rotated(emulator, tmp_path, original)
    assert writes(emulator, mark) == rotation_writes(original.id, copy.id)
    assert copy.description == 'Takes orders' and copy.workspace == original.workspace
    facts = run.task('Hand the new URL and token over')
    assert facts['censored'].startswith('the output has been hidden')
    for secret in (copy.execution_token, original.execution_token):
        assert secret not in run.stdout + run.stderr and secret not in check.stdout + check.stderr

    # another run rotates again (by request), from the renamed copy
    run = ansible.run(play=role_play(emulator, rotate_automation_token_name='Orders webhook',
                                     rotate_automation_token_handover=handover(tmp_path)))
    assert run.rc == 0, run.output()
    assert assert_rotated(emulator, tmp_path, copy).id != copy.id


def test_a_failed_handover_rolls_back(emulator, ansible, tmp_path):
    original = seed(emulator)
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, rotate_automation_token_id=original.id,
                                     rotate_automation_token_handover=handover(tmp_path, fail=True)))
    assert run.rc != 0
    message = run.task('Say that the rotation failed')['msg']
    assert "failed at 'The vault is read-only': vault refused" in message
    assert 'was deleted and the original kept enabled (its URL and token still work)' in message
    held = automations(emulator)
    assert [(a.id, a.state) for a in held] == [(original.id, 'available')]
    assert execute(emulator, original.id, original.execution_token) == 200
    copy_path = copies_made(emulator)[0]['path']  # the copy was made, and deleted
    made = [e['path'][:-len('/actions/enable')] for e in emulator.requests(writes=True, since=mark)
            if e['path'].endswith('/actions/enable')][0]
    assert writes(emulator, mark) == [
        ('POST', copy_path), ('POST', made + '/actions/change-space'), ('POST', made + '/actions/enable'),
        ('POST', made + '/actions/disable'), ('DELETE', made)]
    assert handed(tmp_path)[1] not in run.stdout + run.stderr


def test_a_rotation_interrupted_by_a_failing_step_is_finished_by_a_re_run(emulator, ansible, tmp_path):
    original = seed(emulator)
    emulator.faults(fault_kinds=('500',), fault_methods=('DELETE',))
    play = role_play(emulator, rotate_automation_token_name='Orders webhook', rotate_automation_token_retries=0,
                     rotate_automation_token_handover=handover(tmp_path))
    run = ansible.run(play=play)
    assert run.rc != 0
    message = run.task('Say that the rotation failed')['msg']
    assert "failed at 'Disable and delete the original'" in message and 'run the role again to finish' in message
    states = sorted((a.name, a.state) for a in automations(emulator))
    assert states == [('Orders webhook', 'disabled'), ('Orders webhook' + MARKER % original.id, 'available')]
    first = handed(tmp_path)

    emulator.faults()
    mark = emulator.last_seq()
    run = ansible.run(play=play)
    assert run.rc == 0, run.output()
    assert 'will finish the rotation an earlier run left half-done' in run.task('Say what the rotation does')['msg']
    copy = assert_rotated(emulator, tmp_path, original)
    assert handed(tmp_path) == first and len(copies_made(emulator)) == 1
    new = '%s/%s' % (AUTOS, copy.id)
    assert writes(emulator, mark) == [('DELETE', '%s/%s' % (AUTOS, original.id)), ('PUT', new)]


def test_a_killed_rotation_is_finished_by_a_re_run_without_a_second_copy(emulator, ansible, tmp_path):
    original = seed(emulator)
    killed = ansible.run(play=role_play(emulator, rotate_automation_token_name='Orders webhook',
                                        rotate_automation_token_handover=handover(tmp_path, wait=True)),
                         kill_when=(tmp_path / 'handed').exists)  # killed in the handover, once it stored
    assert killed.rc == -9, killed.output()
    # killed in the handover: the copy is enabled, the original untouched
    states = sorted((a.name, a.state) for a in automations(emulator))
    assert states == [('Orders webhook', 'available'), ('Orders webhook' + MARKER % original.id, 'available')]
    # the re-run finds the copy and finishes, from another machine that has only the id
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, rotate_automation_token_id=original.id,
                                     rotate_automation_token_handover=handover(tmp_path)))
    assert run.rc == 0, run.output()
    copy = assert_rotated(emulator, tmp_path, original)
    assert len(copies_made(emulator)) == 1
    new, old = '%s/%s' % (AUTOS, copy.id), '%s/%s' % (AUTOS, original.id)
    assert writes(emulator, mark) == [('POST', old + '/actions/disable'), ('DELETE', old), ('PUT', new)]


def test_a_re_run_after_the_original_was_deleted_only_renames(emulator, ansible, tmp_path):
    original = seed(emulator)
    half = automate(emulator).add_automation(emulator.source_tenant, 'Orders webhook' + MARKER % original.id,
                                             space_id=SPACE)
    automate(emulator).delete(emulator.source_tenant, original.id)
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, rotate_automation_token_name='Orders webhook',
                                     rotate_automation_token_handover=handover(tmp_path)))
    assert run.rc == 0, run.output()
    assert '(the original is deleted already)' in run.task('Say what the rotation does')['msg']
    assert writes(emulator, mark) == [('PUT', '%s/%s' % (AUTOS, half.id))]
    assert [(a.id, a.name) for a in automations(emulator)] == [(half.id, 'Orders webhook')]
    assert not (tmp_path / 'handed').exists()  # handed over by the run that deleted the original


@pytest.mark.parametrize('variables,words', [
    (dict(), 'give rotate_automation_token_id or rotate_automation_token_name'),
    (dict(rotate_automation_token_name='Nightly report'), 'runs scheduled, not triggered'),
    (dict(rotate_automation_token_name='twin'), 'the name "twin" is held by 2 automations'),
    (dict(rotate_automation_token_id='nope'), 'no automation with id nope on '),
])
def test_bad_input_is_refused_before_any_write(emulator, ansible, variables, words):
    seed(emulator, 'Nightly report', run_mode='scheduled')
    seed(emulator, 'twin')
    seed(emulator, 'twin')
    mark = emulator.last_seq()
    run = ansible.run(play=role_play(emulator, **variables))
    assert run.rc != 0
    assert words in run.task('Say what the rotation does')['msg']
    assert writes(emulator, mark) == []


def test_thirty_percent_faults_converge_and_a_working_token_always_exists(emulator, ansible, tmp_path):
    """As a pipeline runs it: a failed run is run again; at every moment the original's token or the one handed
    over works."""
    original = seed(emulator)
    emulator.faults(**FAULTS)
    play = role_play(emulator, rotate_automation_token_name='Orders webhook', rotate_automation_token_retries=8,
                     rotate_automation_token_handover=handover(tmp_path))
    for attempt in range(4):
        run = ansible.run(play=play)
        emulator.faults()
        working = execute(emulator, original.id, original.execution_token) == 200 or (
            (tmp_path / 'handed').exists() and any(execute(emulator, a.id, handed(tmp_path)[1]) == 200
                                                   for a in automations(emulator)))
        assert working, 'no working token after attempt %d' % attempt
        if run.rc == 0:
            break
        emulator.faults(**dict(FAULTS, fault_seed=FAULTS['fault_seed'] + attempt + 1))
    assert run.rc == 0, run.output()
    assert_rotated(emulator, tmp_path, original)
    assert sum(e['fault'] is not None for e in emulator.requests()) > 0
