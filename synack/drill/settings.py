"""Shell lines of a packetdrill script turned into sysctl settings.

packetdrill scripts set the kernel up with shell commands in backticks:
``sysctl -q net.ipv4.tcp_syncookies=2``, ``echo 1 > /proc/sys/net/ipv4/X``,
``set_sysctls.py /proc/sys/net/ipv4/X=V`` or the shared ``defaults.sh`` of
packetdrill's own tests.  Here they become ``{name: value}`` for the stack
under test to apply (a profile setting for synack's engine, a sysctl for the
kernel); everything else is skipped with a note.  Nothing is ever run.
"""

from __future__ import annotations

import re
import shlex

# What packetdrill's gtests/net/common/defaults.sh sets that synack models (the rest has no counterpart).
DEFAULTS_SH = {"tcp_timestamps": "1", "tcp_sack": "1", "tcp_window_scaling": "1", "tcp_syncookies": "1",
               "tcp_fastopen": "0x1", "tcp_rmem": "4096 87380 6291456", "tcp_early_retrans": "3",
               "tcp_min_tso_segs": "2"}

_ASSIGN = re.compile(r"^(?:/proc/sys/)?net[./]ipv4[./](?P<name>[a-z_0-9]+)=(?P<value>.*)$")


def settings_from_shell(command: str) -> tuple[dict[str, str], list[str]]:
    """The sysctl settings a shell line makes, and notes about what was skipped."""
    settings: dict[str, str] = {}
    notes: list[str] = []
    for part in re.split(r"\s*(?:;|&&|\n)\s*", command.strip()):
        if not part:
            continue
        try:
            words = shlex.split(part)
        except ValueError:
            notes.append(f"skipped shell command {part!r} (unbalanced quotes)")
            continue
        if not words:
            continue
        prog = words[0].rsplit("/", 1)[-1]
        if prog == "sysctl":
            pairs = [w for w in words[1:] if not w.startswith("-")]
            if len(pairs) == 2 and "=" not in pairs[0]:
                pairs = [f"{pairs[0]}={pairs[1]}"]
            found = _assignments(pairs)
        elif prog == "set_sysctls.py":
            found = _assignments(words[1:])
        elif prog == "echo" and ">" in words:
            i = words.index(">")
            found = _assignments([f"{words[i + 1]}={' '.join(words[1:i])}"]) if i + 1 < len(words) else {}
        elif prog == "defaults.sh":
            found = dict(DEFAULTS_SH)
        else:
            notes.append(f"skipped shell command {part!r}")
            continue
        if not found:
            notes.append(f"skipped shell command {part!r} (no net.ipv4 setting in it)")
        settings.update(found)
    return settings, notes


def _assignments(words: list[str]) -> dict[str, str]:
    out = {}
    for word in words:
        m = _ASSIGN.match(word)
        if m:
            out[m.group("name")] = m.group("value").strip().strip('"').strip("'")
    return out
