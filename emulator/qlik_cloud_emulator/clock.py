"""The emulator's one clock.

Everything time-based in the emulator reads it: migration progress, token and API-key expiry, rate-limit
windows, the creation times of secrets, the timestamps it renders and the request log's ``time``. It is real
time plus an offset that only ever grows: ``advance(seconds)`` moves the whole emulator forward at once, so
that a test waits for nothing, while real time keeps running on top (a module that polls in real time still
sees a migration progress).

Delays the emulator puts on real clients (``fault_latency``, ``slow`` faults) stay in real time: they are
there to outlast a client's real timeout.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an offset (seconds) that ``advance`` adds to.

    >>> clock = Clock()
    >>> before = clock.time()
    >>> now = clock.advance(3600)  # an hour later, at once, for every host of the emulator
    >>> now - before >= 3600
    True
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = 0.0

    @property
    def offset(self):
        """Seconds the clock has been advanced by."""
        return self._offset

    def time(self):
        """Seconds since the epoch, as ``time.time()`` (for timestamps and expiry)."""
        return time.time() + self._offset

    def monotonic(self):
        """A monotonic reading, as ``time.monotonic()`` (for durations: migrations, rate-limit windows)."""
        return time.monotonic() + self._offset

    def advance(self, seconds):
        """Move the clock ``seconds`` forward (never back); returns the new ``time()``."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError('the clock moves forward by a number of seconds >= 0, not %r' % (seconds,))
        with self._lock:
            self._offset += seconds
        return self.time()


def iso(epoch):
    """Qlik's timestamp form with milliseconds (``2026-11-23T10:00:00.000Z``) of ``epoch``."""
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(epoch)) + '.%03dZ' % int((epoch % 1) * 1000)


def iso_seconds(epoch):
    """The timestamp form without milliseconds (``2026-11-23T10:00:00Z``) that the encryption API uses."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))
