"""synack: a TCP simulator driven by a real, sans-IO implementation of RFC 9293."""

from .compiled import choose as _choose_build

__version__ = "0.1.0"

# Before any engine module is imported: run the mypyc build only if it matches the sources.
_choose_build()
