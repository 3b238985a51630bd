"""Out-of-order data waiting for the hole before it to fill (RFC 9293 3.10.7.4, seventh check).

The :class:`Reassembler` keeps pieces that arrived beyond RCV.NXT, hands them
back in order as the hole closes, and names them as SACK blocks (RFC 2018 4:
at most three, here nearest RCV.NXT first).  A FIN that arrived out of order
waits here too.
"""

from __future__ import annotations

from typing import Final

from .seq import seq_add, seq_le, seq_sub

MAX_SACK_BLOCKS: Final = 3  # what fits beside the timestamps option (RFC 2018 3)


class Reassembler:
    __slots__ = ("pieces", "nbytes", "fin")

    def __init__(self) -> None:
        self.pieces: dict[int, bytes] = {}  # sequence number -> data, in arrival order
        self.nbytes = 0  # held bytes: they take room from the receive window
        self.fin: int | None = None  # sequence number of a FIN that came before the hole filled

    def add(self, seq: int, data: bytes) -> None:
        if seq not in self.pieces:
            self.pieces[seq] = data
            self.nbytes += len(data)

    def take(self, rcv_nxt: int) -> bytes | None:
        """The first waiting piece that starts at or before ``rcv_nxt``, without what is already in.

        None when no piece can be used yet; b"" when one was wholly a duplicate.
        """
        for seq in self.pieces:
            if seq_le(seq, rcv_nxt):
                piece = self.pieces.pop(seq)  # the loop ends here: popping while iterating is safe
                self.nbytes -= len(piece)
                skip = seq_sub(rcv_nxt, seq)
                return piece[skip:] if skip < len(piece) else b""
        return None

    def sack_blocks(self, rcv_nxt: int) -> tuple[tuple[int, int], ...]:
        blocks = sorted(((s, seq_add(s, len(d))) for s, d in self.pieces.items()),
                        key=lambda b: seq_sub(b[0], rcv_nxt))
        return tuple(blocks[:MAX_SACK_BLOCKS])
