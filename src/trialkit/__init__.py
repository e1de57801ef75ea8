"""trialkit: run a clinical trial from one protocol file.

The public surface is deliberately small; see ``docs/reference.md``.
"""

from trialkit.core.protocol import Protocol, ProtocolError, load_protocol

__version__ = "0.1.0"

__all__ = ["Protocol", "ProtocolError", "__version__", "load_protocol"]
