"""synack: a TCP simulator driven by a real, sans-IO implementation of RFC 9293."""

__version__ = "0.1.0"
