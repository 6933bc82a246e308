"""A stateful Qlik Cloud emulator that follows Qlik's public API documents.

Start it with ``qlik-cloud-emulator`` or ``python -m qlik_cloud_emulator`` (see its README)
or in-process with ``Emulator(EmulatorConfig(...)).start()``.
"""

from .model import DATACENTERS, NEVER, QLIK_ARN, EmulatorConfig, Model
from .server import Emulator

__all__ = ['DATACENTERS', 'NEVER', 'QLIK_ARN', 'Emulator', 'EmulatorConfig', 'Model']
