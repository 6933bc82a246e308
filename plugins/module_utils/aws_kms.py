# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS side of a Qlik Cloud customer-managed key: AWS KMS through boto3.

The one place that knows what Qlik requires of a KMS key: Qlik's region -> DR (backup) region table
(``DR_REGIONS``), Qlik's AWS principal (``QLIK_PRINCIPALS``) and the actions it needs (``QLIK_ACTIONS``), and how
to tell whether a key is fit (``compliance``). ``QlikKey`` reads and writes one key: a symmetric multi-Region
primary in the tenant's region, found by its alias, with its replica in the DR region, a key policy on both
that keeps the account's administration statement and grants Qlik's principal the actions.

Why boto3 directly rather than amazon.aws's module_utils: their connection helpers (``boto3_conn``,
``get_aws_connection_info``, ``fail_json_aws``, ``AWSRetry`` around them) take an ``AnsibleAWSModule``, which
wraps an ``AnsibleModule`` — a module process that parses its arguments and exits. This collection runs every
module as an action plugin inside the controller's worker (``QlikAction`` validates ``SPEC`` and calls
``run(task)``), where no AnsibleModule exists, and one module would make amazon.aws a dependency of the whole
collection. So the session is made here, with boto3's standard credential chain and botocore's own retry mode.

Keys are addressed by their key id in a client of their region, never by ARN: a multi-Region key and its
replicas share one id, AWS accepts either, and moto answers 500 to EnableKey, CancelKeyDeletion and
ScheduleKeyDeletion given an ARN (its backends index keys by raw id).
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
import traceback

from urllib.parse import urlsplit

from ansible.module_utils.common.parameters import env_fallback

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:  # pragma: no cover - exercised by the sanity import test and tests/integration/test_aws_kms_key.py
    boto3 = None
    BOTO3_IMPORT_ERROR = traceback.format_exc()

# what the module needs, as pip takes it (requirements.txt says the same)
BOTO3_REQUIREMENT = 'boto3>=1.34.0'

# Qlik Cloud region -> its DR (backup) region for the replica key, from the region table of Qlik's help page
# "Qlik Cloud tenant domain" (Region code / Backup region code). None: Qlik lists no DR region ("N/A": Sweden
# hosts anonymous-access tenants only), so a key there needs no replica. The stored copies of that table end
# after Tokyo: a region that is not a key here is unknown, and the module then requires dr_region.
DR_REGIONS = {
    'us-east-1': 'us-east-2',
    'eu-west-1': 'eu-west-3',
    'eu-west-2': 'eu-south-2',
    'eu-central-1': 'eu-south-1',
    'eu-north-1': None,
    'ap-southeast-1': 'ap-northeast-2',
    'ap-southeast-2': 'ap-southeast-4',
    # Osaka: the table's code is cut off after "ap-north" in every copy; ap-northeast-3 is AWS's code for Osaka
    'ap-northeast-1': 'ap-northeast-3',
}

# The IAM role in Qlik's AWS account (338144066592) that Qlik's example key policy names (Qlik support article
# "How to get started with the Amazon KMS connector", statement "Enable KMS Key policy for proxy account").
# That example lists a second role whose name is cut off in every copy we have: confirm the list with Qlik.
QLIK_PRINCIPALS = ('arn:aws:iam::338144066592:role/byok-encryption-proxy-role',)
# Envelope encryption as Qlik does it. Qlik names GenerateDataKey (its Encryption-88 error); the rest is our
# reading of what the service needs (DescribeKey lets Qlik find the replicas) -- confirm with Qlik.
QLIK_ACTIONS = ('kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*')
QLIK_SID = 'Enable KMS Key policy for proxy account'   # the Sid of Qlik's example: a statement made by hand is adopted
ADMIN_SID = 'Enable IAM User Permissions'              # AWS's default key policy statement for the account

PENDING_DELETION = ('PendingDeletion', 'PendingReplicaDeletion')
# states the module can bring to Enabled (others, such as PendingImport or Unavailable, are reported, not touched)
ENABLEABLE = ('Enabled', 'Disabled') + PENDING_DELETION
SETTLING = ('Creating', 'Updating')

REGION = re.compile(r'^[a-z]{2}(-[a-z]+)+-\d+\Z')
ALIAS = re.compile(r'^alias/[a-zA-Z0-9/_-]{1,250}\Z')
PRINCIPAL = re.compile(r'^(\d{12}|arn:aws(-[a-z]+)*:iam::\d{12}:(root|(role|user)/[\w+=,.@/-]+))\Z')
ACTION = re.compile(r'^kms:[A-Za-z*]+\Z')


def aws_argument_spec():
    """How the module reaches AWS (doc fragment ``qlikcloud.platform.aws``); none of it is required: boto3's own
    credential chain (environment, shared files, instance or task role) applies to what is not set."""
    return dict(
        aws_profile=dict(type='str', fallback=(env_fallback, ['AWS_PROFILE'])),
        aws_access_key_id=dict(type='str', no_log=True, fallback=(env_fallback, ['AWS_ACCESS_KEY_ID'])),
        aws_secret_access_key=dict(type='str', no_log=True, fallback=(env_fallback, ['AWS_SECRET_ACCESS_KEY'])),
        aws_session_token=dict(type='str', no_log=True, fallback=(env_fallback, ['AWS_SESSION_TOKEN'])),
        aws_endpoint_url=dict(type='str', fallback=(env_fallback, ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL'])),
        aws_ca_bundle=dict(type='path', fallback=(env_fallback, ['AWS_CA_BUNDLE'])),
    )


class AWSError(Exception):
    """An AWS call failed; the message names the call, its region and AWS's error code and message."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


# --- Qlik's table and the options that name regions, aliases and principals ---------------------------------------

def validate_region(value, option='region'):
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not REGION.match(text):
        raise ValueError('%s must be an AWS region code such as eu-west-1, got %r' % (option, value))
    return text


def dr_region_for(region, dr_region=None):
    """``(dr_region, listed)``: the region the replica goes to (None: no replica needed) and whether Qlik's table
    lists ``region``. Raises ValueError for a ``dr_region`` that Qlik would not look in, and for a region Qlik's
    table does not list when ``dr_region`` is not given."""
    listed = region in DR_REGIONS
    if dr_region is None:
        if not listed:
            raise ValueError(
                'region %s is not in the table of Qlik Cloud regions this collection knows (%s): give dr_region, '
                "the backup region Qlik's help page (Qlik Cloud tenant domain) lists for it" % (
                    region, ', '.join(sorted(DR_REGIONS))))
        return DR_REGIONS[region], True
    dr_region = validate_region(dr_region, 'dr_region')
    if dr_region == region:
        raise ValueError('dr_region must differ from region (%s): a replica lives in another region' % region)
    if listed and DR_REGIONS[region] and DR_REGIONS[region] != dr_region:
        raise ValueError(
            "dr_region is %s, but Qlik's DR (backup) region for %s is %s: Qlik looks for the replica there and would "
            'find the key not DR-compliant; leave dr_region out or set it to %s' % (
                dr_region, region, DR_REGIONS[region], DR_REGIONS[region]))
    return dr_region, listed


def validate_alias(value, option='alias'):
    """``alias/<name>`` for ``<name>`` or ``alias/<name>``; AWS's reserved ``alias/aws/`` is refused."""
    text = value.strip() if isinstance(value, str) else ''
    name = text if text.startswith('alias/') else 'alias/' + text
    if not ALIAS.match(name) or name.startswith('alias/aws/'):
        raise ValueError('%s must be a KMS alias name (letters, digits, /, _ and -, optionally after alias/; not '
                         'alias/aws/...), got %r' % (option, value))
    return name


def validate_principals(values, option='qlik_principal'):
    if not values:
        raise ValueError('%s must name at least one AWS principal' % option)
    for value in values:
        if not isinstance(value, str) or not PRINCIPAL.match(value):
            raise ValueError('%s must hold IAM ARNs such as arn:aws:iam::338144066592:role/<name> (or 12-digit '
                             'account ids), got %r' % (option, value))
    return sorted(set(values))


def validate_actions(values, option='qlik_actions'):
    if not values:
        raise ValueError('%s must name at least one KMS action' % option)
    for value in values:
        if not isinstance(value, str) or not ACTION.match(value):
            raise ValueError('%s must hold KMS actions such as kms:Decrypt, got %r' % (option, value))
    return sorted(set(values))


def validate_tags(tags, option='tags'):
    if tags is None:
        return None
    out = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key.strip() or key.startswith('aws:'):
            raise ValueError('%s keys must be non-empty strings not starting with aws:, got %r' % (option, key))
        out[key] = '' if value is None else str(value)
    return out


# --- key policies ---------------------------------------------------------------------------------------------------

def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _statements(policy):
    return [s for s in _as_list((policy or {}).get('Statement')) if isinstance(s, dict)]


def _aws_principals(statement):
    principal = statement.get('Principal')
    if principal == '*':
        return ['*']
    return _as_list(principal.get('AWS')) if isinstance(principal, dict) else []


def _is_root(principal, partition, account):
    return principal in (account, 'arn:%s:iam::%s:root' % (partition, account))


def admin_statement(partition, account):
    """AWS's default statement: the account (and through IAM, its admins) may do everything with the key."""
    return dict(Sid=ADMIN_SID, Effect='Allow', Principal=dict(AWS='arn:%s:iam::%s:root' % (partition, account)),
                Action='kms:*', Resource='*')


def qlik_statement(principals, actions):
    return dict(Sid=QLIK_SID, Effect='Allow', Principal=dict(AWS=list(principals)), Action=list(actions),
                Resource='*')


def _same_statement(have, want):
    """Whether ``have`` says what ``want`` says: a string and a one-element list are the same; order is not."""
    if set(have) != set(want):
        return False
    for field in want:
        if field == 'Principal':
            if sorted(_aws_principals(have)) != sorted(_aws_principals(want)) or set(have[field]) != set(want[field]):
                return False
        elif isinstance(want[field], (list, tuple)) or isinstance(have[field], list):
            if sorted(_as_list(have[field])) != sorted(_as_list(want[field])):
                return False
        elif have[field] != want[field]:
            return False
    return True


def _has_admin(policy, partition, account):
    for statement in _statements(policy):
        if (statement.get('Effect') == 'Allow' and 'Condition' not in statement
                and any(_is_root(p, partition, account) for p in _aws_principals(statement))
                and 'kms:*' in _as_list(statement.get('Action')) and '*' in _as_list(statement.get('Resource'))):
            return True
    return False


def wanted_policy(policy, partition, account, principals, actions):
    """The key policy the key should have: ``policy`` itself (the same object) when it already keeps the account's
    administration statement and holds Qlik's statement as wanted; otherwise ``policy`` with Qlik's statement
    (Sid ``QLIK_SID``) put right in its place (or added last) and AWS's administration statement added first if no
    statement gives the account ``kms:*``. Every other statement is kept as it is, in its order."""
    want = qlik_statement(principals, actions)
    statements = _statements(policy)
    ours = [s for s in statements if s.get('Sid') == QLIK_SID]
    if len(ours) == 1 and _same_statement(ours[0], want) and _has_admin(policy, partition, account):
        return policy
    # Qlik's statement where it was (the first of any duplicates), else last; the rest as it was
    first = ours[0] if ours else None
    kept = [want if s is first else s for s in statements if s is first or s.get('Sid') != QLIK_SID]
    if first is None:
        kept.append(want)
    if not _has_admin(policy, partition, account):
        kept.insert(0, admin_statement(partition, account))
    out = dict(Version=(policy or {}).get('Version') or '2012-10-17')
    if (policy or {}).get('Id'):
        out['Id'] = policy['Id']
    out['Statement'] = kept
    return out


def _matches(pattern, action):
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def policy_gaps(policy, principals, actions):
    """The ``(principal, action)`` pairs ``policy`` does not grant: an unconditional Allow on ``*`` (or the key)
    naming the principal (or ``*``) and the action (wildcards as IAM reads them), not taken back by a Deny that
    names them. Statements with a Condition are not counted as granting (Qlik's requests may not meet it)."""
    gaps = []
    statements = _statements(policy)
    for principal in principals:
        for action in actions:
            def names(statement):
                return ((principal in _aws_principals(statement) or '*' in _aws_principals(statement))
                        and any(_matches(p, action) for p in _as_list(statement.get('Action'))))
            allowed = any(s.get('Effect') == 'Allow' and 'Condition' not in s and names(s) for s in statements)
            denied = any(s.get('Effect') == 'Deny' and names(s) for s in statements)
            if not allowed or denied:
                gaps.append((principal, action))
    return gaps


# --- talking to AWS -------------------------------------------------------------------------------------------------

def _endpoint(value):
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ('http', 'https') or not parts.hostname or '@' in parts.netloc or parts.query:
        raise ValueError('aws_endpoint_url must be an http(s) URL such as http://127.0.0.1:5000 (no user:password@, '
                         'no query), got %s://%s' % (parts.scheme, parts.hostname or ''))
    return value.strip()


class Connection:
    """One boto3 session and its clients (one per service, region and retry policy), for the module's options;
    raises MissingLibrary without boto3 and ValueError for options that cannot go together.

    Credentials: ``aws_access_key_id``/``aws_secret_access_key`` (and ``aws_session_token``), else ``aws_profile``,
    else boto3's chain (environment, shared files, container or instance role). ``aws_endpoint_url`` serves every
    region (moto and LocalStack do). Reads and idempotent writes are retried by botocore's ``standard`` mode
    (throttling, 5xx, connection errors); CreateKey is sent once, never again after a lost answer.
    """

    MAX_ATTEMPTS = 5

    def __init__(self, params):
        if boto3 is None:
            from ansible_collections.qlikcloud.platform.plugins.module_utils.runner import MissingLibrary  # pylint: disable=import-outside-toplevel
            raise MissingLibrary('boto3', BOTO3_IMPORT_ERROR, requirement=BOTO3_REQUIREMENT)
        key_id, secret = params.get('aws_access_key_id') or None, params.get('aws_secret_access_key') or None
        token, profile = params.get('aws_session_token') or None, params.get('aws_profile') or None
        if bool(key_id) != bool(secret):
            raise ValueError('aws_access_key_id and aws_secret_access_key go together (or AWS_ACCESS_KEY_ID and '
                             'AWS_SECRET_ACCESS_KEY): only %s is set' % (
                                 'aws_access_key_id' if key_id else 'aws_secret_access_key'))
        if token and not key_id:
            raise ValueError('aws_session_token needs aws_access_key_id and aws_secret_access_key')
        if profile and key_id:
            raise ValueError('aws_profile (or AWS_PROFILE) and aws_access_key_id/aws_secret_access_key (or their '
                             'AWS_* variables) are both set: choose one way to authenticate')
        self.endpoint_url = _endpoint(params.get('aws_endpoint_url'))
        self.verify = params.get('aws_ca_bundle') or None
        try:
            self.session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                                 aws_session_token=token, profile_name=profile)
        except botocore.exceptions.ProfileNotFound:
            raise ValueError('aws_profile %r is not a profile of the AWS configuration files' % profile) from None
        self._clients = {}

    def client(self, region, service='kms', retry=True):
        """A boto3 client of ``service`` in ``region``; ``retry=False``: one attempt only (non-idempotent calls)."""
        key = (service, region, retry)
        if key not in self._clients:
            config = botocore.config.Config(
                retries=dict(mode='standard', max_attempts=self.MAX_ATTEMPTS if retry else 1),
                connect_timeout=10, read_timeout=60, user_agent_extra='qlikcloud.platform')
            self._clients[key] = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                                     verify=self.verify, config=config)
        return self._clients[key]

    def call(self, region, operation, retry=True, service='kms', **kwargs):
        """``operation`` (AWS's name, e.g. ``PutKeyPolicy``) in ``region``; failures raise AWSError."""
        method = getattr(self.client(region, service, retry), _snake(operation))
        try:
            return method(**kwargs)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get('Error') or {}
            code = error.get('Code') or str(exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode', ''))
            raise AWSError('%s in %s failed: %s: %s' % (operation, region, code, error.get('Message') or exc),
                           code=code) from None
        except botocore.exceptions.NoCredentialsError:
            raise AWSError('%s in %s: no AWS credentials found: set aws_profile, or aws_access_key_id and '
                           'aws_secret_access_key (or the AWS_* environment variables), or run where an instance '
                           'or task role provides them' % (operation, region), code='NoCredentials') from None
        except botocore.exceptions.BotoCoreError as exc:
            raise AWSError('%s in %s failed: %s' % (operation, region, exc), code=type(exc).__name__) from None


def _snake(operation):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', operation).lower()


# --- one Qlik key: primary and DR replica -----------------------------------------------------------------------

def _tag_dict(tags):
    return dict((t['TagKey'], t['TagValue']) for t in tags or [])


def _tag_list(tags):
    return [dict(TagKey=k, TagValue=v) for k, v in sorted((tags or {}).items())]


def _tag_ops(region, key_id, have, want):
    ops = []
    gone = sorted(set(have or {}) - set(want))
    if gone:
        ops.append((region, 'UntagResource', dict(KeyId=key_id, TagKeys=gone)))
    new = dict((k, v) for k, v in want.items() if (have or {}).get(k) != v)
    if new:
        ops.append((region, 'TagResource', dict(KeyId=key_id, Tags=_tag_list(new))))
    return ops


def _policy_text(policy):
    return json.dumps(policy, indent=2, sort_keys=False)


def unfit(metadata, alias, region):
    """Why the key ``alias`` names in ``region`` (DescribeKey's ``metadata``) cannot be a Qlik tenant's key, or None
    when it can. A key never becomes multi-Region or symmetric, so such a key is refused before any write."""
    name = '%s in %s (%s)' % (alias, region, metadata['Arn'])
    if metadata.get('KeyManager') == 'AWS':
        return '%s is an AWS managed key; Qlik needs a customer managed key' % name
    if metadata.get('KeySpec', 'SYMMETRIC_DEFAULT') != 'SYMMETRIC_DEFAULT' or metadata.get(
            'KeyUsage') not in ('ENCRYPT_DECRYPT', None):
        return '%s is not a symmetric encryption key (KeySpec %s, KeyUsage %s); Qlik needs one' % (
            name, metadata.get('KeySpec'), metadata.get('KeyUsage'))
    if not metadata.get('MultiRegion'):
        return ('%s is a single-Region key, and a key cannot become multi-Region; Qlik needs a multi-Region '
                'primary with a replica in its DR region: give another alias (or move this one to a '
                'multi-Region key)' % name)
    if not is_primary(metadata):
        primary = (metadata.get('MultiRegionConfiguration') or {}).get('PrimaryKey') or {}
        return ("%s is a replica whose primary is in %s (%s); Qlik needs the primary key in the tenant's "
                'region' % (name, primary.get('Region'), primary.get('Arn')))
    return None


def is_primary(metadata):
    """Whether DescribeKey's ``metadata`` is a multi-Region primary key.

    Decided by the primary's ARN, not by ``MultiRegionKeyType``: moto shares one configuration between a primary
    and its replicas, and describing a replica writes REPLICA into it (fact sheet, section 6)."""
    configuration = metadata.get('MultiRegionConfiguration') or {}
    return bool(metadata.get('MultiRegion')) and (configuration.get('PrimaryKey') or {}).get('Arn') == metadata['Arn']


def replicas_of(metadata):
    """``{region: arn}`` of the replicas DescribeKey lists for a multi-Region primary."""
    configuration = metadata.get('MultiRegionConfiguration') or {}
    return dict((r['Region'], r['Arn']) for r in configuration.get('ReplicaKeys') or [])


class QlikKey:
    """The key of one Qlik tenant: the multi-Region primary named ``alias`` in ``region`` and its replica in
    ``dr_region`` (None: no replica needed).

    A key's record, as ``read`` returns it and ``resource.ensure`` compares it (field by field; None when there is
    no key): ``arn``, ``key_id``, ``key_state``, ``description``, ``tags``, ``key_rotation`` and ``policy`` of the
    primary, and ``replica_region``, ``replica_arn``, ``replica_key_state``, ``replica_description``, ``replica_tags``,
    ``replica_policy`` of the replica in ``dr_region`` (None without one). ``metadata`` is DescribeKey's answer and
    ``replicas`` every replica ``{region: arn}``; neither is compared.
    """

    SETTLE_SECONDS = 120.0
    SETTLE_POLL = 2.0

    def __init__(self, connection, region, dr_region, alias, principals=QLIK_PRINCIPALS, actions=QLIK_ACTIONS,
                 sleep=time.sleep, clock=time.monotonic):
        self.aws = connection
        self.region = region
        self.dr_region = dr_region
        self.alias = alias
        self.principals = list(principals)
        self.actions = list(actions)
        self.calls = []      # the writes made, in order: dict(region, operation[, arn of a new key])
        self._sleep = sleep
        self._clock = clock
        self._identity = None

    # reads

    def _describe(self, region, key_id):
        try:
            return self.aws.call(region, 'DescribeKey', KeyId=key_id)['KeyMetadata']
        except AWSError as exc:
            if exc.code == 'NotFoundException':
                return None
            raise

    def _settled(self, region, key_id):
        """DescribeKey of a replica the primary lists, waiting (at most SETTLE_SECONDS) while AWS is still creating
        it: not found yet in its region, or ``Creating``/``Updating``. None if it never appears."""
        deadline = self._clock() + self.SETTLE_SECONDS
        metadata = self._describe(region, key_id)
        while (metadata is None or metadata.get('KeyState') in SETTLING) and self._clock() < deadline:
            self._sleep(self.SETTLE_POLL)
            metadata = self._describe(region, key_id)
        return metadata

    def _policy(self, region, key_id):
        return json.loads(self.aws.call(region, 'GetKeyPolicy', KeyId=key_id, PolicyName='default')['Policy'])

    def _tags(self, region, key_id):
        tags, marker = [], None
        while True:
            page = self.aws.call(region, 'ListResourceTags', KeyId=key_id, **(dict(Marker=marker) if marker else {}))
            tags += page.get('Tags') or []
            marker = page.get('NextMarker') if page.get('Truncated') else None
            if not marker:
                return _tag_dict(tags)

    def read(self, details=True, key_id=None):
        """The key's record (see the class), or None when no key has the alias in ``region``.

        ``key_id``: read that key instead of resolving the alias (right after CreateKey and CreateAlias, when AWS
        may not resolve the new alias yet). ``details=False`` (for state=absent): the metadata and the replicas'
        states only, no policies or tags."""
        metadata = self._describe(self.region, key_id or self.alias)
        if metadata is None:
            return None
        key_id = metadata['KeyId']
        record = dict(arn=metadata['Arn'], key_id=key_id, key_state=metadata.get('KeyState'),
                      description=metadata.get('Description') or '', metadata=metadata,
                      replicas=replicas_of(metadata) if is_primary(metadata) else {},
                      replica_region=None, replica_arn=None, replica_key_state=None, replica_description=None,
                      replica_tags=None, replica_policy=None)
        if not details:
            record['replica_states'] = dict((region, (self._describe(region, key_id) or {}).get('KeyState'))
                                            for region in record['replicas'])
            return record
        if unfit(metadata, self.alias, self.region):
            return record
        rotation = self.aws.call(self.region, 'GetKeyRotationStatus', KeyId=key_id).get('KeyRotationEnabled')
        record.update(tags=self._tags(self.region, key_id), policy=self._policy(self.region, key_id),
                      key_rotation=bool(rotation))
        if self.dr_region in record['replicas']:
            replica = self._settled(self.dr_region, key_id)
            if replica is not None:
                record.update(replica_region=self.dr_region, replica_arn=replica['Arn'],
                              replica_key_state=replica.get('KeyState'),
                              replica_description=replica.get('Description') or '',
                              replica_tags=self._tags(self.dr_region, key_id),
                              replica_policy=self._policy(self.dr_region, key_id))
        return record

    def identity(self):
        """``(partition, account)`` of the caller (STS GetCallerIdentity, which needs no permission), for a key that
        does not exist yet."""
        if self._identity is None:
            arn = self.aws.call(self.region, 'GetCallerIdentity', service='sts')['Arn']
            parts = arn.split(':')
            self._identity = (parts[1], parts[4])
        return self._identity

    def owner(self, record):
        """``(partition, account)`` of a key, from its ARN."""
        parts = record['arn'].split(':')
        return parts[1], parts[4]

    # what the key should be

    def desired(self, current, description=None, tags=None, purge_tags=True, key_rotation=None):
        """The record ``current`` (None: no key yet) should have, for ``resource.ensure``; None values are left as
        they are. ``tags`` with ``purge_tags=False`` are added to the key's own. A replica still to be made gets the
        primary's description, tags and policy unless told otherwise; an existing one keeps its own."""
        have = current or {}
        partition, account = self.owner(current) if current else self.identity()

        def merged(own):
            return tags if tags is None or purge_tags else dict(own or {}, **tags)

        want = dict(key_state='Enabled' if not current or have['key_state'] in ENABLEABLE else None,
                    description=description if description is not None or current else '',
                    tags=merged(have.get('tags')) if current else tags or {}, key_rotation=key_rotation,
                    policy=wanted_policy(have.get('policy'), partition, account, self.principals, self.actions))
        if not self.dr_region:
            return want
        if have.get('replica_region') is None:
            want.update(replica_region=self.dr_region, replica_key_state='Enabled',
                        replica_description=have.get('description', '') if want['description'] is None
                        else want['description'],
                        replica_tags=have.get('tags') or {} if want['tags'] is None else want['tags'],
                        replica_policy=want['policy'])
        else:
            want.update(replica_key_state='Enabled' if have['replica_key_state'] in ENABLEABLE else None,
                        replica_description=description, replica_tags=merged(have['replica_tags']),
                        replica_policy=wanted_policy(have['replica_policy'], partition, account, self.principals,
                                                     self.actions))
        return want

    # writes: planned as (region, operation, arguments), then sent

    def plan(self, current, changes):
        """The AWS writes that turn ``current`` into ``current`` + ``changes``, in order."""
        key_id, ops = current['key_id'], []
        for prefix, region in (('', self.region), ('replica_', self.dr_region)):
            if prefix and 'replica_region' in changes:
                ops.append(self._replicate_op(key_id, changes))
                continue
            if prefix + 'key_state' in changes:
                if current[prefix + 'key_state'] in PENDING_DELETION:
                    ops.append((region, 'CancelKeyDeletion', dict(KeyId=key_id)))
                ops.append((region, 'EnableKey', dict(KeyId=key_id)))
            if prefix + 'description' in changes:
                ops.append((region, 'UpdateKeyDescription', dict(KeyId=key_id, Description=changes[prefix + 'description'])))
            if prefix + 'tags' in changes:
                ops += _tag_ops(region, key_id, current[prefix + 'tags'], changes[prefix + 'tags'])
            if prefix + 'policy' in changes:
                text = _policy_text(changes[prefix + 'policy'])
                ops.append((region, 'PutKeyPolicy', dict(KeyId=key_id, PolicyName='default', Policy=text)))
            if not prefix and 'key_rotation' in changes:
                ops.append((region, 'EnableKeyRotation' if changes['key_rotation'] else 'DisableKeyRotation',
                            dict(KeyId=key_id)))
        return ops

    def _replicate_op(self, key_id, want):
        return (self.region, 'ReplicateKey', dict(
            KeyId=key_id, ReplicaRegion=self.dr_region, Policy=_policy_text(want['replica_policy']),
            Description=want['replica_description'] or '', Tags=_tag_list(want['replica_tags'])))

    def creation_plan(self, desired):
        """The writes that make the key: what check mode reports for a key that does not exist."""
        new = '(new key)'
        ops = [(self.region, 'CreateKey', self._create_args(desired)),
               (self.region, 'CreateAlias', dict(AliasName=self.alias, TargetKeyId=new))]
        if desired.get('key_rotation'):
            ops.append((self.region, 'EnableKeyRotation', dict(KeyId=new)))
        if self.dr_region:
            ops.append(self._replicate_op(new, desired))
        return ops

    @staticmethod
    def _create_args(desired):
        args = dict(KeySpec='SYMMETRIC_DEFAULT', KeyUsage='ENCRYPT_DECRYPT', MultiRegion=True, Origin='AWS_KMS',
                    Policy=_policy_text(desired['policy']), Tags=_tag_list(desired.get('tags')))
        if desired.get('description'):
            args['Description'] = desired['description']
        return args

    def send(self, ops):
        for region, operation, args in ops:
            self._write(region, operation, **args)

    def _write(self, region, operation, retry=True, **args):
        self.calls.append(dict(region=region, operation=operation))
        return self.aws.call(region, operation, retry=retry, **args)

    def create(self, desired):
        """CreateKey (sent once: after a lost answer it is not sent again), CreateAlias, rotation, then the replica;
        returns the record after."""
        try:
            metadata = self._write(self.region, 'CreateKey', retry=False, **self._create_args(desired))['KeyMetadata']
        except AWSError as exc:
            if exc.code == 'MalformedPolicyDocumentException':
                raise AWSError('%s: AWS refuses a key policy naming %s; check qlik_principal with Qlik' % (
                    exc, ', '.join(self.principals)), code=exc.code) from None
            if exc.code in ('ReadTimeoutError', 'ConnectionClosedError'):
                raise AWSError('%s: the answer was lost, so CreateKey may have made a key in %s without the alias %s; '
                               'it was not sent again: find it (aws kms list-keys), then give it the alias or '
                               'schedule its deletion' % (exc, self.region, self.alias), code=exc.code) from None
            raise
        self.calls[-1]['arn'] = metadata['Arn']
        self._write(self.region, 'CreateAlias', AliasName=self.alias, TargetKeyId=metadata['KeyId'])
        if desired.get('key_rotation'):
            self._write(self.region, 'EnableKeyRotation', KeyId=metadata['KeyId'])
        record = self.read(key_id=metadata['KeyId'])
        if self.dr_region:
            record = self._replicate(record, desired)
        return record

    def _replicate(self, record, desired):
        """ReplicateKey with the replica's policy, description and tags; the record after."""
        self.send([self._replicate_op(record['key_id'], desired)])
        after = self.read(key_id=record['key_id'])
        if after['replica_region'] is None:
            raise AWSError('ReplicateKey answered, but %s has no replica in %s' % (record['arn'], self.dr_region))
        # moto ignores ReplicateKey's Policy, Description and Tags: its replica is a copy of the primary (its policy
        # and description, no tags; fact sheet, section 6). AWS applies them. So the replica is read back and what
        # differs is put right: on AWS nothing, and no further write.
        fields = ('replica_description', 'replica_tags', 'replica_policy')
        fix = dict((f, desired[f]) for f in fields if desired.get(f) is not None and after[f] != desired[f])
        if fix:
            self.send(self.plan(after, fix))
            after = self.read(key_id=record['key_id'])
        return after

    def update(self, current, changes):
        """Send ``plan(current, changes)``; a missing replica is made (then put right, see ``_replicate``)."""
        ops = self.plan(current, changes)
        if 'replica_region' in changes:
            self.send(op for op in ops if op[1] != 'ReplicateKey')
            self._replicate(current, changes)
        else:
            self.send(ops)
        return ops

    def deletion_plan(self, current, pending_window_days):
        """ScheduleKeyDeletion of every replica that is not pending deletion, then of the primary (AWS deletes a
        primary only after its replicas)."""
        ops = []
        for region in sorted(current['replicas']):
            if current['replica_states'].get(region) not in PENDING_DELETION + (None,):
                ops.append((region, 'ScheduleKeyDeletion', dict(KeyId=current['key_id'],
                                                                PendingWindowInDays=pending_window_days)))
        if current['key_state'] not in PENDING_DELETION:
            ops.append((self.region, 'ScheduleKeyDeletion', dict(KeyId=current['key_id'],
                                                                 PendingWindowInDays=pending_window_days)))
        return ops


def compliance(record, region, dr_region, principals=QLIK_PRINCIPALS, actions=QLIK_ACTIONS, alias='the alias'):
    """``(dr_compliant, missing)``: whether Qlik will find the key fit, checked in AWS first, and what is missing
    (messages naming the ARN). What Qlik checks: a symmetric multi-Region primary key in the tenant's region,
    enabled, a replica in its DR region (where Qlik lists one), and a key policy on both that lets Qlik's
    principal use the key."""
    if record is None:
        return False, ['no key has %s in %s' % (alias, region)]
    metadata = record['metadata']
    missing = []
    problem = unfit(metadata, alias, region)
    if problem:
        return False, [problem]
    if record['key_state'] != 'Enabled':
        missing.append('%s is %s, not Enabled' % (record['arn'], record['key_state']))
    missing += _policy_missing(record['arn'], record['policy'], principals, actions)
    if dr_region:
        if record['replica_region'] is None:
            missing.append('%s has no replica in %s, the DR region Qlik checks for %s' % (
                record['arn'], dr_region, region))
        else:
            if record['replica_key_state'] != 'Enabled':
                missing.append('replica %s is %s, not Enabled' % (record['replica_arn'], record['replica_key_state']))
            missing += _policy_missing('replica ' + record['replica_arn'], record['replica_policy'], principals, actions)
    return not missing, missing


def _policy_missing(name, policy, principals, actions):
    gaps = policy_gaps(policy, principals, actions)
    if not gaps:
        return []
    by_principal = {}
    for principal, action in gaps:
        by_principal.setdefault(principal, []).append(action)
    return ['the key policy of %s does not let %s use %s' % (name, principal, ', '.join(found))
            for principal, found in sorted(by_principal.items())]


def view(record):
    """What ``--diff`` and the ``key`` result show of a record: the primary and its DR replica, policies included."""
    if not record:
        return dict(state='absent')
    out = dict(state='present', arn=record.get('arn'), key_state=record.get('key_state'),
               description=record.get('description'), tags=record.get('tags'), key_rotation=record.get('key_rotation'),
               policy=record.get('policy'), replicas={})
    if record.get('replica_region'):
        out['replicas'][record['replica_region']] = dict(
            arn=record.get('replica_arn'), key_state=record.get('replica_key_state'),
            description=record.get('replica_description'), tags=record.get('replica_tags'),
            policy=record.get('replica_policy'))
    for region, arn in sorted((record.get('replicas') or {}).items()):
        out['replicas'].setdefault(region, dict(arn=arn))
    return out
