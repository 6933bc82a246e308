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
UUID = r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
KMS_ARN = re.compile(
    r'^arn:aws(-[a-z]+)*:kms:'              # partition: aws, aws-cn, aws-us-gov, ...
    r'[a-z]{2}(-[a-z]+)+-\d+:'              # region, e.g. eu-west-1
    r'\d{12}:'                              # 12-digit account
    # key id: a UUID (single-Region), or a multi-Region id: mrk- and 32 hex digits on AWS (letters and digits:
    # Qlik's own examples are not all hex), or mrk- and a UUID with dashes, as moto makes them (fact sheet, 6)
    r'key/(mrk-[0-9A-Za-z]{16,64}|(mrk-)?' + UUID + r')\Z')
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


# --- the key before Qlik sees it: its region and whether it can have a DR replica ---------------------------------
# A tenant's host name is <tenant>.<region code>.qlikcloud.com. The codes whose AWS region is not in doubt; for the
# others (ap, sg: qlik-cli's help pairs them with ap-southeast-1/-2 the reverse of AWS's naming, fact sheet section
# 2; and every alias or custom domain) the tenant's own record says it (its ``datacenter``).
HOST_REGIONS = {'us': 'us-east-1', 'eu': 'eu-west-1', 'de': 'eu-central-1', 'uk': 'eu-west-2', 'jp': 'ap-northeast-1'}
QLIK_HOST = re.compile(r'^[A-Za-z0-9-]+\.([a-z]{2})\.qlikcloud\.com(:443)?\Z')
TENANT_ME = '/api/v1/tenants/me'


def arn_region(arn):
    """The region of a KMS key ARN (validated by validate_arn)."""
    return arn.split(':')[3]


def arn_key_id(arn):
    return arn.split(':', 5)[5].split('/', 1)[1]


def is_multi_region(arn):
    """Whether the ARN names a multi-Region key: its key id starts with ``mrk-`` (AWS's, and moto's)."""
    return arn_key_id(arn).startswith('mrk-')


def dr_region_of(region):
    """``(listed, dr_region)`` from Qlik's region table (aws_kms.DR_REGIONS), imported when a check needs it: that
    module imports boto3, which a run that writes nothing has no need to load."""
    from ansible_collections.qlikcloud.platform.plugins.module_utils.aws_kms import DR_REGIONS  # pylint: disable=import-outside-toplevel
    return region in DR_REGIONS, DR_REGIONS.get(region)


def region_from_host(host):
    """The AWS region of a tenant host ``<tenant>.<code>.qlikcloud.com`` whose code is in HOST_REGIONS, else None."""
    match = QLIK_HOST.match((host or '').lower())
    return HOST_REGIONS.get(match.group(1)) if match else None


class TenantRegion:
    """The AWS region of the tenant behind ``client``, learnt once and only when a check needs it (before a write):
    from its host name when that tells (no request), else from its own record (``GET /api/v1/tenants/me``, its
    ``datacenter``). ``get()`` is ``(region, source)``; region is None, and ``source`` says why, when neither tells.
    """

    def __init__(self, client):
        self.client = client
        self._answer = None

    def get(self):
        if self._answer is None:
            self._answer = self._learn()
        return self._answer

    def _learn(self):
        host = self.client.host
        region = region_from_host(host)
        if region:
            return region, 'its host name %s' % host
        try:
            record = self.client.json(self.client.get(TENANT_ME), 'GET', TENANT_ME, 'the tenant')
        except QlikAPIError as exc:
            return None, 'GET %s on %s failed: %s' % (TENANT_ME, host, exc.message)
        datacenter = record.get('datacenter') if isinstance(record, dict) else None
        if isinstance(datacenter, str) and datacenter:
            return datacenter, 'its datacenter (GET %s)' % TENANT_ME
        code = record.get('region') if isinstance(record, dict) else None
        if code in HOST_REGIONS:
            return HOST_REGIONS[code], 'its region code %s (GET %s)' % (code, TENANT_ME)
        return None, 'GET %s on %s named no datacenter' % (TENANT_ME, host)


def check_key_region(arn, tenant_region, warn, require_dr_compliant=False):
    """Refuse (ValueError) a key in another region than the tenant's, naming both; for a single-Region key where
    Qlik's table lists a DR region, warn (``warn(message)``) or, with ``require_dr_compliant``, refuse.

    ``tenant_region`` is a TenantRegion; call this before the first write that would hand ``arn`` to Qlik."""
    if not arn or arn == QLIK_ARN:
        return
    region, source = tenant_region.get()
    host = tenant_region.client.host
    if region is None:
        warn('the region of tenant %s is not known (%s): whether key %s is in it was not checked' % (
            host, source, arn))
    elif arn_region(arn) != region:
        raise ValueError(
            'arn %s is a key in %s, but tenant %s is in %s (%s): Qlik needs the key in the tenant\'s region; '
            'create it in %s (qlikcloud.platform.qlik_aws_kms_key with region: %s); nothing was written' % (
                arn, arn_region(arn), host, region, source, region, region))
    key_region = region or arn_region(arn)
    listed, dr_region = dr_region_of(key_region)
    if is_multi_region(arn) or not dr_region:
        return
    message = ('arn %s is a single-Region key (its key id is not mrk-...), but Qlik\'s table lists %s as the DR region '
               'of %s: Qlik will find it not DR-compliant; use a multi-Region key with a replica in %s '
               '(qlikcloud.platform.qlik_aws_kms_key makes one)' % (arn, dr_region, key_region, dr_region))
    if require_dr_compliant:
        raise ValueError(message + '; refused because require_dr_compliant is true, nothing was written')
    warn(message)


# Qlik's answers to a key it will not take (create: 403 no access, 406 other refusal, 417 malformed; test: 400)
KEY_REFUSALS = (400, 403, 406, 417, 424)


def refusal_hint(arn):
    """What to check when Qlik refuses ``arn``: the key policy, the replica and the region."""
    if not arn or arn == QLIK_ARN or not KMS_ARN.match(arn):
        return ''
    region = arn_region(arn)
    listed, dr_region = dr_region_of(region)
    replica = ('a multi-Region key with an enabled replica in %s, Qlik\'s DR region for %s' % (dr_region, region)
               if dr_region else 'a symmetric key' + ('' if listed else ' (with a replica in the DR region Qlik '
                                                                        'lists for %s)' % region))
    return ('; check in AWS that key %s is %s, that the key policy of the key%s lets Qlik\'s principal use it '
            '(Encrypt, Decrypt, GenerateDataKey*, DescribeKey), and that %s is the tenant\'s region; '
            'qlikcloud.platform.qlik_aws_kms_key reports what is missing (dr_compliant, missing)' % (
                arn, replica, ' and of the replica' if dr_region else '', region))


def refused(exc, arn, prefix=''):
    """``exc`` (a QlikAPIError); when Qlik refused the key (or KMS did not answer it in time), its message begins
    with ``prefix`` and tells what to check (before Qlik's trace id, which stays last)."""
    if exc.status in KEY_REFUSALS:
        hint = refusal_hint(arn)
    elif exc.status == 408:
        hint = '; AWS KMS did not answer Qlik in time for key %s: run the task again' % arn
    else:
        return exc
    message = exc.message
    trace = ' (trace id %s)' % exc.trace_id if exc.trace_id else None
    if trace and message.endswith(trace):
        exc.message = prefix + message[:-len(trace)] + hint + trace
    else:
        exc.message = prefix + message + hint
    return exc


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
                raise refused(exc, arn, 'Qlik refused to register key %s: ' % arn)
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
