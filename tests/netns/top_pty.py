#!/usr/bin/env python3
"""Runs `sluicectl top` on a pseudo-terminal the way a person would, and checks the terminal.

Usage: top_pty.py SLUICECTL CONFDIR q|sigint

While top runs, the terminal must be non-canonical without echo; after `q` (or SIGINT) top
must exit with status 0, its output must end with the sequence that shows the cursor again,
and the terminal's modes must be exactly what they were. On the way, a resize (new size
plus SIGWINCH) must redraw the screen within the new width.
"""
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import fcntl

RESTORE = b"\x1b[?25h"


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def read_until(master, output, predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate(output):
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"FAIL: timed out waiting for {what}; output so far: {bytes(output)[-2000:]!r}")
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                return
            output.extend(chunk)


def drain(master, output):
    """Reads what is left until the child's side of the terminal is quiet or closed."""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return
        if not chunk:
            return
        output.extend(chunk)


def frames(output):
    """The screens top drew: the text after each cursor-home, without erase sequences."""
    text = bytes(output).decode(errors="replace")
    out = []
    for part in text.split("\x1b[H")[1:]:
        for seq in ("\x1b[2J", "\x1b[K", "\x1b[J", "\x1b[?25h", "\x1b[?25l"):
            part = part.replace(seq, "")
        out.append(part.replace("\r", "").split("\n"))
    return out


def main():
    sluicectl, confdir, mode = sys.argv[1:4]
    master, slave = os.openpty()
    set_size(slave, 30, 120)
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([sluicectl, "-c", confdir, "top", "-d", "0.3"],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    output = bytearray()
    # Two screens: the first one, and one with rates.
    read_until(master, output, lambda o: o.count(b"\x1b[H") >= 2, 20, "two screens")
    running = termios.tcgetattr(slave)
    lflag = running[3]
    if lflag & termios.ICANON or lflag & termios.ECHO:
        sys.exit("FAIL: the terminal is still canonical or echoing while top runs")
    print("ok: non-canonical, no echo while running")

    set_size(slave, 30, 50)
    proc.send_signal(signal.SIGWINCH)
    seen = len(frames(output))
    read_until(master, output, lambda o: len(frames(o)) > seen + 1, 20, "a screen after the resize")
    last = frames(output)[-2]  # complete: another one has started after it
    too_wide = [l for l in last if len(l) > 50]
    if too_wide:
        sys.exit(f"FAIL: lines wider than the new 50 columns: {too_wide}")
    if not any(l.startswith("sluice top") for l in last):
        sys.exit(f"FAIL: no header in the screen after the resize: {last}")
    print("ok: redrawn within 50 columns after SIGWINCH:")
    print("\n".join(last))

    if mode == "q":
        os.write(master, b"q")
    else:
        proc.send_signal(signal.SIGINT)
    try:
        status = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        sys.exit(f"FAIL: top did not exit on {mode}")
    drain(master, output)
    if status != 0:
        sys.exit(f"FAIL: top exited with {status} on {mode}")
    if not bytes(output).rstrip(b"\r\n").endswith(RESTORE):
        sys.exit(f"FAIL: output does not end with the restore sequence: {bytes(output)[-200:]!r}")
    after = termios.tcgetattr(slave)
    if after != before:
        sys.exit(f"FAIL: terminal modes differ after exit: {before} != {after}")
    print(f"ok: exit 0 on {mode}, cursor shown, terminal modes restored")


main()
