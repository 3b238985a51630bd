"""The wire layer: bytes <-> Segment, checksums, pcap and pcapng, and conversation summaries.

It sits between the protocol core and the outside world: :mod:`.codec`
(RFC 9293 section 3.1 header and options, RFC 791 IPv4 header),
:mod:`.checksum` (RFC 1071), :mod:`.pcap` (classic pcap writer, pcap and
pcapng reader) and :mod:`.conversations` (captures in a canonical form to
compare the simulator with Linux).  It imports only the standard library and
:mod:`synack.tcp`.
"""

from .checksum import internet_checksum, tcp_checksum
from .codec import (
    WireError,
    decode_ipv4,
    decode_options,
    decode_segment,
    encode_ipv4,
    encode_options,
    encode_segment,
)
from .conversations import Conversation, Row, conversations, describe, retransmission_delays
from .pcap import CapturedPacket, PcapWriter, packets_from_trace, pcap_bytes, pcap_from_trace, read_pcap

__all__ = [
    "CapturedPacket",
    "Conversation",
    "PcapWriter",
    "Row",
    "WireError",
    "conversations",
    "decode_ipv4",
    "decode_options",
    "decode_segment",
    "describe",
    "encode_ipv4",
    "encode_options",
    "encode_segment",
    "internet_checksum",
    "packets_from_trace",
    "pcap_bytes",
    "pcap_from_trace",
    "read_pcap",
    "retransmission_delays",
    "tcp_checksum",
]
