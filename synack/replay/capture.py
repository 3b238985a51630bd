"""A capture file as its TCP connections: grouping, selection, and each connection's packets.

One streaming pass (:func:`scan`) reads the file's TCP segments as small
tuples (:meth:`synack.wire.reader.CaptureReader.tcp_records`), groups them
into connections and runs the observer (:mod:`.observer`) on each, keeping
no packet: memory grows with the number of connections, not of packets.
A second pass (:func:`load_packets`) decodes in full only the packets of the
connections a user picked, for the ladder, the tcpdump lines, the JSON trace
and the page's inspector.

Grouping follows Wireshark's ``tcp.stream`` in spirit: one connection per
4-tuple, and a SYN (without ACK) on a 4-tuple whose connection is over (an
RST, or a FIN each way) starts a new one unless it repeats the client's own
SYN (a retransmission).  Connections are numbered from 0 in the order their
first packet appears in the file.
"""

from __future__ import annotations

import gc
import ipaddress
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable

from synack.wire.pcap import CapturedPacket
from synack.wire.reader import CaptureError, CaptureReader, address_text, decode_frame

from .observer import ACK, SYN, Connection

__all__ = ["CaptureError", "Scan", "scan", "load_packets", "select", "FilterError", "parse_filter"]


@dataclass
class Scan:
    """What one pass over a capture found."""

    name: str
    format: str
    connections: list[Connection]
    warnings: list[str]
    records: int = 0
    tcp_packets: int = 0
    first_us: int | None = None
    last_us: int = 0
    linktypes: set[int] = field(default_factory=set)


def scan(source: str | bytes | BinaryIO, *, record: bool = False, name: str | None = None,
         time_wait_us: int = 60_000_000) -> Scan:
    """Every TCP connection in the capture, observed; ``record`` keeps each step (for the trace views)."""
    # The collector would walk every connection again and again as they pile up; they hold
    # no reference cycles, so reference counting frees what is dropped.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan(source, record, name, time_wait_us)
    finally:
        if collecting:
            gc.enable()


def _scan(source: str | bytes | BinaryIO, record: bool, name: str | None, time_wait_us: int) -> Scan:
    with CaptureReader(source, name=name) as reader:
        connections: list[Connection] = []
        current: dict[tuple[bytes, int, bytes, int], Connection] = {}
        first_us = None
        last_us = 0
        for number, ts_us, src, dst, sport, dport, seq, ack, flags, window, length, _, _ in reader.tcp_records():
            if first_us is None:
                first_us = ts_us
            if ts_us > last_us:
                last_us = ts_us
            key = (src, sport, dst, dport)
            conn = current.get(key)
            if conn is None or (flags & SYN and not flags & ACK and conn.ended()
                                and not conn.repeats_client_syn(conn.client_addr == (src, sport), seq)):
                if conn is not None:
                    conn.reopen(ts_us)
                conn = Connection(len(connections), (src, sport), (dst, dport), time_wait_us=time_wait_us,
                                  record=record)
                connections.append(conn)
                current[key] = current[(dst, dport, src, sport)] = conn
            from_client = conn.client_addr[1] == sport and conn.client_addr[0] == src
            conn.add(number, ts_us, from_client, flags, seq, ack, length, window)
        for conn in connections:
            conn.finish(last_us)
        warnings = reader.finish_warnings()
        if reader.records and not connections:
            warnings.append(f"None of the {reader.records} packets in {reader.name} is a TCP segment "
                            "synack can read.")
        return Scan(reader.name, reader.format, connections, warnings, reader.records, reader.tcp_packets,
                    first_us, last_us, set(reader.linktypes))


def summarize(path: str, *, time_wait_us: int = 60_000_000) -> tuple[list[dict[str, Any]], Scan]:
    """One summary row per connection (:func:`summary_row`), and the file's counts and warnings.

    Each connection becomes its row as soon as the file is read, so what is
    kept is rows, not observers.
    """
    # As in scan(): a hundred thousand rows built with the collector on would make it walk
    # every connection again and again; nothing here holds a reference cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        found = scan(path, time_wait_us=time_wait_us)
        rows = [summary_row(c) for c in found.connections]
        found.connections = []
        return rows, found
    finally:
        if collecting:
            gc.enable()


def load_packets(source: str | bytes | BinaryIO, numbers: set[int]) -> dict[int, CapturedPacket]:
    """The packets with these numbers (from 1, in file order), decoded in full, with their IP bytes.

    Returns ``{number: CapturedPacket}``; a packet's captured IP bytes are in
    ``ip_bytes[number]`` of :func:`load_packets_with_bytes`.
    """
    return {n: p for n, (p, _) in load_packets_with_bytes(source, numbers).items()}


def load_packets_with_bytes(source: str | bytes | BinaryIO,
                            numbers: set[int]) -> dict[int, tuple[CapturedPacket, bytes]]:
    out: dict[int, tuple[CapturedPacket, bytes]] = {}
    if not numbers:
        return out
    last = max(numbers)
    with CaptureReader(source) as reader:
        for number, ts_us, linktype, buf, off, caplen, _ in reader.frames():
            if number in numbers:
                decoded = decode_frame(linktype, bytes(buf[off:off + caplen]))
                if decoded is not None:
                    src_ip, dst_ip, segment, ip_bytes, truncated = decoded
                    out[number] = (CapturedPacket(ts_us, src_ip, dst_ip, segment, truncated), ip_bytes)
            if number >= last:
                break
    return out


# ---------------------------------------------------------------- choosing connections

class FilterError(ValueError):
    """A ``--filter`` that is not ``host:port``, ``host`` or ``:port``; the message is one sentence."""


def parse_filter(text: str) -> tuple[bytes | None, int | None]:
    """``10.0.0.1:80``, ``[2001:db8::1]:443``, ``10.0.0.1``, ``2001:db8::1`` or ``:80`` as (address, port)."""
    text = text.strip()
    host, port = text, None
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise FilterError(f"The filter {text!r} opens a [ for an IPv6 address but never closes it.")
        host, rest = text[1:close], text[close + 1:]
        if rest:
            if not rest.startswith(":"):
                raise FilterError(f"The filter {text!r} should be [address]:port.")
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, text)
    address = None
    if host:
        try:
            address = ipaddress.ip_address(host).packed
        except ValueError:
            raise FilterError(f"The filter {text!r} does not start with an IP address; give host:port, "
                              "host, or :port (IPv6 in brackets with a port).") from None
    if address is None and port is None:
        raise FilterError("The filter is empty; give host:port, host, or :port.")
    return address, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise FilterError(f"The port in the filter {whole!r} must be a number from 0 to 65535.")
    return int(text)


def select(connections: Iterable[Connection], conn: int | None = None,
           filter_text: str | None = None) -> list[Connection]:
    chosen = list(connections)
    if conn is not None:
        chosen = [c for c in chosen if c.number == conn]
    if filter_text is not None:
        address, port = parse_filter(filter_text)

        def matches(endpoint: tuple[bytes, int]) -> bool:
            return (address is None or endpoint[0] == address) and (port is None or endpoint[1] == port)
        chosen = [c for c in chosen if matches(c.client_addr) or matches(c.server_addr)]
    return chosen


def endpoint_text(endpoint: tuple[bytes, int]) -> str:
    """``10.0.0.1:80`` or ``[2001:db8::1]:443``."""
    text = address_text(endpoint[0])
    return f"[{text}]:{endpoint[1]}" if ":" in text else f"{text}:{endpoint[1]}"


def summary_row(conn: Connection) -> dict[str, Any]:
    """One connection as the summary shows it (times in µs as seen at the capture point)."""
    syn_synack, synack_ack = conn.handshake_us()
    start = conn.syn_us if conn.syn_us is not None else (conn.first_us or 0)
    return {
        "conn": conn.number,
        "first_packet": conn.first_number,
        "client": endpoint_text(conn.client_addr),
        "server": endpoint_text(conn.server_addr),
        "packets": conn.packets,
        "syn_to_synack_us": syn_synack,
        "synack_to_ack_us": synack_ack,
        "handshake_rtt_us": None if syn_synack is None or synack_ack is None else syn_synack + synack_ack,
        "first_data_us": None if conn.first_data_us is None else conn.first_data_us - start,
        "bytes_client_to_server": conn.bytes_sent(conn.client),
        "bytes_server_to_client": conn.bytes_sent(conn.server),
        "retransmissions": conn.client.retransmissions + conn.server.retransmissions,
        "ended": conn.how_it_ended(),
        "final_states": conn.final_states(),
        "time_wait_until_us": conn.time_wait_until(),
        "start_us": conn.first_us,
        "duration_us": conn.last_us - (conn.first_us or 0),
    }


def tally(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """netstat's view at the end of the capture: how many ends are in each state (from summary rows)."""
    counts: dict[str, int] = {}
    for row in rows:
        for state in row["final_states"].values():
            counts[state] = counts.get(state, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
