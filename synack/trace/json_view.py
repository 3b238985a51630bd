"""A run as the JSON trace of ``docs/trace-format.md``: the one stream every other view reads.

Here the raw records of a run (segments on the wire, engine events) become
connections (:mod:`synack.trace.connections`), each with its own phases and
its two ends' states, and steps with Wireshark-style relative sequence
numbers, the numbers tcpdump prints, a one-sentence note each, and the
encoded bytes of every segment (so pcap export and the page's inspector show
the real packet).
"""

from __future__ import annotations

from typing import Any

from ..tcp.segment import Segment
from ..tcp.seq import wrap
from ..wire.codec import encode_ipv4
from .connections import Address, Conversation, Socket, StateBook, phases_of, split_connections, step_kind

FORMAT_VERSION = 1


# ----------------------------------------------------------------- numbering
class RelativeNumbers:
    """Wireshark's relative sequence numbers: per direction of a 4-tuple, from that direction's ISN.

    The trace keeps one per connection (:mod:`synack.trace.connections`).

    The base is the first SYN's sequence number in that direction, or the first
    sequence number seen when no SYN came first.  A later SYN (a retransmission,
    or a forged one) does not move it, unless a new socket sent it
    (``new_socket``): a listener's new child answering the same SYN with its own ISN.
    """

    def __init__(self) -> None:
        self.base: dict[tuple[str, int, str, int], int] = {}
        self.syn_seen: set[tuple[str, int, str, int]] = set()
        self.ended: set[tuple[str, int, str, int]] = set()  # directions that sent FIN or RST

    def relative(self, src_ip: str, dst_ip: str, seg: Segment, new_socket: bool = False) -> tuple[int, int]:
        key = (src_ip, seg.src_port, dst_ip, seg.dst_port)
        reverse = (dst_ip, seg.dst_port, src_ip, seg.src_port)
        if seg.syn and not seg.has_ack and (key in self.ended or reverse in self.ended):
            # A SYN on a 4-tuple whose connection ended starts a new one: new bases both ways.
            for k in (key, reverse):
                self.base.pop(k, None)
                self.syn_seen.discard(k)
                self.ended.discard(k)
        if key not in self.base or (seg.syn and (key not in self.syn_seen or new_socket)):
            self.base[key] = seg.seq
        if seg.syn:
            self.syn_seen.add(key)
        if seg.fin or seg.rst:
            self.ended.add(key)
        seq = wrap(seg.seq - self.base[key])
        if not seg.has_ack:
            ack = 0
        elif reverse in self.base:
            ack = wrap(seg.ack - self.base[reverse])
        else:
            ack = seg.ack
        return seq, ack


class TcpdumpNumbers:
    """The numbers ``tcpdump -n`` prints (its print-tcp.c), rather than Wireshark's.

    Only segments with ACK take part: the first of a conversation, and every
    SYN-ACK (a new conversation), print absolute numbers and set the bases
    (its seq, and its ack - 1, both ways); later ones print seq and ack minus
    those bases.  A segment without ACK (a SYN, a bare RST) prints its
    absolute sequence number.
    """

    def __init__(self) -> None:
        self.bases: dict[tuple[tuple[str, int], tuple[str, int]], tuple[int, int]] = {}

    def printed(self, src_ip: str, dst_ip: str, seg: Segment) -> tuple[int, int]:
        if not seg.has_ack:
            return seg.seq, seg.ack
        src, dst = (src_ip, seg.src_port), (dst_ip, seg.dst_port)
        if (src, dst) in self.bases and not seg.syn:
            seq_base, ack_base = self.bases[(src, dst)]
            return wrap(seg.seq - seq_base), wrap(seg.ack - ack_base)
        ack_base = wrap(seg.ack - 1)
        self.bases[(src, dst)] = (seg.seq, ack_base)
        self.bases[(dst, src)] = (ack_base, seg.seq)
        return seg.seq, seg.ack


def tcpdump_text(seg: Segment, seq: int, ack: int) -> str:
    """The part of a tcpdump line after the addresses, with the numbers given."""
    parts = [f"Flags [{seg.flags.tcpdump()}]"]
    n = len(seg.payload)
    if n or seg.syn or seg.fin or seg.rst:
        parts.append(f"seq {seq}:{wrap(seq + n)}" if n else f"seq {seq}")
    if seg.has_ack:
        parts.append(f"ack {ack}")
    parts.append(f"win {seg.window}")
    if seg.options:
        parts.append("options [" + ",".join(o.describe() for o in seg.options) + "]")
    parts.append(f"length {n}")
    return ", ".join(parts)


# --------------------------------------------------------------------- notes
def _rtts(us: int, rtt: int) -> str:
    value = us / rtt
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} RTT" if text != "1" else "1 RTT"


def _ms(us: int) -> str:
    if us >= 1_000_000:
        return f"{us / 1_000_000:g} s"
    if us >= 1000:
        return f"{us / 1000:g} ms"
    return f"{us} µs"


def make_note(step, kind: str, seq: int, ack: int, before: dict[str, str], after: dict[str, str],
              run, receiver: str) -> str:
    seg: Segment = step.segment
    who, to = step.sender, receiver
    rtt = run.rtt_us
    t = step.sent_us
    n = len(seg.payload)
    reason = step.reason
    lost = f" It is lost on the wire ({step.lost_reason})." if step.lost_reason else ""
    again = reason == "retransmit"
    changed = [name for name in after if before.get(name) != after.get(name)]
    change_text = ""
    if changed and not step.lost_reason:
        change_text = " " + "; ".join(f"{name}: {before.get(name)} → {after[name]}" for name in changed) + "."
    if kind.startswith("spoofed"):
        claimed = f"{step.src_ip}:{seg.src_port}"
        what = {"ACK": "an ACK", "RST": "an RST", "data": "a data segment"}.get(kind[8:], f"a {kind[8:]}")
        return (f"A third party forges {what} claiming to come from {claimed} "
                f"(seq {seg.seq}).{lost}{change_text}").strip()
    if kind == "SYN":
        if again:
            return (f"No answer yet, so {who} sends its SYN again at {_ms(t)}, after the retransmission timeout."
                    f"{lost}{change_text}")
        data = f" with {n} bytes of data (Fast Open)" if n else ""
        tfo = ""
        if any(o.name == "tfo" for o in seg.options):
            tfo = " and a Fast Open cookie" if not n and any(getattr(o, "cookie", b"") for o in seg.options) else \
                (" and asks for a Fast Open cookie" if not n else "")
        return (f"{who} opens the connection: a SYN{data} carrying its initial sequence number and its options{tfo}."
                f"{lost}{change_text}")
    if kind == "SYN-ACK":
        if again:
            return f"{who} resends its SYN-ACK: the handshake's ACK has not come.{lost}{change_text}"
        if reason == "syn-ack-cookie":
            return (f"{who} answers with a SYN cookie as its ISN and keeps no state for this connection."
                    f"{lost}{change_text}")
        acked_data = f", including the {ack - 1} bytes of data in it" if ack > 1 else ""
        return (f"{who} answers with its own initial sequence number and acknowledges the SYN (ack {ack})"
                f"{acked_data}.{lost}{change_text}")
    if kind == "RST":
        if reason == "rst" and before.get(who) in (None, "CLOSED", "LISTEN") and not step.lost_reason:
            return f"{who} has no connection for this segment, so it answers with a reset.{lost}{change_text}"
        return f"{who} resets the connection: it is dropped at once, with no FIN and no TIME_WAIT.{lost}{change_text}"
    if kind == "FIN":
        data = f" together with {n} bytes of data" if n else ""
        if again:
            return f"{who} sends its FIN again: it was not acknowledged within the timeout.{lost}{change_text}"
        return f"{who} has nothing more to send: its FIN{data} closes its direction of the stream.{lost}{change_text}"
    if kind == "keepalive":
        return (f"{who} has heard nothing for a while and probes: an ACK one byte behind, which the peer must answer."
                f"{lost}{change_text}")
    if kind == "challenge ACK":
        return (f"{who} answers the suspicious segment with a challenge ACK of where the connection really is "
                f"(RFC 5961).{lost}{change_text}")
    if kind == "data":
        if reason == "pmtu-retransmit":
            return (f"{who} resends {n} bytes (seq {seq} to {seq + n}) in a smaller segment: ICMP said the path "
                    f"cannot carry the larger one.{lost}{change_text}")
        if again:
            return f"{who} retransmits {n} bytes that were not acknowledged in time.{lost}{change_text}"
        first = " It may send as soon as the SYN-ACK arrived: one round trip, before the server is even ESTABLISHED." \
            if before.get(who) == "ESTABLISHED" and t <= rtt and who != "server" and seq == 1 else ""
        return f"{who} sends {n} bytes (seq {seq} to {seq + n}) at {_rtts(t, rtt)}.{first}{lost}{change_text}"
    # A pure ACK.
    if after.get(to) == "ESTABLISHED" and before.get(to) == "SYN_RECEIVED" and not step.lost_reason:
        return (f"{who} acknowledges the SYN-ACK and may send data now, at {_rtts(t, rtt)}; {to} only becomes "
                f"ESTABLISHED when this ACK arrives, at {_rtts(step.arrives_us, rtt)}, and no byte of data has "
                f"moved yet.")
    if after.get(who) == "TIME_WAIT" and (after.get(to) == "CLOSED" or step.lost_reason):
        tw = _ms(run.profile.time_wait_us)
        if step.lost_reason:
            return (f"{who} acknowledges the last FIN and waits in TIME_WAIT for {tw}; this ACK is lost, so "
                    f"{to} will send its FIN again and TIME_WAIT is there to answer it.")
        return (f"{who} acknowledges the last FIN and stays in TIME_WAIT for {tw} in case that ACK is lost, "
                f"while {to} is already CLOSED.")
    if reason == "delayed-ack":
        return f"{who}'s delayed-ACK timer fires and the ACK goes out on its own (ack {ack}).{lost}{change_text}"
    if reason == "dup-ack":
        return f"{who} repeats its ACK (ack {ack}): the segment it got was not the one it expected.{lost}{change_text}"
    if reason == "window-update":
        return f"{who} tells the peer its receive window reopened.{lost}{change_text}"
    return f"{who} acknowledges everything up to {ack}.{lost}{change_text}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------- connections
def _end_names(steps, conns: list[Conversation], by_ip: dict[str, str]) -> dict[tuple[str, int], str]:
    """A name for every address: its host's, or for a forged address the name of the host that forged it."""
    names: dict[tuple[str, int], str] = {}
    for step in steps:
        src = (step.src_ip, step.segment.src_port)
        if src not in names:
            names[src] = by_ip.get(step.src_ip) or step.sender
    for conn in conns:
        for end in conn.ends:
            names.setdefault(end, by_ip.get(end[0], end[0]))
    return names


def _connection_entry(conn: Conversation, phases, base: int, book: StateBook, names, steps,
                      by_ip_tcp: dict[str, str], reuses: int | None) -> dict[str, Any]:
    last = conn.steps[-1]
    end_pos = max(max(book.deliver_pos.get(i, -1), book.send_pos.get(i, -1)) for i in conn.steps)
    end_us = max((steps[i].arrives_us if steps[i].arrives_us is not None and not steps[i].lost_reason
                  else steps[i].sent_us) for i in conn.steps)
    initial = book.initial(conn, names)
    final = book.states(conn, end_pos, names)
    ends = []
    for ip, port in conn.ends:
        name = names[(ip, port)]
        sent = [steps[i].segment for i in conn.steps if (steps[i].src_ip, steps[i].segment.src_port) == (ip, port)]
        isn = next((seg.seq for seg in sent if seg.syn), None)
        # SND.NXT once everything it sent is counted: how far this end used its sequence space.
        reach = max((wrap(seg.seq - isn) + seg.seg_len for seg in sent), default=0) if isn is not None \
            else 0
        ends.append({"name": name, "ip": ip, "port": port, "tcp": ip in by_ip_tcp,
                     **({"initial_state": initial[name]} if name in initial else {}),
                     "isn": isn, "next_seq": wrap(isn + reach) if isn is not None else None})
    left, right = ends
    return {
        "id": conn.id,
        "label": f"{left['name']} {left['ip']}:{left['port']} ↔ {right['name']} {right['ip']}:{right['port']}",
        "ends": ends,
        "steps": list(conn.steps),
        "phases": [base + i for i in range(len(phases))],
        "initial_states": initial,
        "final_states": final,
        "end_us": end_us,
        "last_step": last,
        "reuses": reuses,
    }


# ---------------------------------------------------------------------- trace
def discards(events: list[dict[str, Any]]) -> dict[tuple[int, str], str]:
    """(step, receiver) -> why the receiving endpoint threw that segment away (a full SYN queue, ...)."""
    return {(e["step"], e["endpoint"]): e["reason"] for e in events
            if e["type"] == "drop" and "step" in e and not e.get("lost") and "segment" in e}


def trace_json(run) -> dict[str, Any]:
    rec = run.recorder
    if rec is None:
        raise ValueError("this run was made with tracing off")
    scenario = run.scenario
    by_ip = {h.ip: name for name, h in run.hosts.items()}
    tcp_names = [h.name for h in rec.tcp_hosts]
    first_send = next((i for i, e in enumerate(rec.events) if e["type"] == "send"), len(rec.events))
    listening_early = {e["endpoint"] for e in rec.events[:first_send]
                       if e["type"] == "state" and e.get("new") == "LISTEN"}
    endpoints = []
    for name, host in run.hosts.items():
        conn = host.all_connections[0] if host.all_connections else None
        port = conn.local[1] if conn else (next(iter(host.listeners)) if host.listeners else None)
        entry = {"name": name, "ip": host.ip, "port": port, "tcp": name in tcp_names}
        if name in tcp_names:
            entry["initial_state"] = "LISTEN" if name in listening_early else "CLOSED"
        endpoints.append(entry)

    by_ip_tcp = {run.hosts[name].ip: name for name in tcp_names}
    dropped = discards(rec.events)

    def discarded(index: int, receiver: str) -> str:
        reason = dropped.get((index, receiver))
        return f" The {receiver} discards it: {reason}." if reason else ""

    dump_numbers = TcpdumpNumbers()
    ip_ids: dict[str, int] = {}
    segments = [((st.src_ip, st.segment.src_port), (st.dst_ip, st.segment.dst_port), st.segment) for st in rec.steps]
    book = StateBook(rec.events, by_ip_tcp)
    conn_of, conns, owner = split_connections(segments, book.senders(len(segments)))
    book.attach(conns, owner)
    end_names = _end_names(rec.steps, conns, by_ip)

    # Relative numbers per connection: an old socket still sending on a reused 4-tuple keeps its own bases.
    numbers = [RelativeNumbers() for _ in conns]
    socket_at: dict[tuple[int, Address], Socket] = {}  # (connection, address) -> the socket that last sent from it
    kinds, raw_steps, items = [], [], []
    for step, (src, _dst, seg) in zip(rec.steps, segments, strict=True):
        cid = conn_of[step.index]
        sock = book.sender.get(step.index)
        new_socket = sock is not None and socket_at.setdefault((cid, src), sock) != sock
        if sock is not None:
            socket_at[(cid, src)] = sock
        seq, ack = numbers[cid].relative(step.src_ip, step.dst_ip, seg, new_socket)
        kind = step_kind(seg, step.reason)
        kinds.append(kind)
        raw_steps.append((step, seq, ack))
        items.append({"sender": end_names[src], "kind": kind, "seq": seq, "ack": ack, "len": len(seg.payload),
                      "lost": step.lost_reason is not None, "syn": seg.syn, "fin": seg.fin,
                      "has_ack": seg.has_ack})
    phases: list[dict[str, Any]] = []
    place: dict[int, tuple[int, str]] = {}
    connections = []
    for conn in conns:
        fixed = scenario.phases if conn.id == 0 else ()
        conn_phases, roles = phases_of(conn, items, fixed)
        base = len(phases)
        for i, (p, role) in roles.items():
            place[i] = (base + p, role)
        phases.extend({"label": ph.label, "connection": conn.id, "from": ph.sender, "kind": ph.kind}
                      for ph in conn_phases)
        earlier = [c.id for c in conns[:conn.id] if set(c.ends) == set(conn.ends)]
        connections.append(_connection_entry(conn, conn_phases, base, book, end_names, rec.steps, by_ip_tcp,
                                             earlier[-1] if earlier else None))

    # What boxes on the path did to a step: a rewrite, or an ICMP answer to a packet too big.
    on_path: dict[int, str] = {}
    for e in rec.events:
        if e["type"] == "rewrite" and e.get("step") is not None:
            on_path[e["step"]] = f" On the way, {e['description']}."
        elif e["type"] == "icmp" and e.get("step") is not None:
            on_path[e["step"]] = (f" The gateway answers with ICMP 'fragmentation needed': packets up to "
                                  f"{e['mtu']} bytes fit.")
    steps = []
    before_of: dict[int, dict[str, str]] = {c.id: dict(c_entry["initial_states"])
                                            for c, c_entry in zip(conns, connections, strict=True)}
    for (step, seq, ack), kind in zip(raw_steps, kinds, strict=True):
        seg = step.segment
        conn = conns[conn_of[step.index]]
        receiver = by_ip.get(step.dst_ip, step.dst_ip)
        send_pos = book.send_pos.get(step.index, 0)
        states_sent = book.states(conn, send_pos, end_names)
        after = book.states(conn, book.deliver_pos.get(step.index, send_pos), end_names) \
            if not step.lost_reason else dict(states_sent)
        ip_ids[step.src_ip] = ip_ids.get(step.src_ip, 0) + 1
        packet = encode_ipv4(step.src_ip, step.dst_ip, seg, ip_id=ip_ids[step.src_ip] & 0xFFFF)
        dump_seq, dump_ack = dump_numbers.printed(step.src_ip, step.dst_ip, seg)
        phase, role = place[step.index]
        before = before_of[conn.id]
        steps.append({
            "index": step.index,
            "connection": conn.id,
            "phase": phase,
            "role": role,
            "sent_us": step.sent_us,
            "arrives_us": step.arrives_us,
            "segment": {
                "from": step.sender, "to": receiver,
                "src": f"{step.src_ip}:{seg.src_port}", "dst": f"{step.dst_ip}:{seg.dst_port}",
                "flags": seg.flags.names(),
                "seq": seq, "ack": ack, "abs_seq": seg.seq, "abs_ack": seg.ack,
                "window": seg.window,
                "len": len(seg.payload),
                "options": [o.name for o in seg.options],
                "options_detail": [{"name": o.name, "text": o.describe()} for o in seg.options],
                "lost": step.lost_reason is not None,
                "lost_reason": step.lost_reason,
                "reason": step.reason,
                "tcpdump": tcpdump_text(seg, dump_seq, dump_ack),
                "tcpdump_absolute": tcpdump_text(seg, seg.seq, seg.ack),
                "ip_hex": packet.hex(),
            },
            "states_sent": states_sent,
            "states": after,
            "note": _sentence(make_note(step, kind, seq, ack, before, after, run, receiver)
                              + discarded(step.index, receiver))
            + on_path.get(step.index, ""),
        })
        before_of[conn.id] = dict(after)

    summary = dict(run.summary)
    figures = list(run.summary)  # what the scenario measured, before the keys every run gets
    for name in tcp_names:
        est = next((e["t_us"] for e in rec.events if e["endpoint"] == name and e["type"] == "state"
                    and e.get("new") == "ESTABLISHED" and e.get("primary")), None)
        if est is not None:
            summary[f"{name}_established_rtt"] = round(est / run.rtt_us, 3)
        delivered = sum(e.get("nbytes", 0) for e in rec.events if e["endpoint"] == name and e["type"] == "data")
        summary[f"{name}_bytes_received"] = delivered
        summary[f"{name}_final_state"] = run.hosts[name].display_state.value
    summary["segments"] = len(steps)
    if rec.truncated:
        summary["trace_truncated"] = True  # the featured connection went on; its first steps are shown
    summary["lost"] = sum(1 for s in steps if s["segment"]["lost"])

    return {
        "format": FORMAT_VERSION,
        "scenario": scenario.name,
        "title": scenario.title,
        "summary_line": scenario.summary_line,
        "explanation": scenario.explanation,
        "profile": run.profile.name,
        "rtt_us": run.rtt_us,
        "loss": run.loss,
        "seed": run.seed,
        "params": {k: v for k, v in run.params.items()},
        "param_specs": scenario.param_specs,
        "time_wait_us": run.profile.time_wait_us,
        "duration_us": run.duration_us,
        "endpoints": endpoints,
        "phases": phases,
        "connections": connections,
        "steps": steps,
        "events": rec.events,
        "summary": summary,
        "figures": figures,
        # The connections a crowd scenario traces (the rest are counted in "crowd"); empty: all of them.
        "featured": [{"a": f"{a[0]}:{a[1]}", "b": f"{b[0]}:{b[1]}"} for a, b in rec.featured_pairs],
        "crowd": run.crowd,
    }
