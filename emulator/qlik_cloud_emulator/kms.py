"""Validating a customer-managed key the way Qlik Cloud does: by reading it in an AWS-compatible KMS API.

With ``--kms-endpoint URL`` (``EmulatorConfig.kms_endpoint``, for instance a moto server) the emulator's
create / test / migrate of a key provider look the key up in that KMS, as Qlik's service does in AWS:

- the key exists and Qlik's principal may read it (else: create answers 403, test 403, migrate 412);
- it is enabled and symmetric (``SYMMETRIC_DEFAULT`` / ``ENCRYPT_DECRYPT``; else: 406 on create);
- it is in the tenant's own AWS region, multi-Region with a replica in the DR region of the tenant's region, and
  the key policy of the primary and of the replica let Qlik's principal do the KMS actions -- else the provider
  is registered, but ``drCompliant`` is false and ``complianceError`` says what is wrong (see ``COMPLIANCE``).

Facts: the project's fact sheet aws-kms-for-qlik-cmk.md (the DR table, Qlik's principal, moto's behaviour). boto3
is an optional dependency (``pip install 'qlik-cloud-emulator[kms]'``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os

# Qlik Cloud region -> the DR (backup) region the replica key must be in (Qlik's help page "Qlik Cloud tenant
# domain", region table; the rows after Tokyo are not known). None: Qlik lists no DR region.
DR_REGIONS = {
    'us-east-1': 'us-east-2',
    'eu-west-1': 'eu-west-3',
    'eu-west-2': 'eu-south-2',
    'eu-central-1': 'eu-south-1',
    'eu-north-1': None,
    'ap-southeast-1': 'ap-northeast-2',
    'ap-southeast-2': 'ap-southeast-4',
    'ap-northeast-1': 'ap-northeast-3',
}
# Qlik's AWS account and the role its example key policy names; a policy naming the account (root or the bare
# 12 digits) or ``*`` counts as granting too.
QLIK_ACCOUNT = '338144066592'
QLIK_PRINCIPAL = 'arn:aws:iam::%s:role/byok-encryption-proxy-role' % QLIK_ACCOUNT
# What Qlik's service calls. Qlik names GenerateDataKey (its Encryption-88 example); Encrypt, Decrypt and
# DescribeKey (to find the replicas) are our reading of envelope encryption -- see the fact sheet, section 3.
QLIK_ACTIONS = ('kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey')
# complianceError codes. Only Encryption-88 is Qlik's (documented example); the others are the emulator's own,
# since no Qlik text gives the codes for these causes.
COMPLIANCE = {
    'policy': 'Encryption-88',      # a key policy does not let Qlik's principal do an action
    'region': 'Encryption-87',      # the key is not in the tenant's region
    'replica': 'Encryption-89',     # not multi-Region, or no replica in the DR region
}


class KmsUnavailable(Exception):
    """The KMS did not answer (Qlik answers 408)."""


class KmsRefused(Exception):
    """Qlik cannot use the key at all: ``status`` 403 (not found or not readable) or 406 (disabled, asymmetric)."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclasses.dataclass
class Finding:
    """What the KMS says of a usable key: multiRegion, replicaKeys, drCompliant and complianceError (or None)."""

    multi_region: bool
    replicas: list
    compliant: bool
    error: dict | None


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _names_qlik(statement):
    principal = statement.get('Principal')
    names = ['*'] if principal == '*' else (_as_list(principal.get('AWS')) if isinstance(principal, dict) else [])
    return any(n in ('*', QLIK_PRINCIPAL, QLIK_ACCOUNT, 'arn:aws:iam::%s:root' % QLIK_ACCOUNT) for n in names)


def _statements(policy_text):
    try:
        statements = _as_list(json.loads(policy_text).get('Statement'))
    except (ValueError, AttributeError):
        return []
    return [s for s in statements if isinstance(s, dict)]


def names_qlik(policy_text):
    """True when an Allow statement of the key policy names Qlik's principal (or ``*``) at all."""
    return any(s.get('Effect') == 'Allow' and _names_qlik(s) for s in _statements(policy_text))


def _grants(statement, action):
    patterns = _as_list(statement.get('Action'))
    return _names_qlik(statement) and any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


def missing_action(policy_text):
    """The first of ``QLIK_ACTIONS`` the key policy does not let Qlik's principal do (None: all granted).
    An Allow with a Condition is not counted (Qlik's calls may not meet it); a Deny naming the action wins."""
    statements = _statements(policy_text)
    for action in QLIK_ACTIONS:
        allowed = any(s.get('Effect') == 'Allow' and 'Condition' not in s and _grants(s, action) for s in statements)
        denied = any(s.get('Effect') == 'Deny' and _grants(s, action) for s in statements)
        if not allowed or denied:
            return action
    return None


class Kms:
    """A KMS API at ``endpoint`` (boto3 clients per region; credentials from the environment, else fake ones)."""

    def __init__(self, endpoint, timeout=10.0):
        try:
            import boto3  # pylint: disable=import-outside-toplevel
            import botocore.config  # pylint: disable=import-outside-toplevel
            import botocore.exceptions  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise RuntimeError("--kms-endpoint needs boto3: pip install 'qlik-cloud-emulator[kms]'") from None
        self.endpoint = endpoint
        self.timeout = timeout
        self._boto3 = boto3
        self._errors = botocore.exceptions
        self._config = botocore.config.Config(connect_timeout=timeout, read_timeout=timeout,
                                              retries=dict(max_attempts=1, mode='standard'))
        self._clients = {}

    def client(self, region):
        if region not in self._clients:
            session = self._boto3.session.Session(
                aws_access_key_id=os.environ.get('AWS_ACCESS_KEY_ID') or 'emulator',
                aws_secret_access_key=os.environ.get('AWS_SECRET_ACCESS_KEY') or 'emulator', region_name=region)
            self._clients[region] = session.client('kms', endpoint_url=self.endpoint, config=self._config)
        return self._clients[region]

    def _call(self, region, operation, **kwargs):
        try:
            return getattr(self.client(region), operation)(**kwargs)
        except self._errors.ClientError as exc:
            code = exc.response.get('Error', {}).get('Code', '')
            raise KmsRefused(403, '%s of %s in %s: %s' % (operation, kwargs.get('KeyId'), region, code)) from None
        except (self._errors.BotoCoreError, OSError) as exc:
            raise KmsUnavailable('%s in %s: %s' % (operation, region, exc)) from None

    def _policy(self, region, key_id):
        return self._call(region, 'get_key_policy', KeyId=key_id, PolicyName='default')['Policy']

    def inspect(self, arn, tenant_region):
        """A ``Finding`` for the key ``arn`` of a tenant in ``tenant_region``; raises ``KmsRefused`` when Qlik
        could not use it at all and ``KmsUnavailable`` when the KMS does not answer."""
        region = arn.split(':')[3]
        meta = self._call(region, 'describe_key', KeyId=arn)['KeyMetadata']
        if meta.get('KeyState') != 'Enabled':
            raise KmsRefused(406, 'The key %s is %s, not Enabled.' % (arn, meta.get('KeyState')))
        if meta.get('KeySpec', 'SYMMETRIC_DEFAULT') != 'SYMMETRIC_DEFAULT' \
                or meta.get('KeyUsage', 'ENCRYPT_DECRYPT') != 'ENCRYPT_DECRYPT':
            raise KmsRefused(406, 'The key %s is not a symmetric encryption key (%s, %s).' % (
                arn, meta.get('KeySpec'), meta.get('KeyUsage')))
        policy = self._policy(region, arn)
        missing = missing_action(policy)
        if not names_qlik(policy) or missing == 'kms:DescribeKey':
            # documented: 403 "Check if AWS key policy allows access from Qlik Cloud"
            raise KmsRefused(403, 'The key policy of %s does not let %s use the key.' % (arn, QLIK_PRINCIPAL))
        dr = DR_REGIONS.get(tenant_region, 'eu-west-3')
        configuration = meta.get('MultiRegionConfiguration') or {}
        multi = bool(meta.get('MultiRegion'))
        # moto rewrites MultiRegionKeyType once a replica is described: read the replicas, not the type
        replicas = [dict(arn=r['Arn'], region=r['Region']) for r in configuration.get('ReplicaKeys') or []]
        if region != tenant_region:
            return Finding(multi, replicas, False, dict(
                code=COMPLIANCE['region'], region=region,
                message='The key %s is in %s, not in the tenant\'s region %s.' % (arn, region, tenant_region)))
        if missing:
            return Finding(multi, replicas, False, dict(
                code=COMPLIANCE['policy'], region=region,
                message='The policy of the provided key does not allow the required action [%s] [%s].' % (
                    region, missing.split(':', 1)[1])))
        if dr is None:
            return Finding(multi, replicas, True, None)
        if not multi:
            return Finding(False, [], False, dict(
                code=COMPLIANCE['replica'], region=dr,
                message='The key %s is not a multi-Region key: it can have no replica in the DR region %s.' % (
                    arn, dr)))
        replica = [r for r in replicas if r['region'] == dr]
        if not replica:
            return Finding(multi, replicas, False, dict(
                code=COMPLIANCE['replica'], region=dr,
                message='The key %s in %s has no replica key in the DR region %s.' % (arn, region, dr)))
        try:
            replica_meta = self._call(dr, 'describe_key', KeyId=replica[0]['arn'])['KeyMetadata']
            replica_policy = self._policy(dr, replica[0]['arn'])
        except KmsRefused as exc:
            return Finding(multi, replicas, False, dict(code=COMPLIANCE['policy'], region=dr, message=exc.detail))
        if replica_meta.get('KeyState') != 'Enabled':
            return Finding(multi, replicas, False, dict(
                code=COMPLIANCE['replica'], region=dr,
                message='The replica key %s is %s, not Enabled.' % (replica[0]['arn'], replica_meta.get('KeyState'))))
        missing = missing_action(replica_policy)
        if missing:
            return Finding(multi, replicas, False, dict(
                code=COMPLIANCE['policy'], region=dr,
                message='The policy of the provided key does not allow the required action [%s] [%s].' % (
                    dr, missing.split(':', 1)[1])))
        return Finding(multi, replicas, True, None)
