"""ISO 8601 durations and Qlik's timestamps."""

from __future__ import annotations

import pytest

from ansible_collections.qlikcloud.platform.plugins.module_utils import durations


@pytest.mark.parametrize('value,seconds', [
    ('P90D', 90 * 86400), ('PT12H', 12 * 3600), ('P1W', 7 * 86400), ('P1DT2H3M4S', 86400 + 7384), ('p0d', 0),
    ('PT0S', 0), (3600, 3600), ('600', 600), (0, 0),
])
def test_durations(value, seconds):
    assert durations.seconds(value, 'max_age') == seconds


@pytest.mark.parametrize('value', ['90 days', 'P', 'PT', 'P1DT', 'P1M2', '-P1D', -5, None, 'P1.5D', float('nan'), float('inf'),
                                   '\u00b2', 'P\u00b2D'])
def test_bad_durations_name_the_option(value):
    with pytest.raises(ValueError) as info:
        durations.seconds(value, 'older_than')
    assert str(info.value).startswith('older_than must')


def test_timestamps():
    assert durations.epoch('1970-01-01T00:01:00Z') == 60
    assert durations.epoch('1970-01-01T00:01:00.500Z') == 60.5
    assert durations.epoch('1970-01-01T01:01:00+01:00') == 60
    assert durations.epoch('0001-01-01T00:00:00Z') < 0  # Qlik's "never" reads as long ago
    assert durations.epoch('soon') is None and durations.epoch(None) is None
