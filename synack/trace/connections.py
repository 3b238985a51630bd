"""A run's segments split into connections, each with its own phases and its own two ends' states.

A connection is a 4-tuple's life from its opening SYN to its end: a SYN on a
4-tuple whose earlier connection sent a FIN or RST starts a new one (the
`time_wait` scenario reuses its port), as Wireshark's stream index does.

Phases (RFC 9293 3.5 and 3.6 name the segments of a connection's life): a
phase is one segment in one direction, identified by its sender, its kind and
where it sits in the sequence space (a SYN, the data starting at byte n, the
FIN at n, the ACK of the peer's SYN or FIN).  Every copy of that segment on
the wire belongs to the phase: its first successful delivery is the phase's
row (``role`` ``first``), retransmissions and lost copies are ``copy`` rows,
and a pure ACK of data is the ``answer`` of the data it acknowledges.

States: each end's state is read from the engine's own ``state`` events of
that socket (tagged with the socket by :mod:`synack.sim.host`), replayed in
the order things happened, so a snapshot taken at a step's ``send`` event
shows exactly what held when the segment left, and one at its ``deliver``
event what held once the receiver had processed it.  Before an end has a
socket for the connection it shows its listener's state on that port
(LISTEN), or CLOSED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..tcp.segment import Segment
from ..tcp.seq import wrap

Address = tuple[str, int]

#: Kinds whose copies are told apart by their sequence number (a retransmission keeps it).
_BY_SEQ = ("data", "FIN", "RST", "keepalive")


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


def label_kind(label: str) -> str:
    """``"05 FIN"`` -> ``"FIN"``; a label without a number is its own kind."""
    head, _, rest = label.partition(" ")
    return rest if head.isdigit() and rest else label


# --------------------------------------------------------------- connections
@dataclass
class Conversation:
    """One connection as the views see it: its two addresses (opener first) and its steps."""

    id: int
    ends: list[Address]
    steps: list[int] = field(default_factory=list)
    first_send_pos: int = -1


Socket = tuple[str, int]  # (host name, the host's serial for the socket)


def split_connections(segments: list[tuple[Address, Address, Segment]],
                      senders: list[Socket | None] | None = None,
                      ) -> tuple[list[int], list[Conversation], dict[Socket, int]]:
    """Each step's connection id, the connections in order of their first segment, and each socket's.

    ``senders[i]`` names the socket that sent step ``i`` when the recording
    knows it: a socket's segments always belong to its own connection, and a
    second socket of the same host on the 4-tuple starts a new one (a client
    that reconnects from the same port while its old socket still retransmits),
    unless its first segment is a SYN-ACK of the SYN that opened this one: a
    listener's new child answering a retransmitted SYN after the old child gave
    up is the same connection to the opener, which never started again.
    Without it, a new SYN on a 4-tuple whose connection sent a FIN or RST does.
    """
    current: dict[frozenset[Address], int] = {}
    ended: set[frozenset[Address]] = set()
    conns: list[Conversation] = []
    conn_of: list[int] = []
    owner: dict[Socket, int] = {}
    socket_of: dict[tuple[int, str], int] = {}  # (connection, host) -> its socket's serial
    first_syn: dict[tuple[int, Address], int] = {}  # (connection, sender) -> the seq of its SYN
    syn_len: dict[tuple[int, Address], int] = {}  # (connection, sender) -> its SYN's length in sequence space

    def answers_syn(cid: int, dst: Address, seg: Segment) -> bool:
        """Whether ``seg`` is a SYN-ACK acknowledging the SYN ``dst`` opened connection ``cid`` with."""
        if not (seg.syn and seg.has_ack) or (cid, dst) not in first_syn:
            return False
        return 0 < wrap(seg.ack - first_syn[(cid, dst)]) <= syn_len[(cid, dst)]

    def start(key: frozenset[Address], src: Address, dst: Address) -> int:
        current[key] = len(conns)
        ended.discard(key)
        conns.append(Conversation(len(conns), [src, dst]))
        return current[key]

    for i, (src, dst, seg) in enumerate(segments):
        key = frozenset((src, dst))
        fresh_syn = seg.syn and not seg.has_ack
        sock = senders[i] if senders else None
        cid = owner.get(sock) if sock is not None else None
        if cid is None:
            cid = current.get(key)
            if cid is None:
                cid = start(key, src, dst)
            elif sock is not None:
                if socket_of.get((cid, sock[0]), sock[1]) != sock[1] and not answers_syn(cid, dst, seg):
                    cid = start(key, src, dst)
            elif fresh_syn and key in ended and first_syn.get((cid, src), seg.seq) != seg.seq:
                cid = start(key, src, dst)
            if sock is not None:
                owner[sock] = cid
                socket_of[(cid, sock[0])] = sock[1]
        conn = conns[cid]
        if fresh_syn and (cid, src) not in first_syn:
            if not any((cid, end) in first_syn for end in conn.ends):
                conn.ends = [src, dst]  # the opener on the left, even if the peer spoke first
            first_syn[(cid, src)] = seg.seq
            syn_len[(cid, src)] = seg.seg_len
        if seg.fin or seg.rst:
            ended.add(key)
        conn.steps.append(i)
        conn_of.append(cid)
    return conn_of, conns, owner


# -------------------------------------------------------------------- states
@dataclass
class _Socket:
    host: str
    local: Address
    remote: Address
    first_old: str
    changes: list[tuple[int, str]] = field(default_factory=list)  # (event position, new state)


def _addr(text: str) -> Address:
    ip, port = text.rsplit(":", 1)
    return ip, int(port)


class StateBook:
    """Every socket's state over the run, read from the recorded events in order."""

    def __init__(self, events: list[dict[str, Any]], host_of_ip: dict[str, str]) -> None:
        self.host_of_ip = host_of_ip
        self.sockets: dict[tuple[str, int], _Socket] = {}
        self.listeners: dict[tuple[str, int], list[tuple[int, str]]] = {}
        self.send_pos: dict[int, int] = {}
        self.deliver_pos: dict[int, int] = {}
        self.sender: dict[int, Socket] = {}  # step -> the socket that sent it, when recorded
        for pos, e in enumerate(events):
            kind = e["type"]
            if kind == "state":
                if "socket" in e:
                    key = (e["endpoint"], e["socket"])
                    sock = self.sockets.get(key)
                    if sock is None:
                        sock = self.sockets[key] = _Socket(e["endpoint"], _addr(e["local"]), _addr(e["remote"]),
                                                           e["old"])
                    sock.changes.append((pos, e["new"]))
                elif "listener" in e:
                    self.listeners.setdefault((e["endpoint"], e["listener"]), []).append((pos, e["new"]))
            elif kind == "send" and "step" in e:
                self.send_pos.setdefault(e["step"], pos)
                if "socket" in e:
                    self.sender[e["step"]] = (e["endpoint"], e["socket"])
            elif kind == "deliver" and "step" in e and not e.get("duplicate"):
                self.deliver_pos.setdefault(e["step"], pos)
        self.owner: dict[tuple[int, str], list[_Socket]] = {}  # (connection, host) -> its sockets

    def senders(self, steps: int) -> list[Socket | None]:
        return [self.sender.get(i) for i in range(steps)]

    def attach(self, conns: list[Conversation], owner: dict[Socket, int] | None = None) -> None:
        """Give each socket to the connection it belongs to.

        A socket that sent a segment belongs to that segment's connection
        (``owner``).  Otherwise an active open (its first change leaves CLOSED)
        belongs to the next connection on its 4-tuple to start, and a socket
        born from a listener to the latest one already started.
        """
        owner = owner or {}
        by_tuple: dict[frozenset[Address], list[Conversation]] = {}
        for c in conns:
            c.first_send_pos = self.send_pos.get(c.steps[0], -1)
            by_tuple.setdefault(frozenset(c.ends), []).append(c)
        for key, sock in self.sockets.items():
            if key in owner:
                self.owner.setdefault((owner[key], sock.host), []).append(sock)
                continue
            candidates = by_tuple.get(frozenset((sock.local, sock.remote)), [])
            if not candidates:
                continue
            born = sock.changes[0][0]
            if sock.first_old == "CLOSED":
                later = [c for c in candidates if c.first_send_pos > born]
                chosen = later[0] if later else candidates[-1]
            else:
                earlier = [c for c in candidates if c.first_send_pos < born]
                chosen = earlier[-1] if earlier else candidates[0]
            self.owner.setdefault((chosen.id, sock.host), []).append(sock)

    def _listener_state(self, host: str, port: int, pos: int, born_from: str | None = None) -> str:
        """The listener's state on ``port``; without its events (a crowd run records none), what the
        connection's own socket says it was born from: LISTEN for a listener's child."""
        changes = self.listeners.get((host, port))
        if not changes:
            return "LISTEN" if born_from == "LISTEN" else "CLOSED"
        state = "CLOSED"
        for at, new in changes:
            if at > pos:
                break
            state = new
        return state

    def state(self, conn: Conversation, end: Address, pos: int) -> str | None:
        """The state of ``end`` of ``conn`` once event ``pos`` has happened; None for an end with no TCP."""
        host = self.host_of_ip.get(end[0])
        if host is None:
            return None
        sockets = self.owner.get((conn.id, host), [])
        live = [s for s in sockets if s.changes[0][0] <= pos]
        if not live:
            return self._listener_state(host, end[1], pos, sockets[0].first_old if sockets else None)
        sock = live[-1]
        state = sock.first_old
        for at, new in sock.changes:
            if at > pos:
                break
            state = new
        return state

    def states(self, conn: Conversation, pos: int, names: dict[Address, str]) -> dict[str, str]:
        out = {}
        for end in conn.ends:
            value = self.state(conn, end, pos)
            if value is not None:
                out[names[end]] = value
        return out

    def initial(self, conn: Conversation, names: dict[Address, str]) -> dict[str, str]:
        """Each end's state before the connection began: before its socket's first change."""
        out = {}
        for end in conn.ends:
            host = self.host_of_ip.get(end[0])
            if host is None:
                continue
            sockets = self.owner.get((conn.id, host), [])
            if sockets and sockets[0].changes[0][0] < conn.first_send_pos:
                out[names[end]] = sockets[0].first_old
            else:
                out[names[end]] = self._listener_state(host, end[1], conn.first_send_pos,
                                                       sockets[0].first_old if sockets else None)
        return out


# -------------------------------------------------------------------- phases
@dataclass
class Phase:
    label: str
    connection: int
    sender: str | None = None  # the name of the end that sends this phase's segment
    kind: str = ""
    steps: list[int] = field(default_factory=list)


def phases_of(conn: Conversation, items: list[dict[str, Any]],
              fixed: tuple[str, ...]) -> tuple[list[Phase], dict[int, tuple[int, str]]]:
    """The phases of one connection, and each step's (phase number in this list, role).

    ``items[i]`` describes step ``i``: ``sender`` (end name), ``kind``, ``seq``,
    ``ack`` (relative), ``len``, ``lost``, ``syn``, ``fin``, ``has_ack``.  ``fixed`` rows (a
    scenario's lesson plan, e.g. the eight of ``handshake``) are given to the
    groups in order, each to the first group of its kind; a row no group takes
    stays empty ("not in this run"); a group no row takes becomes a phase of
    its own, unnumbered.
    """
    groups: dict[tuple, int] = {}
    group_list: list[dict[str, Any]] = []  # {"sender", "kind", "steps"}
    syn_from: set[str] = set()
    fin_at: dict[str, int] = {}  # sender -> the sequence number its FIN occupies
    acked: dict[str, int] = {}  # sender -> the highest ack it has sent
    last_data: dict[str, int] = {}  # sender -> its latest data or keepalive group
    role_of: dict[int, str] = {}
    group_of: dict[int, int] = {}
    for i in conn.steps:
        it = items[i]
        who, kind = it["sender"], it["kind"]
        answer_to = None
        if kind in ("SYN", "SYN-ACK"):
            key: tuple = (who, kind)
        elif kind == "FIN":
            key = (who, kind, it["seq"] + it["len"])  # the FIN's own place, with or without data before it
        elif kind in _BY_SEQ:
            key = (who, kind, it["seq"])
        elif kind == "ACK":
            key = (who, "ACK", it["ack"])
            # The first ACK of the peer's SYN or FIN from this side is a phase of its own (03, 06, 08 of
            # the handshake); any other pure ACK answers the data it acknowledges or repeats an ACK.
            done = acked.get(who, 0)
            acks_control = any(peer != who and done < 1 <= it["ack"] for peer in syn_from) or \
                any(peer != who and done < end + 1 <= it["ack"] for peer, end in fin_at.items())
            if key not in groups and not acks_control:
                peer_data = [g for s, g in last_data.items() if s != who]
                if peer_data:
                    answer_to = peer_data[-1]
        else:
            key = (who, kind, it["seq"], it["ack"])
        if it["syn"]:
            syn_from.add(who)
        if it["fin"]:
            fin_at.setdefault(who, it["seq"] + it["len"])
        if it["has_ack"]:
            acked[who] = max(acked.get(who, 0), it["ack"])
        if answer_to is not None:
            group_of[i] = answer_to
            role_of[i] = "answer"
            group_list[answer_to]["steps"].append(i)
            continue
        if key not in groups:
            groups[key] = len(group_list)
            group_list.append({"sender": who, "kind": kind, "steps": []})
        g = groups[key]
        group_list[g]["steps"].append(i)
        group_of[i] = g
        if kind in ("data", "keepalive"):
            last_data = {k: v for k, v in last_data.items() if k != who}
            last_data[who] = g
    # The row of a phase: its first copy that arrived, or its first copy if none did.
    for g in group_list:
        copies = [i for i in g["steps"] if role_of.get(i) != "answer"]
        delivered = [i for i in copies if not items[i]["lost"]]
        first = delivered[0] if delivered else copies[0]
        for i in copies:
            role_of[i] = "first" if i == first else "copy"

    phases: list[Phase] = []
    index_of_group: dict[int, int] = {}
    if fixed:
        kinds = [label_kind(label) for label in fixed]
        row = 0
        for g, group in enumerate(group_list):
            match = next((r for r in range(row, len(fixed)) if kinds[r] == group["kind"]), None)
            if match is None:
                index_of_group[g] = len(phases)
                phases.append(Phase(group["kind"], conn.id, group["sender"], group["kind"]))
                continue
            for r in range(row, match):
                phases.append(Phase(fixed[r], conn.id, None, kinds[r]))
            index_of_group[g] = len(phases)
            phases.append(Phase(fixed[match], conn.id, group["sender"], group["kind"]))
            row = match + 1
        for r in range(row, len(fixed)):
            phases.append(Phase(fixed[r], conn.id, None, kinds[r]))
    else:
        for g, group in enumerate(group_list):
            index_of_group[g] = len(phases)
            phases.append(Phase(f"{g + 1:02d} {group['kind']}", conn.id, group["sender"], group["kind"]))
    for g, group in enumerate(group_list):
        phases[index_of_group[g]].steps = list(group["steps"])
    return phases, {i: (index_of_group[group_of[i]], role_of[i]) for i in conn.steps}
