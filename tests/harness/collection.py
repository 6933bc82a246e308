"""What the tests, tools/ and bench/ share to run the collection from the working tree: the collections path that
ansible-playbook is given (a symlink to the checkout in a directory of its own, never inside the repository),
and the PLAY RECAP of a run read back."""

from __future__ import annotations

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECAP_LINE = re.compile(r'^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$')


def link_collection(directory):
    """Make ``directory`` a collections path holding this checkout as qlikcloud.platform; return it."""
    namespace = os.path.join(directory, 'ansible_collections', 'qlikcloud')
    os.makedirs(namespace, exist_ok=True)
    target = os.path.join(namespace, 'platform')
    if not os.path.islink(target):
        os.symlink(REPO, target)
    return directory


def recap(output):
    """``{host: {'ok': n, 'changed': n, 'failed': n, ...}}`` from the PLAY RECAP of ``ansible-playbook``'s output."""
    counts = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith('PLAY RECAP'):
            in_recap = True
            continue
        match = RECAP_LINE.match(line.strip()) if in_recap else None
        if match:
            counts[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2)))
    return counts
