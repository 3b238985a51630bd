"""``synack play`` in a real pseudo-terminal: Right steps, Left steps back, q quits and restores the terminal."""

import os
import pty
import select
import subprocess
import sys
import time
from contextlib import contextmanager


def read_until(fd, needle, timeout=20.0):
    data = b""
    end = time.monotonic() + timeout
    while needle.encode() not in data and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


@contextmanager
def playing(args, columns, lines):
    """``synack play ARGS`` in a pseudo-terminal of that size; yields our end, then q must quit it cleanly."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(lines), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "synack", "play", *args], stdin=child, stdout=child,
                            stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        yield main
        os.write(main, b"q")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)


def test_keys_step_back_and_quit():
    with playing(["handshake"], 120, 60) as main:
        assert "step 0 of 9" in read_until(main, "step 0 of 9")
        os.write(main, b"\x1b[C")  # Right
        assert "step 1 of 9" in read_until(main, "step 1 of 9")
        os.write(main, b"\r\r")  # Enter twice
        screen = read_until(main, "step 3 of 9")
        assert "step 3 of 9" in screen and "clock 1.00 RTT" in screen
        os.write(main, b"\x1b[D")  # Left
        assert "step 2 of 9" in read_until(main, "step 2 of 9")


def test_c_shows_the_crowd_chart_and_any_key_returns():
    with playing(["time_wait_exhaustion"], 80, 24) as main:
        assert "c crowd chart" in read_until(main, "c crowd chart")
        os.write(main, b"c")
        screen = read_until(main, "back to the ladder")
        assert "proxy TIME_WAIT" in screen and "time (s)" in screen
        os.write(main, b"\r")
        assert "step 1 of" in read_until(main, "step 1 of")


def last_screen(data):
    """The text of the last frame drawn (after the last clear), without colours."""
    import re
    screen = data.rsplit("\x1b[2J", 1)[-1]
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen).replace("\r", "")


def read_frame(fd, needle):
    """Everything up to the end of the frame that shows ``needle``: its last line names the q key."""
    data = read_until(fd, needle)
    while needle in data and "q quit" not in data.rsplit(needle, 1)[1]:
        more = read_until(fd, "q quit")
        if not more:
            break
        data += more
    return data


def test_play_fits_80x24_to_the_end():
    with playing(["handshake", "--loss", "0.3", "--seed", "7"], 80, 24) as main:
        screen = last_screen(read_frame(main, "step 0 of 13"))
        for k in range(1, 15):
            os.write(main, b"\x1b[C")
            needle = f"step {k} of 13" if k <= 13 else "end, 13 of 13 segments"
            screen = last_screen(read_frame(main, needle))
            lines = screen.rstrip("\n").split("\n")
            assert len(lines) <= 24 and max(len(line) for line in lines) <= 80, (k, screen)
            assert lines[0].startswith("The three-way handshake") and needle in lines[1], (k, screen)
        assert "End of the run: client TIME_WAIT, server CLOSED." in screen and "(the end)" in screen
