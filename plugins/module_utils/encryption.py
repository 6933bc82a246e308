# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Qlik Cloud encryption API: key providers and key migrations.

This is the one place that knows the API's paths and reads every documented
form of its answers: lists as a bare array or wrapped in ``{"errors": [...]}``,
migration records with ``id``/``migratingToFingerprint`` (reference) or
``migrationId``/``migratingToFingerPrint`` (tutorial), ``complianceError`` as an
object or an array (handled where it is checked), and ``0001-01-01T00:00:00Z`` meaning "never"
(returned as given; documented in RETURN).
"""

from __future__ import annotations

import re

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError

BASE = '/api/v1/encryption/keyproviders'
QLIK_ARN = '#QLIK_MANAGED_KEY_PROVIDER#'
COMPLETED = 'Completed'
KMS_ARN = re.compile(
    r'^arn:aws(-[a-z]+)*:kms:'              # partition: aws, aws-cn, aws-us-gov, ...
    r'[a-z]{2}(-[a-z]+)+-\d+:'              # region, e.g. eu-west-1
    r'\d{12}:'                              # 12-digit account
    # key id: a UUID, or a multi-region id (mrk- and letters/digits; Qlik's own examples are not all 32 hex)
    r'key/(mrk-[0-9A-Za-z]{16,64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$')
FINGERPRINT = re.compile(r'^[A-Za-z0-9_-]{1,128}$')


def validate_arn(value, option='arn'):
    """Raise ValueError naming ``option`` unless ``value`` is an AWS KMS key ARN."""
    if not isinstance(value, str) or not KMS_ARN.match(value.strip()):
        raise ValueError(
            '%s must be an AWS KMS key ARN like arn:aws:kms:<region>:<12-digit account>:key/<key-id> '
            '(a key id is a UUID or a multi-region mrk-... id), got %r' % (option, value))
    return value.strip()


def validate_fingerprint(value, option='fingerprint'):
    if not isinstance(value, str) or not FINGERPRINT.match(value):
        raise ValueError('%s must be a key provider fingerprint (arnFingerPrint, up to 128 letters, digits, '
                         '"-" or "_"), got %r' % (option, value))
    return value


def validate_name(value, option='name'):
    if value is not None and not value.strip():
        raise ValueError('%s must not be empty' % option)
    return value


def unwrap_list(body, what='key providers'):
    """The list from a bare JSON array or from ``{"errors": [...]}`` (both are documented)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ('errors', 'data'):
            if isinstance(body.get(key), list):
                return body[key]
    raise QlikAPIError('unexpected answer for the list of %s: %r' % (what, body))


def is_qlik_provider(provider):
    return bool(provider) and (provider.get('arn') == QLIK_ARN or provider.get('keyprovider') == 'Qlik')


def normalize_provider(provider):
    """The provider as the API gave it, with ``current`` made an explicit boolean."""
    out = dict(provider)
    out['current'] = bool(provider.get('current'))
    return out


def normalize_migration(record):
    """A migration record with the reference field names (``id``, ``migratingToFingerprint``)."""
    if not isinstance(record, dict):
        return {}
    out = dict(record)
    if 'id' not in out and 'migrationId' in out:
        out['id'] = out.pop('migrationId')
    else:
        out.pop('migrationId', None)
    if 'migratingToFingerprint' not in out and 'migratingToFingerPrint' in out:
        out['migratingToFingerprint'] = out.pop('migratingToFingerPrint')
    else:
        out.pop('migratingToFingerPrint', None)
    return out


def migration_running(migration):
    return bool(migration) and migration.get('state') != COMPLETED


def diff_view(provider):
    """What ``--diff`` shows of a provider (nothing secret is in a provider)."""
    if not provider:
        return dict(state='absent')
    return dict(state='present', name=provider.get('name'), description=provider.get('description') or '',
                arn=provider.get('arn'), keyprovider=provider.get('keyprovider'),
                fingerprint=provider.get('arnFingerPrint'))


def patch_ops(changes):
    """The JSON-patch list that replaces each changed field (name, description)."""
    return [dict(op='replace', path='/' + field, value=changes[field]) for field in sorted(changes)]


def find_provider(providers, arn=None, fingerprint=None, name=None):
    """The provider with ``arn``, else ``fingerprint``, else ``name`` (None when none matches).

    A name that matches more than one provider is an error (names are not unique in Qlik).
    """
    if arn:
        for provider in providers:
            if provider.get('arn') == arn:
                return provider
        return None
    if fingerprint:
        for provider in providers:
            if provider.get('arnFingerPrint') == fingerprint:
                return provider
        return None
    if name:
        matches = [p for p in providers if p.get('name') == name]
        if len(matches) > 1:
            raise ValueError('name %r matches %d key providers (%s); use arn or fingerprint' % (
                name, len(matches), ', '.join(p.get('arnFingerPrint', '?') for p in matches)))
        return matches[0] if matches else None
    return None


class KeyProviders:
    """Calls of the encryption API for one tenant (``client`` is a QlikClient)."""

    def __init__(self, client):
        self.client = client

    def list(self, include_default=False):
        """All AWS-KMS providers (one GET), or with ``include_default`` every provider via /actions/list."""
        path = BASE + '/actions/list' if include_default else BASE
        return [normalize_provider(p) for p in unwrap_list(self.client.get(path).json)]

    def create(self, arn, name, description=None, provider_type='AWS-KMS'):
        """Register a key. A lost answer or a 409 is settled by reading the list again."""
        body = dict(arn=arn, name=name, keyprovider=provider_type)
        if description:
            body['description'] = description

        def recheck():
            return find_provider(self.list(), arn=arn)

        try:
            created = self.client.write_once(lambda: self.client.post(BASE, body, ok=(201, 200)).json, recheck)
        except QlikAPIError as exc:
            if exc.status != 409:
                raise
            created = recheck()
            if created is None:
                raise
        return normalize_provider(created if isinstance(created, dict) else recheck() or body)

    def update(self, fingerprint, changes):
        """One PATCH with a JSON-patch ``replace`` for each changed field."""
        ops = patch_ops(changes)
        self.client.patch('%s/%s' % (BASE, fingerprint), ops, ok=(200, 204))
        return ops

    def delete(self, provider):
        """DELETE a provider; False when it was already gone (404)."""
        try:
            self.client.delete('%s/%s' % (BASE, provider['arnFingerPrint']), ok=(200, 204))
        except QlikAPIError as exc:
            if exc.status == 404:
                return False
            if exc.status == 424:
                raise QlikAPIError(in_use_message(provider) + ' (Qlik answered 424: %s)' % exc.message,
                                   status=424, method=exc.method, path=exc.path, errors=exc.errors)
            raise
        return True

    def test(self, fingerprint):
        """POST /actions/test; returns the validated provider or raises with Qlik's reason."""
        return self.client.post('%s/%s/actions/test' % (BASE, fingerprint), ok=(200, 201), idempotent=True).json

    def migration(self):
        """The ongoing or last migration (reference field names), or None when there has been none (404)."""
        try:
            return normalize_migration(self.client.get(BASE + '/migration/actions/details').json)
        except QlikAPIError as exc:
            if exc.status == 404:
                return None
            raise


def in_use_message(provider):
    what = 'the default Qlik-managed key provider' if is_qlik_provider(provider) else \
        'key provider %r (%s)' % (provider.get('name'), provider.get('arnFingerPrint'))
    return ('%s is the tenant\'s current key and cannot be deleted: migrate the tenant to another key first '
            '(qlikcloud.platform.qlik_key_migration), then delete it' % what)
