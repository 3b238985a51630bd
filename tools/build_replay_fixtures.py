"""Build, with scapy, the replay fixtures no Linux recording here can give (tests/fixtures/replay/).

    .venv/bin/python tools/build_replay_fixtures.py

Nothing can be downloaded in this workplace, so captures from other systems
are rebuilt from the documented on-wire formats, field by field:

- ``macos_fast_open.pcap``: what ``tcpdump -i lo0 -w`` writes on macOS for
  two TCP Fast Open connections (RFC 7413): link type 0 (BSD loopback, the
  4-byte address family 2 in the capturing host's little-endian order),
  macOS's SYN option order (MSS 16344 on lo0, NOP, window scale 6, NOP, NOP,
  timestamps, SACK-permitted, EOL), the Fast Open option kind 34 (RFC 7413
  section 4.1.1): first an empty cookie request answered by an 8-byte cookie
  in the SYN-ACK, then a SYN carrying that cookie and 100 bytes of data,
  whose SYN-ACK acknowledges the data (ack = ISN + 1 + 100).
- ``accecn.pcapng``: an Accurate ECN connection (RFC 9768) as pcapng with
  one Ethernet interface: the SYN sets AE, CWR and ECE (section 3.1.1); the
  SYN-ACK answers a Not-ECT SYN with AE=0, CWR=1, ECE=0 (table 2); the
  client's first ACK reports the SYN-ACK's IP-ECN in the ACE field; data
  then goes ECT(0) (IP TOS 0x02) with one CE mark, and the receiver's ACKs
  carry the ACE counter (AE/CWR/ECE as a 3-bit counter of CE-marked
  packets, starting at 5, section 3.2.2.1) and the AccECN1 option (kind 174,
  three 24-bit byte counters EE0B, ECEB, EE1B, section 3.2.3).

The generator is deterministic (fixed ISNs, times, cookies), so the files are
the same every time it runs.
"""

from __future__ import annotations

import struct
from pathlib import Path

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether, Loopback
from scapy.utils import PcapNgWriter, PcapWriter

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "replay"
T0 = 1_700_000_000.0

MACOS_SYN_OPTIONS = [("MSS", 16344), ("NOP", None), ("WScale", 6), ("NOP", None), ("NOP", None),
                     ("Timestamp", (1000, 0)), ("SAckOK", b""), ("EOL", None)]


def macos_fast_open() -> None:
    cookie = bytes.fromhex("5a3c9e11d07b24f6")
    client, server = "127.0.0.1", "127.0.0.1"
    packets = []

    def add(t, sport, dport, flags, seq, ack, options=(), payload=b"", window=65535):
        pkt = Loopback(type=2) / IP(src=client, dst=server, id=len(packets) + 1, flags="DF") / \
            TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window, options=list(options))
        if payload:
            pkt = pkt / payload
        pkt.time = T0 + t
        packets.append(pkt)

    # Connection 1: the client asks for a cookie (kind 34, length 2) and gets one.
    c, s = 0x1000_0000, 0x5000_0000
    add(0.000000, 49152, 8080, "S", c, 0, MACOS_SYN_OPTIONS[:-1] + [(34, b""), ("EOL", None)])
    add(0.000080, 8080, 49152, "SA", s, c + 1, [("MSS", 16344), ("NOP", None), ("WScale", 6), ("SAckOK", b""),
                                                ("Timestamp", (2000, 1000)), (34, cookie)])
    add(0.000150, 49152, 8080, "A", c + 1, s + 1, [("NOP", None), ("NOP", None), ("Timestamp", (1001, 2000))],
        window=6379)
    add(0.000300, 49152, 8080, "PA", c + 1, s + 1, [("NOP", None), ("NOP", None), ("Timestamp", (1001, 2000))],
        b"q" * 100, 6379)
    add(0.000400, 8080, 49152, "PA", s + 1, c + 101, [("NOP", None), ("NOP", None), ("Timestamp", (2001, 1001))],
        b"a" * 200, 6379)
    add(0.000500, 49152, 8080, "FA", c + 101, s + 201, [("NOP", None), ("NOP", None), ("Timestamp", (1002, 2001))],
        window=6376)
    add(0.000560, 8080, 49152, "FA", s + 201, c + 102, [("NOP", None), ("NOP", None), ("Timestamp", (2002, 1002))],
        window=6379)
    add(0.000620, 49152, 8080, "A", c + 102, s + 202, [("NOP", None), ("NOP", None), ("Timestamp", (1003, 2002))],
        window=6376)
    # Connection 2: the cookie and 100 bytes of data ride on the SYN; the SYN-ACK acknowledges them.
    c, s = 0x2000_0000, 0x6000_0000
    add(1.000000, 49153, 8080, "S", c, 0, MACOS_SYN_OPTIONS[:-1] + [(34, cookie), ("EOL", None)], b"q" * 100)
    add(1.000090, 8080, 49153, "SA", s, c + 101, [("MSS", 16344), ("NOP", None), ("WScale", 6), ("SAckOK", b""),
                                                  ("Timestamp", (3000, 5000))])
    add(1.000100, 8080, 49153, "PA", s + 1, c + 101, [("NOP", None), ("NOP", None), ("Timestamp", (3000, 5000))],
        b"a" * 200, 6379)
    add(1.000160, 49153, 8080, "A", c + 101, s + 201, [("NOP", None), ("NOP", None), ("Timestamp", (5001, 3000))],
        window=6376)
    add(1.000300, 49153, 8080, "FA", c + 101, s + 201, [("NOP", None), ("NOP", None), ("Timestamp", (5002, 3000))],
        window=6376)
    add(1.000350, 8080, 49153, "FA", s + 201, c + 102, [("NOP", None), ("NOP", None), ("Timestamp", (3001, 5002))],
        window=6379)
    add(1.000400, 49153, 8080, "A", c + 102, s + 202, [("NOP", None), ("NOP", None), ("Timestamp", (5003, 3001))],
        window=6376)
    writer = PcapWriter(str(OUT / "macos_fast_open.pcap"), linktype=0, sync=True)
    for pkt in packets:
        writer.write(pkt)
    writer.close()


def accecn() -> None:
    client, server = "192.0.2.10", "198.51.100.20"
    mac_c, mac_s = "02:00:c0:00:02:0a", "02:00:c6:33:64:14"
    packets = []

    def add(t, from_client, flags, seq, ack, tos=0, options=(), payload=b"", window=502):
        src, dst = (client, server) if from_client else (server, client)
        sport, dport = (50000, 443) if from_client else (443, 50000)
        ether = Ether(src=mac_c if from_client else mac_s, dst=mac_s if from_client else mac_c)
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window, options=list(options))
        pkt = ether / IP(src=src, dst=dst, tos=tos, id=len(packets) + 1, flags="DF") / tcp
        if payload:
            pkt = pkt / payload
        pkt.time = T0 + t
        packets.append(pkt)

    c, s = 0x0A00_0000, 0x0B00_0000
    ts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 1))]
    # scapy's TCP flags string: A C E W? it names AE as "AE"? Use the raw value: AE=0x100, CWR=0x80, ECE=0x40.
    add(0.000, True, 0x100 | 0x80 | 0x40 | 0x02, c, 0, options=[("MSS", 1460), ("SAckOK", b""),
                                                                  ("Timestamp", (1, 0)), ("NOP", None),
                                                                  ("WScale", 7)])
    add(0.020, False, 0x80 | 0x12, s, c + 1, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (9, 1)),
                                                      ("NOP", None), ("WScale", 7)])
    # The client's first ACK: ACE = 0b010 reports that the SYN-ACK arrived Not-ECT (RFC 9768 table 4).
    add(0.040, True, 0x80 | 0x10, c + 1, s + 1, options=ts)
    add(0.041, True, 0x100 | 0x18, c + 1, s + 1, tos=0x02, options=ts, payload=b"x" * 1000)   # ACE 5 (0b101)
    add(0.042, True, 0x100 | 0x18, c + 1001, s + 1, tos=0x03, options=ts, payload=b"x" * 1000)  # CE-marked
    # The server counts one CE packet: ACE 5 -> 6 (0b110: AE and CWR); AccECN1 (kind 174) byte counters.
    accecn1 = (174, struct.pack("!I", 1000)[1:] + struct.pack("!I", 1000)[1:] + struct.pack("!I", 0)[1:])
    add(0.062, False, 0x100 | 0x80 | 0x10, s + 1, c + 2001, options=[accecn1, ("NOP", None)])
    add(0.063, False, 0x100 | 0x80 | 0x18, s + 1, c + 2001, tos=0x02, options=[("NOP", None)], payload=b"y" * 300)
    add(0.083, True, 0x100 | 0x10, c + 2001, s + 301, options=ts)
    add(0.090, True, 0x100 | 0x11, c + 2001, s + 301, options=ts)
    add(0.110, False, 0x100 | 0x80 | 0x11, s + 301, c + 2002, options=[("NOP", None)])
    add(0.130, True, 0x100 | 0x10, c + 2002, s + 302, options=ts)
    writer = PcapNgWriter(str(OUT / "accecn.pcapng"))
    for pkt in packets:
        writer.write(pkt)
    writer.close()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    macos_fast_open()
    accecn()
    for path in sorted(OUT.glob("*")):
        if path.suffix in (".pcap", ".pcapng"):
            print(f"{path.name}: {path.stat().st_size} bytes")
