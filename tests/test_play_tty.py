"""``synack play`` in a real pseudo-terminal: Right steps, Left steps back, q quits and restores the terminal."""

import os
import pty
import select
import subprocess
import sys
import time


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


def test_keys_step_back_and_quit():
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "60", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "synack", "play", "handshake"], stdin=child, stdout=child,
                            stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        assert "step 0 of 9" in read_until(main, "step 0 of 9")
        os.write(main, b"\x1b[C")  # Right
        assert "step 1 of 9" in read_until(main, "step 1 of 9")
        os.write(main, b"\r\r")  # Enter twice
        screen = read_until(main, "step 3 of 9")
        assert "step 3 of 9" in screen and "RTT clock 1.50 RTT" in screen
        os.write(main, b"\x1b[D")  # Left
        assert "step 2 of 9" in read_until(main, "step 2 of 9")
        os.write(main, b"q")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)


def test_c_shows_the_crowd_chart_and_any_key_returns():
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "synack", "play", "time_wait_exhaustion"], stdin=child,
                            stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        assert "c crowd chart" in read_until(main, "c crowd chart")
        os.write(main, b"c")
        screen = read_until(main, "back to the ladder")
        assert "proxy TIME_WAIT" in screen and "time (s)" in screen
        os.write(main, b"\r")
        assert "step 1 of" in read_until(main, "step 1 of")
        os.write(main, b"q")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
