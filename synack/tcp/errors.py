"""Errors for misuse of the local API, worded as RFC 9293 section 3.10 words them.

A bad segment from the peer is never an exception (it is dropped or answered
and recorded as an event); only the application calling something that makes
no sense in the current state raises, and the state is left unchanged.
"""


class TcpError(Exception):
    """Base of the errors the user calls raise."""


class ConnectionDoesNotExist(TcpError):
    def __init__(self) -> None:
        super().__init__("connection does not exist")


class ConnectionClosing(TcpError):
    def __init__(self) -> None:
        super().__init__("connection closing")


class ConnectionAlreadyExists(TcpError):
    def __init__(self) -> None:
        super().__init__("connection already exists")
