"""A connection read from a capture as the JSON trace of ``docs/trace-format.md``.

The replay layer (:mod:`synack.replay`) observes a connection and infers
both ends' states; this module writes that observation in the same trace
format a simulated run has, so the ladder, the tcpdump lines, the terminal
player and the page show a real capture exactly as they show a simulation.
It takes the observed connection and its decoded packets as plain objects
(no import of the replay layer: trace depends only on tcp and wire).

What differs from a simulated trace, and why:

- ``sent_us`` is the capture time relative to the connection's first
  packet; ``arrives_us`` is an estimate: half the delay the handshake showed
  between the capture point and that receiver (SYN to SYN-ACK for the
  server's side, SYN-ACK to ACK for the client's), or the capture time when
  no handshake was seen.
- ``lost`` is inferred (the segment was sent again before it was
  acknowledged, or its receiver later retransmitted what it acknowledged);
  ``lost_reason`` says so.
- ``ip_hex`` is the IP packet as captured (IPv4 or IPv6); a packet the
  snapshot length cut is marked ``truncated``.
- ``rtt_us`` is the handshake's measured RTT (SYN to the client's ACK);
  without a handshake, the time from the first data to the ACK that covered
  it; null when neither was seen.  ``profile`` is ``capture``.
- The trace adds ``final_states`` (``{"client": ..., "server": ...}``),
  ``time_wait_until_us`` and ``capture`` (file name, connection number,
  packet numbers).
"""

from __future__ import annotations

from typing import Any

from ..tcp.segment import Segment
from ..tcp.seq import wrap
from .connections import Conversation, phases_of, step_kind
from .json_view import FORMAT_VERSION, RelativeNumbers, tcpdump_text

AE = 0x100
ECE = 0x40
CWR = 0x80

EXPLANATION = (
    "Read from a capture. Each end's state is inferred from what it sent and what it acknowledged, by "
    "running RFC 9293's state machine from the outside: a segment counts as arrived when its receiver "
    "acknowledges it, as lost when it is sent again first. A state with a question mark is a best guess "
    "(the capture began mid-connection, or nothing answered); ? alone means nothing is known."
)


def _kind_text(seg: Segment, kind: str) -> str:
    n = len(seg.payload)
    if kind == "SYN":
        return f"a SYN with {n} bytes of data" if n else "a SYN"
    if kind == "SYN-ACK":
        return f"a SYN-ACK with {n} bytes of data" if n else "a SYN-ACK"
    if kind == "FIN":
        return f"a FIN with {n} bytes" if n else "a FIN"
    if kind == "RST":
        return "an RST"
    if kind == "data":
        return f"{n} bytes of data"
    return "an ACK"


def _extras(seg: Segment) -> list[str]:
    notes = []
    bits = seg.bits
    if any(getattr(o, "name", "") == "tfo" for o in seg.options):
        cookie = next((o for o in seg.options if getattr(o, "name", "") == "tfo"), None)
        if seg.syn and not seg.has_ack:
            if cookie is not None and getattr(cookie, "cookie", b""):
                notes.append("It carries a Fast Open cookie (RFC 7413)" +
                             (", so its data may be delivered before the handshake ends" if seg.payload else ""))
            else:
                notes.append("It asks for a Fast Open cookie (RFC 7413)")
        elif seg.syn:
            notes.append("It hands the client a Fast Open cookie (RFC 7413)")
    if seg.syn and not seg.has_ack:
        if bits & AE and bits & ECE and bits & CWR:
            notes.append("AE, CWR and ECE together ask for Accurate ECN (RFC 9768)")
        elif bits & ECE and bits & CWR:
            notes.append("ECE and CWR ask for classic ECN (RFC 3168)")
    elif seg.syn and seg.has_ack and bits & (AE | ECE | CWR):
        if bits & AE or (bits & CWR):
            notes.append("Its AE/CWR/ECE bits accept Accurate ECN and echo the SYN's IP-ECN field (RFC 9768)")
        else:
            notes.append("ECE alone accepts classic ECN (RFC 3168)")
    return notes


def _note(step: Any, seg: Segment, kind: str, sender: str, receiver: str, before: dict[str, str],
          after: dict[str, str], seq: int, ack: int) -> str:
    parts = [f"{sender} sends {_kind_text(seg, kind)}"]
    if seg.payload:
        parts[0] += f" (seq {seq} to {wrap(seq + len(seg.payload))})"
    if seg.has_ack and kind in ("ACK", "SYN-ACK"):
        parts[0] += f", acknowledging up to {ack}"
    text = parts[0] + "."
    extras = _extras(seg)
    if extras:
        text += " " + ". ".join(extras) + "."
    if step.retransmission:
        text += " It repeats sequence space sent before: a retransmission."
    if step.lost:
        text += f" {receiver} never acknowledged the earlier copy, so it was lost on the way (inferred)."
    if step.note:
        text += f" {receiver} finds it {step.note}."
    changed = [name for name in after if before.get(name) != after.get(name)]
    if changed:
        text += " " + "; ".join(f"{name}: {before.get(name)} → {after[name]}" for name in changed) + "."
    if not seg.checksum_ok:
        text += " (The checksum could not be verified: the capture cut the packet, or it is bad.)"
    return text[:1].upper() + text[1:]


def capture_trace(conn: Any, packets: dict[int, tuple[Any, bytes]], *, file_name: str,
                  endpoint_text: Any) -> dict[str, Any]:
    """The trace of one observed connection.

    ``conn`` is a :class:`synack.replay.observer.Connection` observed with
    ``record=True``; ``packets`` maps packet numbers to ``(CapturedPacket,
    ip_bytes)``; ``endpoint_text`` formats an ``(address, port)`` pair.
    """
    snapshots = conn.snapshots()
    first_us = conn.first_us or 0
    syn_synack, synack_ack = conn.handshake_us()
    rtt_us = syn_synack + synack_ack if syn_synack is not None and synack_ack is not None else None
    one_way = {"server": (syn_synack or 0) // 2, "client": (synack_ack or 0) // 2}
    client_text, server_text = endpoint_text(conn.client_addr), endpoint_text(conn.server_addr)
    if rtt_us is None and conn.data_rtt_us is not None:
        rtt_us = conn.data_rtt_us  # no handshake: the first data and the ACK that covered it
    numbers = RelativeNumbers()
    # Each direction's base is its first SYN or, without one, its first sequence number, known
    # before the first row, so a capture that starts mid-connection shows relative acks at once.
    for step in conn.steps:
        found = packets.get(step.number)
        if found is not None:
            packet = found[0]
            key = (packet.src_ip, packet.segment.src_port, packet.dst_ip, packet.segment.dst_port)
            if key not in numbers.base:
                syn = next((packets[s.number][0].segment.seq for s in conn.steps
                            if s.from_client == step.from_client and s.flags & 0x02 and s.number in packets), None)
                numbers.base[key] = syn if syn is not None else packet.segment.seq
    kinds: list[str] = []
    rows = []
    items: list[dict[str, Any]] = []
    for step in conn.steps:
        found = packets.get(step.number)
        if found is None:
            continue
        packet, ip_bytes = found
        seg = packet.segment
        seq, ack = numbers.relative(packet.src_ip, packet.dst_ip, seg)
        kind = step_kind(seg, "retransmit" if step.retransmission else "")
        kinds.append(kind)
        rows.append((step, packet, ip_bytes, seq, ack))
        items.append({"sender": "client" if step.from_client else "server", "kind": kind, "seq": seq, "ack": ack,
                      "len": len(seg.payload), "lost": step.lost, "syn": seg.syn, "fin": seg.fin,
                      "has_ack": seg.has_ack})
    # The phases as the views draw them for a simulated run (one segment and its copies per row).
    phases, place = phases_of(Conversation(0, [conn.client_addr, conn.server_addr], list(range(len(rows)))),
                              items, ())
    initial = {"client": conn.client.initial or "?", "server": conn.server.initial or "?"}
    steps = []
    events: list[dict[str, Any]] = []
    before = dict(initial)
    for position, (row, kind) in enumerate(zip(rows, kinds, strict=True)):
        step, packet, ip_bytes, seq, ack = row
        phase, role = place[position]
        seg = packet.segment
        sender, receiver = ("client", "server") if step.from_client else ("server", "client")
        states_sent, states = snapshots[step.index]
        sent_us = step.ts_us - first_us
        arrives_us = None if step.lost else sent_us + one_way[receiver]
        for name in ("client", "server"):
            if states_sent[name] != before[name]:
                events.append({"t_us": sent_us, "type": "state", "endpoint": name, "old": before[name],
                               "new": states_sent[name], "cause": "inferred from what it sent"})
        events.append({"t_us": sent_us, "type": "send", "endpoint": sender, "step": position})
        if step.lost:
            events.append({"t_us": sent_us, "type": "drop", "endpoint": sender, "step": position,
                           "reason": "inferred: sent again before it was acknowledged", "lost": True})
        else:
            events.append({"t_us": arrives_us, "type": "deliver", "endpoint": receiver, "step": position})
        for name in ("client", "server"):
            if states[name] != states_sent[name]:
                events.append({"t_us": arrives_us if arrives_us is not None else sent_us, "type": "state",
                               "endpoint": name, "old": states_sent[name], "new": states[name],
                               "cause": "inferred from what it acknowledged"})
        note = _note(step, seg, kind, sender, receiver, before, states, seq, ack)
        steps.append({
            "index": position,
            "connection": 0,
            "phase": phase,
            "role": role,
            "sent_us": sent_us,
            "arrives_us": arrives_us,
            "packet": step.number,
            "segment": {
                "from": sender, "to": receiver,
                "src": client_text if step.from_client else server_text,
                "dst": server_text if step.from_client else client_text,
                "flags": seg.flags.names() + (["AE"] if seg.bits & AE else []),
                "seq": seq, "ack": ack, "abs_seq": seg.seq, "abs_ack": seg.ack,
                "window": seg.window,
                "len": len(seg.payload),
                "options": [o.name for o in seg.options],
                "options_detail": [{"name": o.name, "text": o.describe()} for o in seg.options],
                "lost": step.lost,
                "lost_reason": "inferred: sent again before it was acknowledged" if step.lost else None,
                "reason": "retransmit" if step.retransmission else "",
                "tcpdump": tcpdump_text(seg, seq, ack),
                "ip_hex": ip_bytes.hex(),
                "truncated": packet.truncated,
            },
            "states_sent": states_sent,
            "states": states,
            "note": note,
        })
        before = dict(states)
    final = conn.final_states()
    ended = conn.how_it_ended()
    summary = {
        "ended": ended,
        "segments": len(steps),
        "lost": sum(1 for s in steps if s["segment"]["lost"]),
        "client_final_state": final["client"],
        "server_final_state": final["server"],
        "bytes_client_to_server": conn.bytes_sent(conn.client),
        "bytes_server_to_client": conn.bytes_sent(conn.server),
        "syn_to_synack_us": syn_synack,
        "synack_to_ack_us": synack_ack,
    }
    rtt_text = f"handshake RTT {rtt_us / 1000:g} ms" if rtt_us is not None else "no handshake in the capture"
    return {
        "format": FORMAT_VERSION,
        "scenario": "capture",
        "title": f"{client_text} → {server_text} (connection {conn.number} of {file_name})",
        "summary_line": f"{ended}; {rtt_text}; {summary['bytes_client_to_server']} bytes to the server, "
                        f"{summary['bytes_server_to_client']} back; ends {final['client']} / {final['server']}.",
        "explanation": EXPLANATION,
        "profile": "capture",
        "rtt_us": rtt_us,
        "loss": 0.0,
        "seed": 0,
        "params": {},
        "param_specs": [],
        "time_wait_us": conn.time_wait_us,
        "duration_us": conn.last_us - first_us,
        "endpoints": [
            {"name": "client", "ip": client_text.rsplit(":", 1)[0].strip("[]"), "port": conn.client_addr[1],
             "tcp": True, "initial_state": initial["client"]},
            {"name": "server", "ip": server_text.rsplit(":", 1)[0].strip("[]"), "port": conn.server_addr[1],
             "tcp": True, "initial_state": initial["server"]},
        ],
        "phases": [{"label": ph.label, "connection": 0, "from": ph.sender, "kind": ph.kind} for ph in phases],
        "steps": steps,
        "events": events,
        "summary": summary,
        "final_states": final,
        "time_wait_until_us": {name: t - first_us for name, t in conn.time_wait_until().items()},
        "capture": {"file": file_name, "connection": conn.number, "start_us": first_us,
                    "packets": [s["packet"] for s in steps]},
    }
