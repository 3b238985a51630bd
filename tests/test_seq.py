"""Sequence arithmetic mod 2**32 (RFC 9293 3.4), checked around the wrap with Hypothesis."""

from hypothesis import given, strategies as st

from synack.tcp.seq import MOD, seq_add, seq_between, seq_ge, seq_gt, seq_le, seq_lt, seq_max, seq_sub

u32 = st.integers(0, MOD - 1)
small = st.integers(1, 2**31 - 1)


@given(u32, small)
def test_adding_moves_forward_even_across_the_wrap(a, n):
    b = seq_add(a, n)
    assert seq_lt(a, b) and seq_gt(b, a) and seq_le(a, b) and seq_ge(b, a)
    assert seq_sub(b, a) == n
    assert seq_max(a, b) == b


@given(u32)
def test_a_number_is_not_before_itself(a):
    assert not seq_lt(a, a) and seq_le(a, a) and seq_sub(a, a) == 0


@given(u32, st.integers(0, 2**20), st.integers(1, 2**20))
def test_window_membership(low, offset, size):
    high = seq_add(low, size)
    assert seq_between(low, seq_add(low, offset), high) == (offset < size)


def test_the_wrap_itself():
    assert seq_lt(MOD - 1, 0)
    assert seq_add(MOD - 1, 1) == 0
    assert seq_sub(0, MOD - 1) == 1
    assert seq_between(MOD - 10, 5, 20)
    assert not seq_between(MOD - 10, 25, 20)



@given(u32, u32)
def test_comparisons_agree_with_the_signed_distance(a, b):
    d = seq_sub(a, b)
    assert (seq_lt(a, b), seq_le(a, b), seq_gt(a, b), seq_ge(a, b)) == (d < 0, d <= 0, d > 0, d >= 0)
