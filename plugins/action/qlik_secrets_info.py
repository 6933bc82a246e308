# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs qlikcloud.platform.qlik_secrets_info in the controller's worker process (see plugins/plugin_utils/action.py)."""

from __future__ import annotations

from ansible_collections.qlikcloud.platform.plugins.modules import qlik_secrets_info as module
from ansible_collections.qlikcloud.platform.plugins.plugin_utils.action import QlikAction


class ActionModule(QlikAction):
    module = module
