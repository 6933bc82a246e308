"""The domain model's one locking rule.

``Model`` and ``Credentials`` share one re-entrant lock (``model.lock``). Each of their public methods that
reads or changes tenants, tokens, key providers, migrations, OAuth clients or API keys is ``@locked``: it
holds the lock for its whole body. Private helpers (``_name``) expect it held. The hosts' routes and the
gateway never take it; code outside the package that changes domain objects directly (a test, a benchmark)
holds ``model.lock`` while it does.
"""

from __future__ import annotations

import functools


def locked(method):
    """Run ``method`` holding ``self.lock``."""

    @functools.wraps(method)
    def run_locked(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return run_locked
