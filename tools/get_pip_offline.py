"""Stand-in for ansible-test's downloaded get-pip.py, for machines without that download host.

ansible-test runs ``python get_pip_<version>.py [pip options] pip==<version> [--no-setuptools] [--no-wheel]``
in every virtual environment it creates. This installs pip from the wheel bundled with
the standard library's ``ensurepip`` and then the requested pip from the package index.
"""

import subprocess
import sys

GET_PIP_ONLY = ('--no-setuptools', '--no-wheel', '--no-pip')


def main():
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
