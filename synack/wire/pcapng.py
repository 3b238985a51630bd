"""A pcapng writer: the format Wireshark saves by default, with a comment on each lost segment.

One section header block (little-endian, byte-order magic 0x1A2B3C4D, version
1.0), one interface description block (LINKTYPE_ETHERNET, microsecond
timestamps, which is pcapng's default ``if_tsresol``), and one enhanced
packet block per trace step at its ``sent_us``, framed in Ethernet as the
classic writer frames it (:func:`synack.wire.pcap.ethernet_frame`).  A
segment the network lost carries an ``opt_comment`` saying so, which
Wireshark shows as a packet comment.  Block layout: the pcapng draft
(draft-ietf-opsawg-pcapng), sections 4.1, 4.2 and 4.3.
"""

from __future__ import annotations

import struct

from .pcap import DEFAULT_SNAPLEN, _trace_records, ethernet_frame
from .reader import LINKTYPE_ETHERNET

BLOCK_SHB = 0x0A0D0D0A
BLOCK_IDB = 0x00000001
BLOCK_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_END = 0
OPT_COMMENT = 1


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _options(comment: str | None) -> bytes:
    if not comment:
        return b""
    text = comment.encode()
    return struct.pack("<HH", OPT_COMMENT, len(text)) + _pad(text) + struct.pack("<HH", OPT_END, 0)


def _block(kind: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def pcapng_bytes(records: list[tuple[int, bytes, str | None]], *, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """A whole pcapng file from ``(ts_us, ip_packet, comment)`` triples, in the order given."""
    out = [_block(BLOCK_SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1)),
           _block(BLOCK_IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, snaplen))]
    for ts_us, ip_packet, comment in records:
        frame = ethernet_frame(bytes(ip_packet))
        kept = frame[:snaplen]
        body = struct.pack("<IIIII", 0, ts_us >> 32, ts_us & 0xFFFFFFFF, len(kept), len(frame))
        out.append(_block(BLOCK_EPB, body + _pad(kept) + _options(comment)))
    return b"".join(out)


def pcapng_from_trace(trace: dict) -> bytes:
    """The pcapng of a trace: one packet per step at ``sent_us``; lost ones say so in a comment."""
    records = _trace_records(trace)
    out = []
    for (ts_us, packet), step in zip(records, trace["steps"], strict=True):
        seg = step.get("segment", {})
        comment = None
        if seg.get("lost"):
            reason = seg.get("lost_reason")
            comment = "synack: lost on the wire" + (f" ({reason})" if reason else "")
        out.append((ts_us, packet, comment))
    return pcapng_bytes(out)
