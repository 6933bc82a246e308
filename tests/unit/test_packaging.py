"""What Galaxy, ansible-builder and AWX read from the collection."""

from __future__ import annotations

import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX_FIELD_TYPES = ('string', 'boolean')
AWX_KINDS = ('ssh', 'vault', 'net', 'scm', 'cloud', 'insights', 'kubernetes', 'galaxy', 'token', 'cryptography',
             'external')


def load(path):
    with open(os.path.join(REPO, path)) as handle:
        return yaml.safe_load(handle)


def test_awx_credential_type_has_what_awx_requires():
    credential = load('examples/awx/credential_type.yml')
    assert credential['name'] and credential['kind'] in AWX_KINDS
    fields = credential['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= {'id', 'label', 'type', 'secret', 'multiline', 'default', 'help_text', 'choices'}
        assert field['label'] and field['type'] in AWX_FIELD_TYPES
    assert set(credential['inputs']['required']) <= set(ids)
    assert [f for f in fields if f['id'] == 'client_secret'][0]['secret'] is True
    files = ['ca' for key in credential['injectors'].get('file', {}) if key == 'template.ca']
    for name, template in credential['injectors']['env'].items():
        assert name.startswith('QLIK_')
        for reference in re.findall(r'{{\s*([a-z_.]+)', template):
            assert reference in ids or reference.split('.')[-1] in files, (name, reference)
    # every variable it sets is one the collection (its plugins or its examples) reads
    read = set()
    for path in glob.glob(os.path.join(REPO, 'plugins', '**', '*.py'), recursive=True) + glob.glob(
            os.path.join(REPO, 'examples', '*.yml')):
        with open(path) as handle:
            read |= set(re.findall(r"'(QLIK_[A-Z_]+)'", handle.read()))
    assert set(credential['injectors']['env']) <= read, set(credential['injectors']['env']) - read


def test_execution_environment_names_the_python_requirements():
    ee = load('meta/execution-environment.yml')
    assert ee['version'] == 1 and ee['dependencies']['python'] == 'requirements.txt'
    with open(os.path.join(REPO, 'requirements.txt')) as handle:
        assert 'requests>=' in handle.read()


def test_example_execution_environment_installs_this_release_from_its_tarball():
    """examples/execution-environment.yml (ansible-builder 3) names the tarball ``ansible-galaxy collection
    build`` makes of this version; tools/gates.py's ee gate runs ``ansible-builder create`` on it."""
    ee = load('examples/execution-environment.yml')
    tarball = 'qlikcloud-platform-%s.tar.gz' % load('galaxy.yml')['version']
    assert ee['version'] == 3 and ee['images']['base_image']['name']
    assert ee['additional_build_files'] == [dict(src=tarball, dest='collections')]
    assert ee['dependencies']['galaxy']['collections'] == [dict(name='collections/' + tarball, type='file')]
    assert 'python' not in ee['dependencies']  # ansible-builder reads them from the collection


def test_galaxy_metadata_is_consistent():
    galaxy = load('galaxy.yml')
    assert galaxy['license'] == ['GPL-3.0-or-later'] and 'license_file' not in galaxy
    with open(os.path.join(REPO, 'COPYING')) as handle:
        assert 'GNU GENERAL PUBLIC LICENSE' in handle.read(200)
    for ignored in ('tests/harness', 'pytest.ini', '.ansible-lint', '.yamllint', 'emulator', '*.env', 'bench'):
        assert ignored in galaxy['build_ignore']
    links = load('docs/docsite/links.yml')
    assert links['edit_on_github']['repository'] in galaxy['repository']
