"""The protocol core: a sans-IO TCP engine (RFC 9293) with no clock, no I/O and no randomness of its own.

Nothing in this package imports anything outside the standard library or any other
part of synack; time comes in as an argument (integer microseconds) and
randomness through injected generators.
"""
