"""`make demo`: the collection's main job against the embedded emulator."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    if not os.path.isdir(os.path.join(REPO, 'roles', 'encrypted_tenant')):
        print('no modules yet: the demo runs once the encrypted_tenant role exists')
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main())
