# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ISO 8601 durations (``P90D``, ``PT12H``, ``P1W``) and Qlik's timestamps.

Hand-written on purpose: these two formats are all the collection parses, and a library for them
would be one more package to install on every controller and execution environment.
"""

from __future__ import annotations

import calendar
import math
import re
import time

SECONDS = re.compile(r'^[0-9]+\Z')  # ASCII digits only: str.isdigit() also takes '²', which float() refuses
DURATION = re.compile(r'^P(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?\Z')
TIMESTAMP = re.compile(r'^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\Z')


def seconds(value, option):
    """Seconds of ``value``: an ISO 8601 duration in weeks, days, hours, minutes and seconds, or a
    number of seconds. Raises ValueError naming ``option``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError('%s must be a finite number of seconds or an ISO 8601 duration, got %r' % (option, value))
        if value < 0:
            raise ValueError('%s must not be negative, got %r' % (option, value))
        return float(value)
    text = value.strip().upper() if isinstance(value, str) else ''
    if SECONDS.match(text):
        return float(text)
    match = DURATION.match(text)
    if not match or text in ('P', 'PT') or text.endswith('T'):
        raise ValueError('%s must be an ISO 8601 duration such as P90D, PT12H or P1W (or a number of seconds), '
                         'got %r' % (option, value))
    weeks, days, hours, minutes, secs = (int(g or 0) for g in match.groups())
    return float((((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + secs)


def describe(seconds_):
    """An age for messages: ``100 days``, ``3 hours``, ``12 minutes``, ``40 seconds`` (None: ``an unknown time``)."""
    if seconds_ is None:
        return 'an unknown time'
    for unit, size in (('day', 86400), ('hour', 3600), ('minute', 60)):
        if seconds_ >= size:
            count = int(seconds_ // size)
            return '%d %s%s' % (count, unit, '' if count == 1 else 's')
    count = int(seconds_)
    return '%d second%s' % (count, '' if count == 1 else 's')


def epoch(value):
    """Seconds since the epoch of one of Qlik's timestamps (``2026-11-23T10:00:00.000Z``), or None."""
    match = TIMESTAMP.match(value or '') if isinstance(value, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    result = calendar.timegm((year, month, day, hour, minute, second)) + float(match.group(7) or 0)
    zone = match.group(8)
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        result -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return result


def now():
    return time.time()
