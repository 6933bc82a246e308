# -*- coding: utf-8 -*-
# Copyright: qlikcloud.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How a module of this collection reaches AWS (``qlikcloud.platform.aws``); the options are those of
    ``aws_argument_spec()`` in plugins/module_utils/aws_kms.py."""

    DOCUMENTATION = r'''
options:
  aws_profile:
    description:
      - A named profile of the AWS configuration files (C(~/.aws/config), C(~/.aws/credentials)) of the
        controller.
      - Cannot be combined with O(aws_access_key_id)/O(aws_secret_access_key).
      - If not set, the value of the E(AWS_PROFILE) environment variable is used.
    type: str
  aws_access_key_id:
    description:
      - An AWS access key id; with O(aws_secret_access_key). Kept out of the task's output like a secret.
      - If not set, the value of the E(AWS_ACCESS_KEY_ID) environment variable is used.
    type: str
  aws_secret_access_key:
    description:
      - The secret of O(aws_access_key_id). Never logged or returned.
      - If not set, the value of the E(AWS_SECRET_ACCESS_KEY) environment variable is used.
    type: str
  aws_session_token:
    description:
      - The session token of temporary credentials (with O(aws_access_key_id) and O(aws_secret_access_key)).
        Never logged or returned.
      - If not set, the value of the E(AWS_SESSION_TOKEN) environment variable is used.
    type: str
  aws_endpoint_url:
    description:
      - A URL to send every AWS request to instead of AWS's regional endpoints, for every region the module
        works in, for example a moto server (V(http://127.0.0.1:5000)) or LocalStack
        (V(http://localhost:4566)), which serve every region from one URL.
      - If not set, the value of the E(AWS_ENDPOINT_URL_KMS) or E(AWS_ENDPOINT_URL) environment variable is used.
    type: str
  aws_ca_bundle:
    description:
      - A PEM file with the CA certificates to trust for AWS's (or O(aws_endpoint_url)'s) TLS certificate, instead
        of the bundle botocore ships.
      - If not set, the value of the E(AWS_CA_BUNDLE) environment variable is used.
    type: path
requirements:
  - boto3 >= 1.34.0
  - botocore >= 1.34.0
notes:
  - Credentials not given as options come from boto3's own chain on the Ansible controller (where this
    collection's modules run). That is the environment, the shared configuration files, then a container or
    instance role.
  - Requests are retried by botocore's C(standard) retry mode (throttling, server errors, connection errors), at
    most five attempts; a C(CreateKey) is sent once and never again after a lost answer.
  - boto3 is needed by the Python that runs C(ansible-playbook) (C(python -m pip install 'boto3>=1.34.0')); the
    collection's other modules do not need it.
'''
