"""``python -m qlik_cloud_emulator``: the ``qlik-cloud-emulator`` command (cli.py)."""

from .cli import main

if __name__ == '__main__':
    main()
