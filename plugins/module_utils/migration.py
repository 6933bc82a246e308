# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key migrations: start at most one, join a running one, wait for it, resume after a timeout.

A tenant runs one migration at a time. The current key changes only when a migration
completes, so "the target is current" is the converged state, and a running migration
toward the target is joined rather than started again.
"""

from __future__ import annotations

import time

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

POLL_FIRST = 0.5
POLL_GROWTH = 1.5
POLL_MAX = 15.0
POLL_MIN = 0.25


def provider_view(provider):
    """What ``--diff`` shows of the current key provider."""
    if not provider:
        return dict()
    return dict(name=provider.get('name'), arn=provider.get('arn'), fingerprint=provider.get('arnFingerPrint'),
                keyprovider=provider.get('keyprovider'))


def heads_to(migration, target):
    """True when ``migration`` moves the tenant to ``target`` (a provider from /actions/list)."""
    if not migration or not target:
        return False
    fingerprint = migration.get('migratingToFingerprint')
    if fingerprint and fingerprint == target.get('arnFingerPrint'):
        return True
    if encryption.is_qlik_provider(target):
        return migration.get('migratingTo') == encryption.QLIK_ARN or \
            (fingerprint and fingerprint == target.get('tenantId'))
    return bool(migration.get('migratingTo')) and migration.get('migratingTo') == target.get('arn')


def describe(migration):
    if not migration:
        return 'no migration'
    return 'migration %s to %s (state %s, progress %s%%)' % (
        migration.get('id'), migration.get('migratingTo'), migration.get('state'), migration.get('progress', 0))


class MigrationTimeout(Exception):
    """The wait ended before the migration did: ``migration`` is the last record read, ``last_error``
    the error of the last poll when it failed (transient errors are retried until the deadline)."""

    def __init__(self, message, migration, last_error=None):
        super().__init__(message)
        self.message = message
        self.migration = migration
        self.last_error = last_error


def transient(exc):
    """True for an error that a later poll may not meet again: no answer, 429 or a 5xx."""
    return exc.status is None or exc.status in (429, 500, 502, 503, 504)


class Migrator:
    """Drives the tenant behind ``api`` (an encryption.KeyProviders) to a target key provider.

    ``progress(migration, elapsed)`` is called after every poll of a wait (the action plugin shows it).
    """

    def __init__(self, api, sleep=time.sleep, clock=time.monotonic, progress=None):
        self.api = api
        self._sleep = sleep
        self._clock = clock
        self._progress = progress

    def trigger(self, target, before=None):
        """Start a migration to ``target``. Returns ``(started, migration, refusal)``.

        ``before`` is the migration record read before (None when there was none): when the call's
        answer is lost, a migration toward the target other than ``before`` proves that it applied,
        even when it already completed (a fast migration).
        ``started`` is False when Qlik started nothing: another migration was running
        (428/406), the tenant is already on the Qlik key (200/424 on reset), or Qlik could not
        prepare the migration (424, for example because the key became current meanwhile).
        ``refusal`` is then Qlik's error, if any; the caller reads the state again to decide.
        """
        client = self.api.client
        qlik = encryption.is_qlik_provider(target)
        path = encryption.BASE + ('/actions/reset-to-default-provider' if qlik
                                  else '/%s/actions/migrate' % target['arnFingerPrint'])
        before_id = (before or {}).get('id')

        def write():
            try:
                response = client.post(path, ok=(200, 201, 205))
            except QlikAPIError as exc:
                if exc.status in (406, 424, 428):
                    return False, None, exc
                raise
            if qlik and response.status == 200:  # already on the Qlik managed provider
                return False, None, None
            record = encryption.normalize_migration(response.json) if isinstance(response.json, dict) else {}
            return True, record or self.api.migration(), None

        def recheck():
            # the call may have reached Qlik: a new migration toward the target means it did
            migration = self.api.migration()
            if migration and heads_to(migration, target) and migration.get('id') != before_id:
                return True, migration, None
            return None

        return client.write_once(write, recheck)

    def wait(self, target, migration, timeout):
        """Poll until the migration completed; return the last record.

        With a ``target``, the provider list is read too whenever the details give no record
        (404), so that a target that is current ends the wait (the record is then ``{}``).
        A migration that finished toward another key is returned as well: the caller decides what
        comes next. Transient errors of a poll (no answer, 429, 5xx) are retried until ``timeout``.
        """
        started = self._clock()
        deadline = started + timeout
        first_progress = (migration or {}).get('progress') or 0
        attempt = 0
        last_error = None
        while migration is None or encryption.migration_running(migration):
            now = self._clock()
            if now >= deadline:
                raise MigrationTimeout('timed out after %d s waiting for %s' % (timeout, describe(migration)),
                                       migration, last_error)
            progress = (migration or {}).get('progress') or 0
            interval = _interval(attempt, first_progress, progress, now - started)
            self._sleep(min(interval, deadline - now))
            attempt += 1
            try:
                record = self.api.migration()
                if record is None and target is not None and self._is_current(target):
                    return {}
            except QlikAPIError as exc:
                if not transient(exc):
                    raise
                last_error = exc
                continue
            last_error = None
            migration = record if record is not None else migration
            if self._progress:
                self._progress(migration, self._clock() - started)
        return migration

    def _is_current(self, target):
        providers = self.api.list(include_default=True)
        return any(p['current'] and p.get('arnFingerPrint') == target.get('arnFingerPrint') for p in providers)


def _interval(attempt, first_progress, progress, elapsed):
    """Short polls at first, backing off for long migrations, aimed at the expected end once progress tells it."""
    interval = min(POLL_MAX, POLL_FIRST * (POLL_GROWTH ** attempt))
    if elapsed > 0 and first_progress < progress < 100:
        remaining = (100.0 - progress) * elapsed / (progress - first_progress)
        interval = min(interval, max(POLL_MIN, remaining))
    return interval
