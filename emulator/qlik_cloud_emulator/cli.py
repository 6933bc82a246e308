"""Run the Qlik Cloud emulator until interrupted.

    qlik-cloud-emulator --tenants 3 --env-file emulator.env --key 'arn:aws:kms:eu-west-1:111122223333:key/*=ok'

Like Qlik Cloud, it refuses a KMS key it cannot reach: declare the keys a rehearsal uses (--key,
--keys-file), or give --kms-endpoint to look them up in an AWS-compatible KMS (a moto server).

It prints the registration, console and tenant URLs, the CA file to trust and
shell export lines for the QLIK_* variables the collection's modules read.
SIGTERM, SIGHUP or Ctrl-C stop it and remove its temporary directory (the CA).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading

from .config import FAULT_KINDS, KEY_BEHAVIOURS, EmulatorConfig
from .kms import Kms
from .roles import parse_client
from .server import Emulator


def _key_behaviour(text):
    arn, sep, behaviour = text.rpartition('=')
    if not sep or behaviour not in KEY_BEHAVIOURS:
        raise argparse.ArgumentTypeError('expected ARN=%s' % '|'.join(KEY_BEHAVIOURS))
    return arn, behaviour


def _keys_file(path):
    """``ARN=BEHAVIOUR`` lines (``#`` comments and blank lines skipped) -> [(ARN, BEHAVIOUR)]."""
    try:
        with open(path) as handle:
            lines = [line.strip() for line in handle]
    except OSError as exc:
        raise argparse.ArgumentTypeError('cannot read %s: %s' % (path, exc))
    return [_key_behaviour(line) for line in lines if line and not line.startswith('#')]


def _client(text):
    try:
        return parse_client(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _license(text):
    key, sep, subscription = text.rpartition('=')
    if not sep or not key or not subscription:
        raise argparse.ArgumentTypeError('expected KEY=SUBSCRIPTION')
    return key, subscription


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog='qlik-cloud-emulator', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--bind', default='127.0.0.1', help='loopback address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0, help='port of the registration host (default: any free port)')
    parser.add_argument('--tenants', type=int, default=1, help='tenants that exist at start (the first is the source tenant)')
    parser.add_argument('--migration-seconds', type=float, default=5.0, help='how long a key migration takes')
    parser.add_argument('--token-ttl', type=float, default=21600.0, help='lifetime of access tokens in seconds')
    parser.add_argument('--client-id', default=EmulatorConfig.client_id,
                        help='the region OAuth client id (default %(default)s)')
    parser.add_argument('--client-secret', default=EmulatorConfig.client_secret, help='its secret')
    parser.add_argument('--regions', default='',
                        help='comma list of region codes (eu, us, ap, sg, de, uk, jp), one registration host each '
                             '(default: one, eu); the first region\'s OAuth client is --client-id, region R\'s is '
                             '<client-id>-R with secret <client-secret>-R; a client of another region is refused')
    parser.add_argument('--license', action='append', type=_license, default=[], metavar='KEY=SUBSCRIPTION',
                        help='another signed license key and the subscription it belongs to (repeatable)')
    parser.add_argument('--client', action='append', type=_client, default=[], metavar='NAME:ROLE[,ROLE]',
                        help='add a tenant-level M2M OAuth client on every tenant holding these roles (repeatable; '
                             '`viewer:` for none; the default client is a TenantAdmin); its id and secret are '
                             'printed and exported as QLIK_EMULATOR_CLIENT_<NAME>_ID / _SECRET')
    parser.add_argument('--list-style', choices=('array', 'wrapped'), default='array',
                        help='key provider lists as a JSON array or wrapped in {"errors": [...]} (default array)')
    parser.add_argument('--migrate-style', choices=('reference', 'tutorial'), default='reference',
                        help="migrate's answer: id/migratingToFingerprint (reference) or "
                             'migrationId/migratingToFingerPrint (tutorial)')
    parser.add_argument('--compliance-style', choices=('object', 'array'), default='object',
                        help='complianceError as an object or an array (default object)')
    parser.add_argument('--reset-when-default', type=int, choices=(200, 424), default=200,
                        help='reset-to-default on a tenant already on the Qlik key answers 200 or 424 (default 200)')
    parser.add_argument('--reset-205-body', action='store_true',
                        help="reset-to-default's 205 carries the migration record (default: no body, per RFC 9110)")
    parser.add_argument('--oauth-patch-style', choices=('202', '204'), default='202',
                        help='a PATCH adding client_secret to an OAuth client\'s allowedAuthMethods: 202 with the '
                             'secret it generates (documented, default) or 204 and no secret')
    parser.add_argument('--no-rate-limits', action='store_true', help='disable the per-tier rate limits')
    parser.add_argument('--fault-rate', type=float, default=0.0, help='share of answers replaced by a fault (0-1)')
    parser.add_argument('--fault-kinds', default='429,500,503,drop',
                        help='comma list of the faults to inject (default 429,500,503,drop): %s' % '; '.join(
                            '%s: %s' % kind for kind in FAULT_KINDS.items()))
    parser.add_argument('--fault-methods', default='', help='comma list: only these methods get faults')
    parser.add_argument('--fault-paths', default='', help='comma list of path prefixes: only these get faults')
    parser.add_argument('--fault-limit', type=int, default=0, help='inject at most this many faults (0: no limit)')
    parser.add_argument('--latency', type=float, default=0.0, help='seconds added to every answer')
    parser.add_argument('--seed', type=int, default=None, help='random seed for fault injection')
    parser.add_argument('--key', action='append', type=_key_behaviour, default=[], metavar='ARN=BEHAVIOUR',
                        help='declare a key (repeatable; ARN may be an fnmatch pattern such as '
                             'arn:aws:kms:eu-west-1:111122223333:key/*) and how it behaves: %s. A key neither '
                             'declared nor found with --kms-endpoint is refused (403), as Qlik refuses a key it '
                             'cannot reach' % ', '.join(KEY_BEHAVIOURS))
    parser.add_argument('--keys-file', action='append', type=_keys_file, default=[], metavar='FILE',
                        help='declare keys from a file of ARN=BEHAVIOUR lines (# comments)')
    parser.add_argument('--kms-endpoint', metavar='URL',
                        help='validate keys that are not declared in this AWS-compatible KMS API (e.g. a moto '
                             'server), as Qlik does: enabled, symmetric, in the tenant\'s region, multi-Region '
                             "with a replica in the DR region, key policies granting Qlik's principal (needs "
                             "boto3: pip install 'qlik-cloud-emulator[kms]'; AWS_ACCESS_KEY_ID/... if set)")
    parser.add_argument('--env-file', help='also write the export lines to this file (mode 0600: it holds '
                                           'QLIK_CLIENT_SECRET), for `source FILE`')
    parser.add_argument('--verbose', action='store_true', help='log every request to stderr')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not args.bind.startswith('127.') and args.bind not in ('::1', 'localhost'):
        sys.exit('the emulator only listens on loopback addresses')
    config = EmulatorConfig(
        client_id=args.client_id, client_secret=args.client_secret, token_ttl=args.token_ttl,
        migration_seconds=args.migration_seconds, list_style=args.list_style, migrate_style=args.migrate_style,
        compliance_style=args.compliance_style, reset_when_default=args.reset_when_default,
        reset_205_body=args.reset_205_body,
        rate_limits=not args.no_rate_limits, fault_rate=args.fault_rate,
        fault_kinds=tuple(k for k in args.fault_kinds.split(',') if k), fault_latency=args.latency,
        fault_methods=tuple(m for m in args.fault_methods.upper().split(',') if m),
        fault_paths=tuple(p for p in args.fault_paths.split(',') if p), fault_limit=args.fault_limit,
        fault_seed=args.seed, seed_tenants=args.tenants, kms_endpoint=args.kms_endpoint,
        clients=dict(args.client), oauth_patch_secret=args.oauth_patch_style == '202', licenses=dict(args.license),
        regions=tuple(r.strip() for r in args.regions.split(',') if r.strip()),
        key_behaviours=dict([pair for listed in args.keys_file for pair in listed] + args.key))
    try:
        config.validate()
        if config.kms_endpoint:
            Kms(config.kms_endpoint)  # boto3 is there (the extra kms), before anything listens
    except (ValueError, RuntimeError) as exc:
        sys.exit(str(exc))
    stop = threading.Event()
    for name in ('SIGTERM', 'SIGHUP'):
        signal.signal(getattr(signal, name), lambda *dummy: stop.set())
    emulator = Emulator(config, bind=args.bind, verbose=args.verbose, registration_port=args.port)
    try:
        emulator.start()
        exports = '\n'.join('export %s=%s' % (k, shlex.quote(v)) for k, v in emulator.env().items())
        if args.env_file:
            descriptor = os.open(args.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)  # also when the file was there before
            with os.fdopen(descriptor, 'w') as handle:
                handle.write(exports + '\n')
        print('Qlik Cloud emulator running (Ctrl-C to stop)')
        print(json.dumps(emulator.describe(), indent=2))
        print('CA file (pass as ca_path / QLIK_CA_PATH): %s' % emulator.ca_path)
        print(exports, flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()  # and its temporary directory goes
