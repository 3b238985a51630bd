"""A run as the JSON trace of ``docs/trace-format.md``: the one stream every other view reads.

Here the raw records of a run (segments on the wire, engine events) become
steps with Wireshark-style relative sequence numbers, ladder phases, a
one-sentence note each, and the encoded bytes of every segment (so pcap
export and the page's inspector show the real packet).
"""

from __future__ import annotations

from typing import Any

from ..tcp.segment import Segment
from ..wire.codec import encode_ipv4

FORMAT_VERSION = 1


# ----------------------------------------------------------------- numbering
class RelativeNumbers:
    """Wireshark's relative sequence numbers: per direction of a 4-tuple, from that direction's ISN.

    The base is the first SYN's sequence number in that direction, or the first
    sequence number seen when no SYN came first.  A later SYN (a retransmission,
    or a forged one) does not move it.
    """

    def __init__(self) -> None:
        self.base: dict[tuple[str, int, str, int], int] = {}
        self.syn_seen: set[tuple[str, int, str, int]] = set()
        self.ended: set[tuple[str, int, str, int]] = set()  # directions that sent FIN or RST

    def relative(self, src_ip: str, dst_ip: str, seg: Segment) -> tuple[int, int]:
        key = (src_ip, seg.src_port, dst_ip, seg.dst_port)
        reverse = (dst_ip, seg.dst_port, src_ip, seg.src_port)
        if seg.syn and not seg.has_ack and (key in self.ended or reverse in self.ended):
            # A SYN on a 4-tuple whose connection ended starts a new one: new bases both ways.
            for k in (key, reverse):
                self.base.pop(k, None)
                self.syn_seen.discard(k)
                self.ended.discard(k)
        if key not in self.base or (seg.syn and key not in self.syn_seen):
            self.base[key] = seg.seq
        if seg.syn:
            self.syn_seen.add(key)
        if seg.fin or seg.rst:
            self.ended.add(key)
        seq = (seg.seq - self.base[key]) & 0xFFFFFFFF
        if not seg.has_ack:
            ack = 0
        elif reverse in self.base:
            ack = (seg.ack - self.base[reverse]) & 0xFFFFFFFF
        else:
            ack = seg.ack
        return seq, ack


def tcpdump_text(seg: Segment, seq: int, ack: int) -> str:
    """The part of a tcpdump line after the addresses, with relative numbers."""
    parts = [f"Flags [{seg.flags.tcpdump()}]"]
    n = len(seg.payload)
    if n or seg.syn or seg.fin or seg.rst or not seg.has_ack:
        parts.append(f"seq {seq}:{(seq + n) & 0xFFFFFFFF}" if n else f"seq {seq}")
    if seg.has_ack:
        parts.append(f"ack {ack}")
    parts.append(f"win {seg.window}")
    if seg.options:
        parts.append("options [" + ",".join(o.describe() for o in seg.options) + "]")
    parts.append(f"length {n}")
    return ", ".join(parts)


# -------------------------------------------------------------------- phases
def step_kind(seg: Segment, reason: str) -> str:
    if reason == "spoofed":
        return "spoofed " + step_kind(seg, "")
    if seg.rst:
        return "RST"
    if seg.syn:
        return "SYN-ACK" if seg.has_ack else "SYN"
    if seg.fin:
        return "FIN"
    if reason == "keepalive":
        return "keepalive"
    if reason == "challenge-ack":
        return "challenge ACK"
    if seg.payload:
        return "data"
    return "ACK"


def assign_phases(kinds: list[str], fixed: tuple[str, ...]) -> tuple[list[str], list[int]]:
    """Group steps into ladder rows; with ``fixed`` rows, map each step to the next row of its kind."""
    if fixed:
        row_kinds = [label.split(" ", 1)[1] if " " in label else label for label in fixed]
        phases, current = [], 0
        previous = None
        for kind in kinds:
            if kind == "ACK" and previous in ("data", "keepalive"):
                phases.append(current)  # the ACK of data belongs with the data
                continue
            previous = kind
            for j in range(current, len(row_kinds)):
                if row_kinds[j] == kind:
                    current = j
                    break
            phases.append(current)
        return list(fixed), phases
    labels: list[str] = []
    phases = []
    for kind in kinds:
        last = labels[-1].split(" ", 1)[1] if labels else None
        if last == kind or (kind == "ACK" and last in ("data", "keepalive")):
            phases.append(len(labels) - 1)
            continue
        labels.append(f"{len(labels) + 1:02d} {kind}")
        phases.append(len(labels) - 1)
    return labels, phases


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


# ---------------------------------------------------------------------- trace
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
    initial = {e["name"]: e["initial_state"] for e in endpoints if e["tcp"]}

    numbers = RelativeNumbers()
    ip_ids: dict[str, int] = {}
    kinds, raw_steps = [], []
    for step in rec.steps:
        seg = step.segment
        seq, ack = numbers.relative(step.src_ip, step.dst_ip, seg)
        kinds.append(step_kind(seg, step.reason))
        raw_steps.append((step, seq, ack))
    labels, phase_of = assign_phases(kinds, scenario.phases)

    # What boxes on the path did to a step: a rewrite, or an ICMP answer to a packet too big.
    on_path: dict[int, str] = {}
    for e in rec.events:
        if e["type"] == "rewrite" and e.get("step") is not None:
            on_path[e["step"]] = f" On the way, {e['description']}."
        elif e["type"] == "icmp" and e.get("step") is not None:
            on_path[e["step"]] = (f" The gateway answers with ICMP 'fragmentation needed': packets up to "
                                  f"{e['mtu']} bytes fit.")
    steps = []
    before = dict(initial)
    for (step, seq, ack), kind, phase in zip(raw_steps, kinds, phase_of, strict=True):
        seg = step.segment
        receiver = by_ip.get(step.dst_ip, step.dst_ip)
        after = step.states or step.states_sent
        ip_ids[step.src_ip] = ip_ids.get(step.src_ip, 0) + 1
        packet = encode_ipv4(step.src_ip, step.dst_ip, seg, ip_id=ip_ids[step.src_ip] & 0xFFFF)
        steps.append({
            "index": step.index,
            "phase": phase,
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
                "tcpdump": tcpdump_text(seg, seq, ack),
                "ip_hex": packet.hex(),
            },
            "states_sent": step.states_sent,
            "states": after,
            "note": _sentence(make_note(step, kind, seq, ack, before, after, run, receiver))
            + on_path.get(step.index, ""),
        })
        before = dict(after)

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
        "phases": [{"label": label} for label in labels],
        "steps": steps,
        "events": rec.events,
        "summary": summary,
        "figures": figures,
        # The connections a crowd scenario traces (the rest are counted in "crowd"); empty: all of them.
        "featured": [{"a": f"{a[0]}:{a[1]}", "b": f"{b[0]}:{b[1]}"} for a, b in rec.featured_pairs],
        "crowd": run.crowd,
    }
