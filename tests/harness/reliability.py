"""The figures of the long reliability suite (``make reliability``) and docs/reliability.md, written from them and
from the hostile cases of tests/integration/test_hostile.py."""

from __future__ import annotations

import collections
import os
import platform
import time

REPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'docs',
                      'reliability.md')
FAULT_RATE = 0.3


class Figures(collections.Counter):
    """Counts that the reliability tests add to (``figures['fault_runs'] += 1``); one per test session."""

    def __init__(self):
        super().__init__()
        self.started = time.time()


def _figure_rows(f):
    return [
        '| What | Figure |',
        '| --- | --- |',
        '| Role runs on fresh tenants with %d%% of answers faulty (429 with Retry-After, 500, 502, 503, '
        'dropped connections before and after the server applied the call) | %d |' % (FAULT_RATE * 100, f['fault_runs']),
        '| Requests received / faults injected | %d / %d |' % (f['requests'], f['faults_injected']),
        '| Converged on the first try / on a plain re-run / not at all | %d / %d / %d |' % (
            f['converged_first_try'], f['converged_on_rerun'], f['not_converged']),
        '| Duplicate tenants / duplicate key providers / migrations beyond the one intended | %d / %d / %d |' % (
            f['duplicate_tenants'], f['duplicate_key_providers'], f['extra_migrations']),
        '| `ansible-playbook` killed (SIGKILL) at random points of create, migrate and wait | %d |' % f['interruptions'],
        '| ... converged on the re-run / with a duplicate write | %d / %d |' % (
            f['interrupted_converged'], f['interrupted_duplicate_writes']),
        '| Requests answered 429 by the rate limiter / rejected twice in a row for the same reason | %d / %d |' % (
            f['rate_limited'], f['rejected_twice_in_a_row']),
        '| Tokens expired mid-run / runs that failed because of it | %d / %d |' % (
            f['token_expiries'], f['token_expiry_failures']),
        '| Runs checked for secrets (-vvv --diff, every module and the role) / secrets found | %d / %d |' % (
            f['secret_checks'], f['secrets_found']),
        '| Bad inputs tried / rejected with an error naming the option / with a write | %d / %d / %d |' % (
            f['bad_inputs_tried'], f['bad_inputs_rejected'], f['bad_inputs_with_writes']),
        '| Secret rotations (role rotate_client_secret, as a pipeline re-runs it) with %d%% of answers faulty / '
        'faults injected | %d / %d |' % (FAULT_RATE * 100, f['rotation_runs'], f['rotation_faults']),
        '| ... converged (one working secret, the stored one) / secrets leaked in output / clients left without a '
        'working stored secret | %d / %d / %d |' % (
            f['rotation_converged'], f['rotation_secrets_leaked'], f['rotation_without_secret']),
        '| Secret rotations whose "create secret" is answered after the client\'s timeout (`slow`, applied late) | %d |'
        % f['late_runs'],
        '| ... converged / secrets leaked in output / clients left without a working stored secret | %d / %d / %d |' % (
            f['late_converged'], f['late_secrets_leaked'], f['late_without_secret']),
        '| Pairs of rotations of one client at once (one store) | %d |' % f['pairs'],
        '| ... pairs where exactly one run rotated / clients left without a working stored secret | %d / %d |' % (
            f['pairs_one_rotated'], f['pairs_without_secret']),
    ]


def write_report(figures, outcomes, hostile, defects, smaller):
    """docs/reliability.md. ``hostile``: the cases ({issue, defect, case, test}); ``defects`` and ``smaller``:
    per issue, {number: what was wrong} and the smaller defects; ``outcomes``: each test's outcome in this run."""
    lines = [
        '# Reliability and security figures',
        '',
        'Written by `make reliability` (`pytest tests/integration/test_reliability.py '
        'tests/integration/test_hostile.py --long`) on %s, Python %s, %d CPUs, in %.0f s. Every run is a real '
        '`ansible-playbook` against the emulator.' % (
            time.strftime('%Y-%m-%d'), platform.python_version(), os.cpu_count() or 0, time.time() - figures.started),
        '',
    ] + _figure_rows(figures) + [
        '',
        '## Defects found by hostile testing',
        '',
        'One row per defect (issue 12: the first hostile test; issue 20: the second). Each has a regression test in '
        'tests/integration/test_hostile.py that fails on the code before its fix; "Cases fixed" counts the cases '
        'whose test passed in this run.',
        '',
        '| Issue | Defect | What was wrong | Cases fixed |',
        '| --- | --- | --- | --- |',
    ]

    def passed(case):
        return outcomes.get(case['test']) == 'passed'

    for issue in sorted(defects):
        for number in sorted(defects[issue], key=lambda n: n or 99):
            cases = [c for c in hostile if c['issue'] == issue and c['defect'] == number]
            lines.append('| %d | %s | %s | %d of %d |' % (issue, number or 'smaller', defects[issue][number],
                                                          sum(passed(c) for c in cases), len(cases)))
    lines += ['', '## Hostile cases', '', '| Issue | Defect | Hostile case | Test | Fixed |', '| --- | --- | --- | --- | --- |']
    for case in sorted(hostile, key=lambda c: (c['issue'], c['defect'] or 99, c['case'])):
        lines.append('| %d | %s | %s | `%s` | %s |' % (
            case['issue'], case['defect'] or 'smaller', case['case'], case['test'],
            'yes' if passed(case) else 'NO (%s)' % outcomes.get(case['test'], 'not run')))
    numbered = sum(len([d for d in found if d]) for found in defects.values())
    lines += ['', '%d hostile cases; %d numbered defects and %d smaller ones found; %d cases fixed.' % (
        len(hostile), numbered, sum(len(s) for s in smaller.values()), sum(passed(c) for c in hostile)), '']
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(REPORT, 'w') as handle:
        handle.write('\n'.join(lines))
