"""A stateful Qlik Cloud emulator that follows Qlik's public API documents.

Start it with ``qlik-cloud-emulator`` or ``python -m qlik_cloud_emulator`` (see its README)
or in-process with ``Emulator(EmulatorConfig(...)).start()``.
"""

from .clock import Clock
from .config import FAULT_KINDS, KEY_BEHAVIOURS, EmulatorConfig
from .errors import ApiError
from .model import DATACENTERS, NEVER, QLIK_ARN, Model
from .server import Emulator

__all__ = ['DATACENTERS', 'FAULT_KINDS', 'KEY_BEHAVIOURS', 'NEVER', 'QLIK_ARN', 'ApiError', 'Clock', 'Emulator',
           'EmulatorConfig', 'Model']
