# -*- coding: utf-8 -*-
"""Test-only callback: append every task result to the JSON-lines file in $QLIK_TEST_RESULTS."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: qlik_record
type: aggregate
short_description: record task results for the test-suite
description: Appends one JSON line per task result to the file named by QLIK_TEST_RESULTS.
requirements: []
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'qlik_record'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get('QLIK_TEST_RESULTS')
        if not path:
            return
        record = dict(task=result._task.get_name(), host=result._host.get_name(), status=status,
                      result=self._clean(result._result))
        with open(path, 'a') as handle:
            handle.write(json.dumps(record, default=str) + '\n')

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)
