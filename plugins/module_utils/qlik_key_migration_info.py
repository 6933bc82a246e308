# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of qlikcloud.platform.qlik_key_migration_info: the ongoing or last migration and the current key."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.module_utils import encryption
from ansible_collections.qlikcloud.platform.plugins.module_utils.client import connection_argument_spec

SPEC = dict(argument_spec=connection_argument_spec())


def run(task):
    api = encryption.KeyProviders(task.client())
    migration = api.migration() or {}
    current = encryption.current_provider(api.list(include_default=True))
    return dict(changed=False, migration=migration, running=encryption.migration_running(migration),
                current_key_provider=current)
