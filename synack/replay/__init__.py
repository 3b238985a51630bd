"""Replay of real captures: TCP connections read from pcap/pcapng, both ends' states inferred.

:mod:`.observer` runs RFC 9293's state machine from the outside for each end
of a connection; :mod:`.capture` reads a file into observed connections in
one streaming pass.  This layer imports only :mod:`synack.tcp` and
:mod:`synack.wire`; the trace views (:mod:`synack.trace.capture_view`) turn
its connections into the JSON trace every other view reads.
"""
