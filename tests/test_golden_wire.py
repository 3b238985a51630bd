"""Every scenario's segments are exactly as recorded in tests/fixtures/golden (see tests/golden.py)."""

import pytest

from golden import cases, golden_path, wire_lines


@pytest.mark.parametrize("case", cases(), ids=lambda c: f"{c[0]}-{c[1]}-loss{c[2]:g}-seed{c[3]}")
def test_wire_is_unchanged(case):
    path = golden_path(*case)
    assert path.exists(), f"no golden record for {case}; run: python tests/golden.py {case[0]}"
    expected = path.read_text().splitlines()
    got = wire_lines(*case)
    for i, (want, have) in enumerate(zip(expected, got, strict=False)):
        assert have == want, f"{path.name} line {i + 1} changed"
    assert len(got) == len(expected), f"{path.name}: {len(got)} lines, golden has {len(expected)}"
