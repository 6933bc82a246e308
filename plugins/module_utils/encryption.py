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

from ansible_collections.qlikcloud.platform.plugins.module_utils.client import QlikAPIError, describe_errors

BASE = '/api/v1/encryption/keyproviders'
QLIK_ARN = '#QLIK_MANAGED_KEY_PROVIDER#'
COMPLETED = 'Completed'
KMS_ARN = re.compile(
    r'^arn:aws(-[a-z]+)*:kms:'              # partition: aws, aws-cn, aws-us-gov, ...
    r'[a-z]{2}(-[a-z]+)+-\d+:'              # region, e.g. eu-west-1
    r'\d{12}:'                              # 12-digit account
    # key id: a UUID, or a multi-region id (mrk- and letters/digits; Qlik's own examples are not all 32 hex)
    r'key/(mrk-[0-9A-Za-z]{16,64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\Z')
FINGERPRINT = re.compile(r'^[A-Za-z0-9_-]{1,128}\Z')


def validate_arn(value, option='arn'):
    """The ARN with surrounding whitespace removed (a YAML block scalar ends in a newline).

    Raises ValueError naming ``option`` unless the rest is an AWS KMS key ARN (no whitespace inside).
    Callers use the returned value everywhere: to find, compare, send and report.
    """
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not KMS_ARN.match(text):
        raise ValueError(
            '%s must be an AWS KMS key ARN like arn:aws:kms:<region>:<12-digit account>:key/<key-id> '
            '(a key id is a UUID or a multi-region mrk-... id), got %r' % (option, value))
    return text


def validate_fingerprint(value, option='fingerprint'):
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not FINGERPRINT.match(text):
        raise ValueError('%s must be a key provider fingerprint (arnFingerPrint, up to 128 letters, digits, '
                         '"-" or "_"), got %r' % (option, value))
    return text


def validate_name(value, option='name'):
    if value is not None and not value.strip():
        raise ValueError('%s must not be empty' % option)
    return value


QLIK_DEFAULT_REFUSED = ('the default Qlik-managed key provider cannot be created or deleted; to move a tenant '
                        'back to it use qlikcloud.platform.qlik_key_migration with qlik_managed=true')


def check_target(params, allow_qlik_arn=False):
    """Check and normalise, in place, the ``arn``, ``fingerprint`` and ``name`` options that name a key
    provider (every module's one check for them); raise ValueError naming the option."""
    arn = params.get('arn')
    if isinstance(arn, str) and arn.strip() == QLIK_ARN:
        if not allow_qlik_arn:
            raise ValueError(QLIK_DEFAULT_REFUSED)
        params['arn'] = QLIK_ARN
    elif arn is not None:
        params['arn'] = validate_arn(arn)
    if params.get('fingerprint') is not None:
        params['fingerprint'] = validate_fingerprint(params['fingerprint'])
    validate_name(params.get('name'))


def _is_error_object(item):
    return isinstance(item, dict) and 'arn' not in item and 'arnFingerPrint' not in item \
        and ('code' in item or 'title' in item)


def unwrap_list(body, what='key providers', source='the answer'):
    """The list from a bare JSON array or from ``{"errors": [...]}`` (both are documented).

    The reference names the wrapper ``errors``, so Qlik's own error objects in it (``code``/``title``,
    no ``arn``) are told apart from providers by their fields and raised as the error they are.
    """
    items = None
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict):
        for key in ('errors', 'data'):
            if isinstance(body.get(key), list):
                items = body[key]
                break
    if items is None:
        raise QlikAPIError('%s is not a list of %s: %s' % (source, what, _short_repr(body)))
    if any(_is_error_object(item) for item in items):
        errors = [item for item in items if _is_error_object(item)]
        trace_id = body.get('traceId') if isinstance(body, dict) else None
        raise QlikAPIError('%s with Qlik error objects instead of a list of %s: %s%s' % (
            source, what, describe_errors(errors), ' (trace id %s)' % trace_id if trace_id else ''),
            errors=errors, trace_id=trace_id)
    return items


def _short_repr(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'


def is_qlik_provider(provider):
    return bool(provider) and (provider.get('arn') == QLIK_ARN or provider.get('keyprovider') == 'Qlik')


def current_provider(providers):
    """The provider whose key the tenant uses now (from a list with the default one), or {}."""
    return next((p for p in providers if p['current']), {})


def normalize_provider(provider):
    """The provider as the API gave it, with ``current`` an explicit boolean and ``description`` a string.

    Qlik leaves ``description`` out when there is none, so a missing description and "" are the same.
    """
    out = dict(provider)
    out['current'] = bool(provider.get('current'))
    out['description'] = provider.get('description') or ''
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


def compliance(provider):
    """``(dr_compliant, messages)`` of a provider; ``complianceError`` is read as an object or a list (both
    documented). ``dr_compliant`` is None when Qlik said nothing (the default provider, a provider not
    registered yet)."""
    provider = provider or {}
    raw = provider.get('complianceError')
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    messages = [str(e.get('message') or e.get('code')) for e in items
                if isinstance(e, dict) and (e.get('code') or e.get('message'))]
    flag = provider.get('drCompliant')
    if flag is None and not messages:
        return None, []
    return bool(flag if flag is not None else True) and not messages, messages


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
        response = self.client.get(path)
        body = self.client.json(response, 'GET', path, 'a list of key providers')
        source = 'GET %s on %s answered %s' % (path, self.client.host, response.status)
        return [normalize_provider(p) for p in unwrap_list(body, source=source)]

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
        """One PATCH with a JSON-patch ``replace`` for each changed field; returns the operations sent."""
        ops = patch_ops(changes)
        self.client.patch('%s/%s' % (BASE, fingerprint), ops, ok=(200, 204))
        return ops

    def delete(self, provider):
        """DELETE a provider (see QlikClient.remove); a 424 says why Qlik keeps it."""
        try:
            return self.client.remove('%s/%s' % (BASE, provider['arnFingerPrint']))
        except QlikAPIError as exc:
            if exc.status == 424:
                raise QlikAPIError('%s (Qlik answered 424: %s)' % (self.why_in_use(provider), exc.message),
                                   status=424, method=exc.method, path=exc.path, errors=exc.errors,
                                   trace_id=exc.trace_id)
            raise

    def why_in_use(self, provider, migration=None):
        """Why Qlik refuses to delete ``provider`` (424): the current key, or the target of a running migration."""
        if provider.get('current'):
            return in_use_message(provider)
        if migration is None:
            try:
                migration = self.migration()
            except QlikAPIError:
                migration = None
        if migration_running(migration) and migration.get('migratingToFingerprint') == provider.get('arnFingerPrint'):
            return target_of_migration_message(provider, migration)
        return '%s is in use by the tenant and cannot be deleted' % describe_provider(provider)

    def test(self, fingerprint):
        """POST /actions/test; returns the validated provider or raises with Qlik's reason."""
        path = '%s/%s/actions/test' % (BASE, fingerprint)
        response = self.client.post(path, ok=(200, 201), idempotent=True)
        return self.client.json(response, 'POST', path, 'the tested key provider')

    def migration(self):
        """The ongoing or last migration (reference field names), or None when there has been none (404)."""
        path = BASE + '/migration/actions/details'
        try:
            response = self.client.get(path)
        except QlikAPIError as exc:
            if exc.not_found(path):
                return None
            raise
        record = self.client.json(response, 'GET', path, 'a migration record')
        if not isinstance(record, dict):
            raise QlikAPIError('GET %s on %s answered %s with something that is not a migration record: %s' % (
                path, self.client.host, response.status, _short_repr(record)), status=response.status,
                method='GET', path=path)
        return normalize_migration(record)


def describe_provider(provider):
    if is_qlik_provider(provider):
        return 'the default Qlik-managed key provider'
    return 'key provider %r (%s)' % (provider.get('name'), provider.get('arnFingerPrint'))


def in_use_message(provider):
    return ('%s is the tenant\'s current key and cannot be deleted: migrate the tenant to another key first '
            '(qlikcloud.platform.qlik_key_migration), then delete it' % describe_provider(provider))


def target_of_migration_message(provider, migration):
    return ('%s is the target of the running key migration %s (state %s, %s%% done) and cannot be deleted until '
            'it completes; it then becomes the current key' % (
                describe_provider(provider), migration.get('id'), migration.get('state'),
                migration.get('progress', 0)))
