"""ensure(): the one place that decides changed, the diff and what is sent, for every declarative module."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils.resource import changes_between, ensure
from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import Task


class Recorder:
    def __init__(self, deleted=True):
        self.calls = []
        self.deleted = deleted

    def create(self, desired):
        self.calls.append(('create', desired))
        return dict(desired, id='new')

    def update(self, current, changes):
        self.calls.append(('update', changes))
        return ['op %s' % k for k in sorted(changes)]

    def delete(self, current):
        self.calls.append(('delete', current['id']))
        return self.deleted


def view(obj):
    return dict(state='absent') if obj is None else dict(state='present', name=obj.get('name'))


def converge(current, desired, state='present', check_mode=False, diff=True, recorder=None):
    recorder = recorder or Recorder()
    outcome = ensure(Task({}, check_mode=check_mode, diff=diff), current, desired, recorder.create, recorder.update,
                     recorder.delete, view, state=state, operations=lambda changes: ['op %s' % k for k in sorted(changes)])
    return outcome, recorder.calls


def test_none_means_leave_alone():
    assert changes_between({'a': 1, 'b': 2}, {'a': 1, 'b': None, 'c': 3}) == {'c': 3}
    assert changes_between(None, {'a': 1}) == {'a': 1}


def test_unchanged_object_sends_nothing():
    outcome, calls = converge({'id': 'x', 'name': 'n'}, {'name': 'n'})
    assert outcome == dict(changed=False, after={'id': 'x', 'name': 'n'},
                           diff=dict(before=view({'name': 'n'}), after=view({'name': 'n'})))
    assert calls == []


def test_update_reports_what_it_sent_and_check_mode_what_it_would_send():
    outcome, calls = converge({'id': 'x', 'name': 'old'}, {'name': 'new'})
    assert outcome['changed'] is True and outcome['sent'] == ['op name'] and outcome['after']['name'] == 'new'
    assert calls == [('update', {'name': 'new'})]
    outcome, calls = converge({'id': 'x', 'name': 'old'}, {'name': 'new'}, check_mode=True)
    assert outcome['sent'] == ['op name'] and outcome['diff']['after'] == dict(state='present', name='new')
    assert calls == []


def test_create_and_its_check_mode_prediction():
    outcome, calls = converge(None, {'name': 'n', 'description': None})
    assert outcome['after'] == {'name': 'n', 'description': None, 'id': 'new'}
    assert calls == [('create', {'name': 'n', 'description': None})]
    outcome, calls = converge(None, {'name': 'n', 'description': None}, check_mode=True)
    assert outcome['changed'] is True and outcome['after'] == {'name': 'n'} and calls == []


def test_delete_says_whether_it_deleted():
    outcome, calls = converge({'id': 'x', 'name': 'n'}, {}, state='absent')
    assert outcome['changed'] is True and outcome['after'] is None and calls == [('delete', 'x')]
    outcome, calls = converge({'id': 'x', 'name': 'n'}, {}, state='absent', recorder=Recorder(deleted=False))
    assert outcome['changed'] is False  # someone else deleted it between our read and our DELETE
    outcome, calls = converge(None, {}, state='absent')
    assert outcome['changed'] is False and calls == []
    outcome, calls = converge({'id': 'x', 'name': 'n'}, {}, state='absent', check_mode=True, diff=False)
    assert outcome == dict(changed=True, after=None) and calls == []
